package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The connections a pod opened to a VIP that conntrack keeps DNATed to a backend the VIP no longer has: their
 * entries have original destination {@code vip} and reply source {@code backend}. Deleting an entry sends the flow's
 * next packet through the VIP's DNAT again, to a live backend (a UDP stream moves at once; a TCP connection is
 * answered with a reset there). Without that, a datagram stream from one source port keeps going to the removed
 * task for as long as it keeps sending.
 *
 * @param vip         the service's virtual IP in the pod
 * @param backend     the task address that left the VIP
 * @param keepTcp     the task still exists (it became not ready): its TCP connections may finish, as kube-proxy
 *                    lets them; only a gone task's are cut, since their packets would otherwise be retransmitted
 *                    to an address nobody answers for until TCP gives up
 */
public record StaleVipFlows(IpAddress vip, IpAddress backend, boolean keepTcp) {

    private static final Pattern LINE = Pattern.compile("delete orig-dst (\\S+) reply-src (\\S+)( keep-tcp)?");

    /** The plan's line for this deletion (what {@link Plan#lines} shows and tests assert on). */
    public String line() {
        return "delete orig-dst " + vip + " reply-src " + backend + (keepTcp ? " keep-tcp" : "");
    }

    public static StaleVipFlows parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("conntrack line '" + line + "' is not 'delete orig-dst VIP reply-src BACKEND [keep-tcp]'");
        }
        return new StaleVipFlows(IpAddress.parse(m.group(1)), IpAddress.parse(m.group(2)), m.group(3) != null);
    }

    /** Whether a conntrack entry of protocol {@code protocol} (IANA number) with these addresses is one of them. */
    public boolean matches(int protocol, IpAddress originalDestination, IpAddress replySource) {
        return vip.equals(originalDestination) && backend.equals(replySource) && !(keepTcp && protocol == TCP);
    }

    static final int TCP = 6;
}
