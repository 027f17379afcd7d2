package io.swarmnet.api.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AddressTypesTest {

    @Test
    void derivesDockerStyleMacFromTaskAddress() {
        assertThat(MacAddress.forTask(IpAddress.parse("10.0.9.3"))).hasToString("02:42:0a:00:09:03");
        assertThat(MacAddress.parse("02:42:0a:00:09:03")).isEqualTo(MacAddress.forTask(IpAddress.parse("10.0.9.3")));
    }

    @Test
    void parsesAndPrintsAddresses() {
        assertThat(IpAddress.parse("255.255.255.255").value()).isEqualTo(0xFFFF_FFFFL);
        assertThat(IpAddress.parse("10.0.9.3").plus(1)).hasToString("10.0.9.4");
        assertThat(IpAddress.parse("0.0.0.0")).hasToString("0.0.0.0");
    }

    @Test
    void printsEveryOctetOfAMacAddressAsTwoLowercaseHexDigits() {
        assertThat(new MacAddress(0xFFFF_FFFF_FFFFL)).hasToString("ff:ff:ff:ff:ff:ff");
        assertThat(new MacAddress(0)).hasToString("00:00:00:00:00:00");
        assertThat(new MacAddress(0x0123_4567_89ABL)).hasToString("01:23:45:67:89:ab");
        assertThat(MacAddress.parse(new MacAddress(0xA0B0_C0D0_E0F0L).toString()).value()).isEqualTo(0xA0B0_C0D0_E0F0L);
    }

    @Test
    void saysWhatIsWrongWithAMalformedAddress() {
        assertThat(IpAddress.parse(" 10.0.9.3 ")).hasToString("10.0.9.3");
        assertThatThrownBy(() -> IpAddress.parse("10.0.9")).hasMessageContaining("expected a.b.c.d");
        assertThatThrownBy(() -> IpAddress.parse("10.0.9.3.4")).hasMessageContaining("expected a.b.c.d");
        assertThatThrownBy(() -> IpAddress.parse("10..9.3.4")).hasMessageContaining("expected a.b.c.d");
        assertThatThrownBy(() -> IpAddress.parse("10.0.9.")).hasMessageContaining("bad octet ''");
        assertThatThrownBy(() -> IpAddress.parse("10.0.09.3")).hasMessageContaining("bad octet '09'");
        assertThatThrownBy(() -> IpAddress.parse("10.0.x.3")).hasMessageContaining("bad octet 'x'");
        assertThatThrownBy(() -> IpAddress.parse("10.0.1234.3")).hasMessageContaining("bad octet '1234'");
        // digits of other scripts are no octet (Integer.parseInt would read them)
        assertThatThrownBy(() -> IpAddress.parse("10.0.\u0669.3")).hasMessageContaining("bad octet");
        assertThatThrownBy(() -> IpAddress.parse("10.0.256.3")).hasMessageContaining("octet 256 > 255");
    }

    @Test
    void refusesMalformedAddressesNamingTheText() {
        for (String bad : new String[] {"10.0.9", "10.0.9.256", "10.0.09.1", "a.b.c.d", "10.0.9.1.", ""}) {
            assertThatThrownBy(() -> IpAddress.parse(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
        }
    }

    @Test
    void cidrContainmentAndOverlap() {
        Cidr net = Cidr.parse("10.0.9.0/24");
        assertThat(net.contains(IpAddress.parse("10.0.9.255"))).isTrue();
        assertThat(net.contains(IpAddress.parse("10.0.10.0"))).isFalse();
        assertThat(net.overlaps(Cidr.parse("10.0.0.0/16"))).isTrue();
        assertThat(net.overlaps(Cidr.parse("10.0.8.0/24"))).isFalse();
        assertThat(net.contains(Cidr.parse("10.0.9.128/25"))).isTrue();
        assertThat(Cidr.parse("10.0.0.0/8").contains(net)).isTrue();
        assertThat(net.size()).isEqualTo(256);
        assertThat(net.broadcast()).hasToString("10.0.9.255");
        assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddress.parse("255.255.255.255"))).isTrue();
    }

    @Test
    void refusesCidrWithHostBitsNamingTheNetworkAddress() {
        assertThatThrownBy(() -> Cidr.parse("10.0.9.1/24")).hasMessageContaining("10.0.9.0");
        assertThatThrownBy(() -> Cidr.parse("10.0.9.0/33")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("10.0.9.0")).hasMessageContaining("a.b.c.d/n");
    }

    @Test
    void vniRange() {
        assertThatThrownBy(() -> new Vni(0)).hasMessageContaining("0");
        assertThatThrownBy(() -> new Vni(16_777_216)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Vni(16_777_215).value()).isEqualTo(Vni.MAX);
    }
}
