package io.swarmnet.agent.encryption;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The kernel path's use of sequence numbers, read from {@code ip -s xfrm state list} as iproute2 prints it. */
class XfrmStateUseTest {

    private static final IpAddress LOCAL = IpAddress.parse("192.0.2.1");
    private static final IpAddress PEER = IpAddress.parse("192.0.2.2");
    private static final ClusterKey OLD = new ClusterKey(4, new byte[32]);
    private static final ClusterKey NEW = new ClusterKey(5, filled(7));
    private static final SequenceLimit LIMIT = new SequenceLimit(1_000);

    @Test
    void readsEachStatesPacketCount() {
        SecurityAssociation out = PairKeys.derive(OLD, LOCAL, PEER);
        XfrmStateUse use = XfrmStateUse.parse(listing(Map.of(out, 812L, PairKeys.derive(OLD, PEER, LOCAL), 3L)));
        assertThat(use.packets(out)).isEqualTo(812);
        assertThat(use.packets(PairKeys.derive(OLD, PEER, LOCAL))).isEqualTo(3);
        assertThat(use.packets(PairKeys.derive(NEW, LOCAL, PEER))).as("a state the kernel does not hold").isZero();
    }

    @Test
    void onlyTheOutboundSaInUseCountsTowardsTheLimit() {
        SecurityAssociation oldOut = PairKeys.derive(OLD, LOCAL, PEER);
        SecurityAssociation newOut = PairKeys.derive(NEW, LOCAL, PEER);
        SecurityAssociation oldIn = PairKeys.derive(OLD, PEER, LOCAL);
        EncryptionPlan plan = plan(OLD, oldOut, newOut, oldIn, PairKeys.derive(NEW, PEER, LOCAL));

        assertThat(XfrmStateUse.parse(listing(Map.of(oldOut, 749L))).generationsNearLimit(plan, LIMIT)).isEmpty();
        assertThat(XfrmStateUse.parse(listing(Map.of(oldOut, 750L))).generationsNearLimit(plan, LIMIT)).containsExactly(4L);
        assertThat(XfrmStateUse.parse(listing(Map.of(oldIn, 990L))).generationsNearLimit(plan, LIMIT))
                .as("what the peer sent us is the peer's to report").isEmpty();
        assertThat(XfrmStateUse.parse(listing(Map.of(oldOut, 990L))).generationsNearLimit(plan(NEW, oldOut, newOut, oldIn), LIMIT))
                .as("a worn generation no longer used outbound").isEmpty();
    }

    private static EncryptionPlan plan(ClusterKey primary, SecurityAssociation... associations) {
        return new EncryptionPlan(LOCAL, Set.of(4242), Map.of(PEER, OptionalInt.of(PairKeys.derive(primary, LOCAL, PEER).spi())),
                List.of(associations), Map.of(), java.util.Optional.empty());
    }

    /** What {@code ip -s xfrm state list} prints for these states (iproute2 6.1). */
    private static String listing(Map<SecurityAssociation, Long> packets) {
        StringBuilder out = new StringBuilder();
        packets.forEach((sa, count) -> out.append("src ").append(sa.source()).append(" dst ").append(sa.destination()).append('\n')
                .append("\tproto esp spi ").append(sa.spiHex()).append("(").append(Integer.toUnsignedLong(sa.spi())).append(") reqid 94(0x0000005e) mode transport\n")
                .append("\treplay-window 0 seq 0x00000000 flag  (0x00000000)\n")
                .append("\taead rfc4106(gcm(aes)) 0x").append("00".repeat(20)).append(" (160 bits) 128\n")
                .append("\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0\n")
                .append("\tanti-replay context: seq 0x0, oseq 0x").append(Long.toHexString(count)).append(", bitmap 0x00000000\n")
                .append("\tlifetime config:\n")
                .append("\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n")
                .append("\t  limit: soft (INF)(packets), hard (INF)(packets)\n")
                .append("\t  expire add: soft 0(sec), hard 0(sec)\n")
                .append("\t  expire use: soft 0(sec), hard 0(sec)\n")
                .append("\tlifetime current:\n")
                .append("\t  ").append(count * 1400).append("(bytes), ").append(count).append("(packets)\n")
                .append("\t  add 2026-12-04 10:00:00 use 2026-12-04 10:05:00\n")
                .append("\tstats:\n")
                .append("\t  replay-window 0 replay 0 failed 0\n"));
        return out.toString();
    }

    private static byte[] filled(int value) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }
}
