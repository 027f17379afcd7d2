package io.swarmnet.agent.desired;

import java.util.List;

/** A local task pod: its interfaces on each network, and the VIPs of every service reachable from it. */
public record PodDatapath(PodRef pod, List<PodAttachment> attachments, List<VipRule> vips) {

    public PodDatapath {
        attachments = List.copyOf(attachments);
        vips = List.copyOf(vips);
    }
}
