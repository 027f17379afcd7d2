package io.swarmnet.agent.encryption;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What iproute2 prints for {@code ip xfrm policy list} and {@code ip [-s] xfrm state list}, read back. */
class XfrmListingTest {

    /**
     * Captured on Linux 6.18 with iproute2 6.1 in a scratch namespace, after the agent's catch-all and two peer
     * policies (one pinned to an SPI, one of another VXLAN port) and someone else's tunnel-mode policy were added.
     * Note the trailing blanks iproute2 leaves on some lines.
     */
    private static final String POLICIES = """
            src 198.18.0.0/16 dst 198.18.1.0/24\s
            \tdir in priority 5 ptype main\s
            \ttmpl src 198.18.0.1 dst 198.18.1.1
            \t\tproto esp reqid 7 mode tunnel
            src 192.0.2.1/32 dst 192.0.2.3/32 proto udp dport 4790\s
            \tdir out priority 100 ptype main\s
            \tmark 0x5e000000/0xff000000\s
            \ttmpl src 192.0.2.1 dst 192.0.2.3
            \t\tproto esp reqid 94 mode transport
            src 192.0.2.1/32 dst 192.0.2.2/32 proto udp dport 4789\s
            \tdir out priority 100 ptype main\s
            \tmark 0x5e000000/0xff000000\s
            \ttmpl src 192.0.2.1 dst 192.0.2.2
            \t\tproto esp spi 0x5e5e0101 reqid 94 mode transport
            src 0.0.0.0/0 dst 0.0.0.0/0 proto udp dport 4789\s
            \tdir out action block priority 1000 ptype main\s
            \tmark 0x5e000000/0xff000000\s
            """;

    /**
     * {@code ip xfrm state list} of two of the agent's states and one of someone else's. The kernel this suite runs on
     * has no ESP, so no state listing could be captured: the header lines are the ones the agent has always read, and
     * their {@code proto esp spi … reqid … mode …} line is printed by the same iproute2 code as the policies' template
     * line above.
     */
    private static final String STATES = """
            src 192.0.2.1 dst 192.0.2.2
            \tproto esp spi 0x5e5e0101 reqid 94 mode transport
            \treplay-window 0\s
            \taead rfc4106(gcm(aes)) 0x0000000000000000000000000000000000000000 128
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0\s
            src 192.0.2.2 dst 192.0.2.1
            \tproto esp spi 0xe5e50202 reqid 94 mode transport
            \treplay-window 0\s
            \taead rfc4106(gcm(aes)) 0x0000000000000000000000000000000000000000 128
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0\s
            src 198.18.0.1 dst 198.18.1.1
            \tproto esp spi 0x00001000 reqid 7 mode tunnel
            \treplay-window 32 flag af-unspec
            \tauth-trunc hmac(sha256) 0x0000000000000000000000000000000000000000000000000000000000000000 128
            \tenc cbc(aes) 0x00000000000000000000000000000000
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0\s
            """;

    /** {@code ip -s xfrm state list} of one state, as iproute2 6.1 prints it: SPI and reqid each followed by another base. */
    private static final String STATES_WITH_STATISTICS = """
            src 192.0.2.1 dst 192.0.2.2
            \tproto esp spi 0x5e5e0101(1583218945) reqid 94(0x0000005e) mode transport
            \treplay-window 0 seq 0x00000000 flag  (0x00000000)
            \taead rfc4106(gcm(aes)) 0x0000000000000000000000000000000000000000 (160 bits) 128
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tanti-replay context: seq 0x0, oseq 0x32c, bitmap 0x00000000
            \tlifetime config:
            \t  limit: soft (INF)(bytes), hard (INF)(bytes)
            \t  limit: soft (INF)(packets), hard (INF)(packets)
            \t  expire add: soft 0(sec), hard 0(sec)
            \t  expire use: soft 0(sec), hard 0(sec)
            \tlifetime current:
            \t  1136800(bytes), 812(packets)
            \t  add 2026-12-04 10:00:00 use 2026-12-04 10:05:00
            \tstats:
            \t  replay-window 0 replay 0 failed 0
            """;

