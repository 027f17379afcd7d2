package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.CelRuleProbe.holds;
import static io.swarmnet.sandboxapi.schema.CelRuleProbe.outcome;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Kubernetes IP/CIDR CEL functions, evaluated by cel-java inside x-kubernetes-validations rules. */
class NetworkCelLibraryTest {

    @Test
    void cidrContainsIp() {
        assertThat(holds("cidr('10.0.9.0/24').containsIP('10.0.9.1')")).isTrue();
        assertThat(holds("cidr('10.0.9.0/24').containsIP('10.0.9.255')")).isTrue();
        assertThat(holds("cidr('10.0.9.0/24').containsIP('10.0.10.0')")).isFalse();
        assertThat(holds("cidr('10.0.9.0/24').containsIP(ip('10.0.9.7'))")).isTrue();
        assertThat(holds("cidr('0.0.0.0/0').containsIP('203.0.113.9')")).isTrue();
        assertThat(holds("cidr('fd00::/8').containsIP('fd12::1')")).isTrue();
        assertThat(holds("cidr('fd00::/8').containsIP('fe80::1')")).isFalse();
    }

    @Test
    void addressesOfTheOtherFamilyAreNeverContained() {
        assertThat(holds("cidr('0.0.0.0/0').containsIP('::1')")).isFalse();
        assertThat(holds("cidr('::/0').containsIP('10.0.0.1')")).isFalse();
    }

    @Test
    void cidrContainsCidr() {
        assertThat(holds("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')")).isTrue();
        assertThat(holds("cidr('10.0.9.0/24').containsCIDR('10.0.9.0/24')")).isTrue();
        assertThat(holds("cidr('10.0.9.0/24').containsCIDR('10.0.9.128/25')")).isTrue();
        assertThat(holds("cidr('10.0.9.0/24').containsCIDR('10.0.8.0/23')")).isFalse();
        assertThat(holds("cidr('10.0.9.0/24').containsCIDR('10.0.10.0/25')")).isFalse();
        assertThat(holds("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))")).isTrue();
    }

    @Test
    void prefixLength() {
        assertThat(holds("cidr('10.0.9.0/24').prefixLength() == 24")).isTrue();
        assertThat(holds("cidr('10.0.9.8/29').prefixLength() <= 29")).isTrue();
        assertThat(holds("cidr('::1/128').prefixLength() == 128")).isTrue();
    }

    @Test
    void isCidrAndIsIp() {
        assertThat(holds("isCIDR('10.0.9.0/24')")).isTrue();
        assertThat(holds("isCIDR('2001:db8::/32')")).isTrue();
        assertThat(holds("isCIDR('10.0.9.0/33')")).isFalse();
        assertThat(holds("isCIDR('10.0.9.0')")).isFalse();
        assertThat(holds("isCIDR('::ffff:10.0.0.0/104')")).isFalse();
        assertThat(holds("isIP('10.0.9.1')")).isTrue();
        assertThat(holds("isIP('2001:db8::1')")).isTrue();
        assertThat(holds("isIP('10.0.9.01')")).isFalse();
        assertThat(holds("isIP('10.0.9.1/24')")).isFalse();
        assertThat(holds("isIP('fe80::1%eth0')")).isFalse();
        assertThat(holds("isIP('::ffff:10.0.0.1')")).isFalse();
        assertThat(holds("isIP('localhost')")).isFalse();
    }

    @Test
    void ipFamilyAndCidrIp() {
        assertThat(holds("ip('10.0.9.1').family() == 4")).isTrue();
        assertThat(holds("ip('::1').family() == 6")).isTrue();
        assertThat(holds("cidr('10.0.9.1/24').ip() == ip('10.0.9.1')")).isTrue();
        assertThat(holds("cidr('10.0.9.1/24').ip().family() == 4")).isTrue();
        assertThat(holds("cidr('10.0.9.1/24').masked() == cidr('10.0.9.0/24')")).isTrue();
        assertThat(holds("cidr('10.0.9.1/24') != cidr('10.0.9.1/24').masked()")).isTrue();
    }

    @Test
    void stringConversionIsCanonical() {
        assertThat(holds("string(ip('2001:DB8:0:0:0:0:0:1')) == '2001:db8::1'")).isTrue();
        assertThat(holds("string(cidr('10.0.9.0/24')) == '10.0.9.0/24'")).isTrue();
        assertThat(holds("ip.isCanonical('2001:db8::1')")).isTrue();
        assertThat(holds("ip.isCanonical('2001:db8:0::1')")).isFalse();
    }

    @Test
    void addressClassPredicates() {
        assertThat(holds("ip('127.0.0.1').isLoopback() && ip('::1').isLoopback()")).isTrue();
        assertThat(holds("ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified()")).isTrue();
        assertThat(holds("ip('169.254.1.1').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast()")).isTrue();
        assertThat(holds("ip('224.0.0.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast()")).isTrue();
        assertThat(holds("ip('10.0.9.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.9.0/33", "10.0.9.256/24", "banana", "10.0.9.0"})
    void aMalformedCidrIsAnEvaluationErrorNamingIt(String text) {
        assertThat(outcome("cidr('" + text + "').prefixLength() > 0")).startsWith(
                "spec: Invalid value: \"object\": network address parse error during conversion from string: ")
                .contains(text).endsWith(" evaluating rule: cidr('" + text + "').prefixLength() > 0");
    }

    @Test
    void aMalformedIpIsAnEvaluationErrorNamingIt() {
        assertThat(outcome("cidr('10.0.0.0/8').containsIP('10.0.0.300')")).isEqualTo(
                "spec: Invalid value: \"object\": IP Address \"10.0.0.300\" parse error during conversion from string:"
                        + " ParseAddr(\"10.0.0.300\"): unable to parse IP evaluating rule:"
                        + " cidr('10.0.0.0/8').containsIP('10.0.0.300')");
    }

    @Test
    void misuseIsRefusedWhenTheCrdIsLoadedAsTheApiServerRefusesTheCrd() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("cidr(1).prefixLength() > 0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compilation failed");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("ip('10.0.0.1').prefixLength() > 0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compilation failed");
    }
}
