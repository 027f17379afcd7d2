package io.swarmnet.agent.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.IpAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The instruction encoding the kernel expects, jump targets resolved, and the maps' key layout the programs read. */
class BpfAssemblerTest {

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void instructionsAreEncodedAsTheKernelReadsThem() {
        BpfAssembler a = new BpfAssembler()
                .mov(6, 1)                       // bf 16 0000 00000000
                .load(4, 2, 6, 4)                // 61 62 0400 00000000
                .store(2, BpfAssembler.FP, -4, 2) // 6b 2a fcff 00000000
                .loadMap(1, 7)                   // 18 11 0000 07000000, then 8 zero bytes
                .jumpIfEqual(0, 0, "end")        // 15 00 0200 00000000: two instructions ahead
                .movImm(0, -111)                 // b7 00 0000 91ffffff
                .call(187)                       // 85 00 0000 bb000000
                .label("end").exit();            // 95 00 0000 00000000
        assertThat(hex(a.assemble())).isEqualTo("bf16000000000000" + "6162040000000000" + "6b2afcff00000000"
                + "1811000007000000" + "0000000000000000" + "1500020000000000" + "b700000091ffffff"
                + "85000000bb000000" + "9500000000000000");
        assertThat(a.size()).isEqualTo(9);
    }

    @Test
    void aJumpBackwardAndThe32BitCompareAreResolved() {
        BpfAssembler a = new BpfAssembler().label("top").movImm(0, 1).jumpIfNotEqual32(2, 0xffff0000, "top").exit();
        assertThat(hex(a.assemble())).isEqualTo("b700000001000000" + "5602feff0000ffff" + "9500000000000000");
    }

    @Test
    void anUndefinedOrTwiceDefinedLabelIsAnError() {
        assertThatThrownBy(() -> new BpfAssembler().jump("nowhere").assemble()).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> new BpfAssembler().label("x").label("x")).hasMessageContaining("twice");
    }

    @Test
    void aRouteKeyHoldsTheCookieInHostOrderAndTheAddressAndPortInNetworkOrder() {
        byte[] key = SocketLoadBalancer.routeKey(0x0102030405060708L, IpAddress.parse("10.0.9.2"), 53, SocketLoadBalancer.UDP);
        assertThat(hex(key)).isEqualTo("0807060504030201" + "0a000902" + "0035" + "11" + "00");
        assertThat(hex(SocketLoadBalancer.routeValue(7, 5353))).isEqualTo("07000000" + "14e9" + "0000");
    }
}