    @Test
    void readsEachPolicyWithItsSelectorDirectionMarkAndAction() {
        List<XfrmListing.Policy> policies = XfrmListing.policies(POLICIES);

        assertThat(policies).hasSize(4);
        XfrmListing.Policy foreign = policies.get(0);
        assertThat(foreign.source()).isEqualTo("198.18.0.0/16");
        assertThat(foreign.destination()).isEqualTo("198.18.1.0/24");
        assertThat(foreign.protocol()).isEmpty();
        assertThat(foreign.destinationPort()).isEmpty();
        assertThat(foreign.direction()).isEqualTo("in");
        assertThat(foreign.mark()).isEmpty();
        assertThat(foreign.blocks()).isFalse();

        assertThat(policies.get(1)).isEqualTo(new XfrmListing.Policy("192.0.2.1/32", "192.0.2.3/32", Optional.of("udp"), OptionalInt.of(4790),
                "out", false, OptionalLong.of(0x5e00_0000L), OptionalLong.of(0xff00_0000L)));
        assertThat(policies.get(2).destination()).isEqualTo("192.0.2.2/32");
        assertThat(policies.get(2).destinationPort()).hasValue(4789);
        assertThat(policies.get(2).blocks()).as("the template's spi line is part of the policy, not a policy").isFalse();

        XfrmListing.Policy catchAll = policies.get(3);
        assertThat(catchAll.source()).isEqualTo("0.0.0.0/0");
        assertThat(catchAll.blocks()).isTrue();
        assertThat(catchAll.marked(EncryptionDatapath.MARK, EncryptionDatapath.MARK_MASK)).isTrue();
        assertThat(catchAll.marked(EncryptionDatapath.MARK, 0xffff_ffffL)).as("another mask").isFalse();
    }

    @Test
    void aSelectorNamesAHostOnlyWithAFullIpv4Prefix() {
        assertThat(XfrmListing.Policy.host("192.0.2.3/32")).contains(IpAddress.parse("192.0.2.3"));
        assertThat(XfrmListing.Policy.host("198.18.1.0/24")).isEmpty();
        assertThat(XfrmListing.Policy.host("0.0.0.0/0")).isEmpty();
        assertThat(XfrmListing.Policy.host("2001:db8::1/32")).as("IPv6").isEmpty();
    }

    @Test
    void readsEspStatesWithTheirSpiAndReqid() {
        assertThat(XfrmListing.states(STATES)).containsExactly(
                new XfrmListing.State(IpAddress.parse("192.0.2.1"), IpAddress.parse("192.0.2.2"), 0x5e5e0101, 94, OptionalLong.empty()),
                new XfrmListing.State(IpAddress.parse("192.0.2.2"), IpAddress.parse("192.0.2.1"), 0xe5e50202, 94, OptionalLong.empty()),
                new XfrmListing.State(IpAddress.parse("198.18.0.1"), IpAddress.parse("198.18.1.1"), 0x1000, 7, OptionalLong.empty()));
    }

    @Test
    void readsPacketCountsWhenListedWithStatistics() {
        assertThat(XfrmListing.states(STATES_WITH_STATISTICS)).containsExactly(
                new XfrmListing.State(IpAddress.parse("192.0.2.1"), IpAddress.parse("192.0.2.2"), 0x5e5e0101, 94, OptionalLong.of(812)));
    }

    @Test
    void leavesOutWhatIsNotAnIpv4EspState() {
        String listing = """
                src 2001:db8::1 dst 2001:db8::2
                \tproto esp spi 0x00000100 reqid 94 mode transport
                src 192.0.2.1 dst 192.0.2.2
                \tproto comp spi 0x00001234 reqid 0 mode transport
                """;
        assertThat(XfrmListing.states(listing)).isEmpty();
        assertThat(XfrmListing.states("")).as("a kernel without states prints nothing").isEmpty();
        assertThat(XfrmListing.policies("")).isEmpty();
    }
}
