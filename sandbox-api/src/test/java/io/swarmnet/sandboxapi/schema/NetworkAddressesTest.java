package io.swarmnet.sandboxapi.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Address parsing with Go net/netip's rules, which the Kubernetes CEL library inherits. */
class NetworkAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.0.9.1", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1:2:3:4",
            "1:2:3:4:5:6:7:8", "64:ff9b::192.0.2.33", "::192.0.2.1"})
    void parsesValidAddresses(String text) {
        assertThat(NetworkAddresses.isIp(text)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.9", "10.0.9.1.2", "10.0.9.256", "010.0.9.1", "10.0.9.-1", " 10.0.9.1", "1:2:3:4:5:6:7:8:9",
            "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7", "::ffff:10.0.0.1", "fe80::1%eth0", "host.example", ":1", "1:"})
    void refusesInvalidAddresses(String text) {
        assertThat(NetworkAddresses.isIp(text)).isFalse();
    }

    @Test
    void printsIpv6Canonically() {
        assertThat(NetworkAddresses.parseIp("2001:0DB8:0000:0000:0000:0000:0000:0001")).hasToString("2001:db8::1");
        assertThat(NetworkAddresses.parseIp("1:0:0:2:0:0:0:3")).hasToString("1:0:0:2::3");
        assertThat(NetworkAddresses.parseIp("1:0:2:3:4:5:6:7")).hasToString("1:0:2:3:4:5:6:7");
        assertThat(NetworkAddresses.parseIp("::")).hasToString("::");
    }

    @Test
    void aCidrKeepsItsHostBitsUntilMasked() {
        NetworkAddresses.Cidr cidr = NetworkAddresses.parseCidr("10.0.9.7/24");
        assertThat(cidr.ip()).hasToString("10.0.9.7");
        assertThat(cidr.masked()).hasToString("10.0.9.0/24");
        assertThat(cidr.contains(NetworkAddresses.parseIp("10.0.9.200"))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.9.0/33", "10.0.9.0/-1", "10.0.9.0/", "10.0.9.0", "10.0.9.0/08", "::/129", "::ffff:0.0.0.0/96"})
    void refusesInvalidCidrs(String text) {
        assertThatThrownBy(() -> NetworkAddresses.parseCidr(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text.contains("ffff") ? "IPv4-mapped" : text);
    }
}
