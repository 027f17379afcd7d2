package io.swarmnet.agent.dns;

import java.nio.file.Path;

/**
 * One pod the resolver serves: where its network namespace is, and the names it resolves itself.
 *
 * @param keepOnly the pod is still on the node but its attachment failed this round: a resolver it already has is
 *                 kept (with these names), none is opened for it
 */
public record PodResolver(Path networkNamespace, NameTable names, boolean keepOnly) {

    public PodResolver(Path networkNamespace, NameTable names) {
        this(networkNamespace, names, false);
    }
}
