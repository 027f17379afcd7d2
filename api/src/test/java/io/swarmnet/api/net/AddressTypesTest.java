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
