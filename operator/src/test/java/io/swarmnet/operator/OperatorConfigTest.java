package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.ipam.VniRange;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

    @Test
    void emptyEnvironmentGivesDocumentedDefaults() {
        OperatorConfig c = OperatorConfig.defaults();
        assertThat(c.addressPools()).containsExactly(Cidr.parse("10.0.0.0/8"));
        assertThat(c.poolSubnetSize()).isEqualTo(24);
        assertThat(c.excludedCidrs()).contains(Cidr.parse("10.96.0.0/12"), Cidr.parse("10.244.0.0/16"));
        assertThat(c.clusterDomain()).isEqualTo("cluster.local");
        assertThat(c.operatorNamespace()).isEqualTo("swarmnet-system");
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.leaderElection()).isTrue();
        assertThat(c.leaseName()).isEqualTo("swarmnet-operator");
        assertThat(c.keyRotationInterval()).isEqualTo(Duration.ofHours(12));
        assertThat(c.addressWarningPercent()).isEqualTo(90);
        assertThat(c.attachWait().enabled()).as("no image, no init container").isFalse();
        assertThat(c.vxlanIdRange()).hasToString("1048576-16777215");
    }

    @Test
    void theImageTurnsOnTheInitContainerThatWaitsForTheAttachment() {
        OperatorConfig c = OperatorConfig.fromEnvironment(Map.of("SWARMNET_IMAGE", "swarmnet/swarmnet:dev",
                "SWARMNET_IMAGE_PULL_POLICY", "Never", "SWARMNET_ATTACH_TIMEOUT", "45s"));
        assertThat(c.attachWait().enabled()).isTrue();
        assertThat(c.attachWait().image()).isEqualTo("swarmnet/swarmnet:dev");
        assertThat(c.attachWait().pullPolicy()).isEqualTo("Never");
        assertThat(c.attachWait().timeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(OperatorConfig.fromEnvironment(Map.of("SWARMNET_IMAGE", "x")).attachWait().timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_IMAGE_PULL_POLICY", "Sometimes")))
                .hasMessageContaining("SWARMNET_IMAGE_PULL_POLICY='Sometimes'").hasMessageContaining("IfNotPresent");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_ATTACH_TIMEOUT", "0s")))
                .hasMessageContaining("SWARMNET_ATTACH_TIMEOUT");
    }

    @Test
    void readsEveryVariable() {
        OperatorConfig c = OperatorConfig.fromEnvironment(Map.ofEntries(
                Map.entry("SWARMNET_ADDRESS_POOLS", "172.20.0.0/14, 192.168.128.0/17"),
                Map.entry("SWARMNET_POOL_SUBNET_SIZE", "26"),
                Map.entry("SWARMNET_EXCLUDED_CIDRS", ""),
                Map.entry("SWARMNET_CLUSTER_DOMAIN", "k8s.example"),
                Map.entry("POD_NAMESPACE", "ops"),
                Map.entry("SWARMNET_WATCH_NAMESPACES", "a,b"),
                Map.entry("SWARMNET_LOG_LEVEL", "debug"),
                Map.entry("SWARMNET_HTTP_PORT", "9090"),
                Map.entry("SWARMNET_LEADER_ELECTION", "false"),
                Map.entry("SWARMNET_LEASE_NAME", "x"),
                Map.entry("SWARMNET_KEY_ROTATION_INTERVAL", "30m"),
                Map.entry("SWARMNET_ADDRESS_WARNING_PERCENT", "80"),
                Map.entry("SWARMNET_RECONCILE_THREADS", "4"),
                Map.entry("SWARMNET_VXLAN_ID_RANGE", "20000-29999")));
        assertThat(c.addressPools()).containsExactly(Cidr.parse("172.20.0.0/14"), Cidr.parse("192.168.128.0/17"));
        assertThat(c.poolSubnetSize()).isEqualTo(26);
        // blank means "use the default", as for every variable
        assertThat(c.excludedCidrs()).isNotEmpty();
        assertThat(OperatorConfig.fromEnvironment(Map.of("SWARMNET_EXCLUDED_CIDRS", "none")).excludedCidrs()).isEmpty();
        assertThat(c.clusterDomain()).isEqualTo("k8s.example");
        assertThat(c.operatorNamespace()).isEqualTo("ops");
        assertThat(c.watchNamespaces()).containsExactly("a", "b");
        assertThat(c.logLevel()).isEqualTo("DEBUG");
        assertThat(c.httpPort()).isEqualTo(9090);
        assertThat(c.leaderElection()).isFalse();
        assertThat(c.keyRotationInterval()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.addressWarningPercent()).isEqualTo(80);
        assertThat(c.reconcileThreads()).isEqualTo(4);
        assertThat(c.vxlanIdRange()).isEqualTo(VniRange.parse("20000-29999"));
    }

    @Test
    void explicitOperatorNamespaceWinsOverPodNamespace() {
        assertThat(OperatorConfig.fromEnvironment(Map.of("POD_NAMESPACE", "a", "SWARMNET_OPERATOR_NAMESPACE", "b"))
                .operatorNamespace()).isEqualTo("b");
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_ADDRESS_POOLS", "10.0.0.1/8")))
                .hasMessageContaining("SWARMNET_ADDRESS_POOLS").hasMessageContaining("host bits");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_POOL_SUBNET_SIZE", "31")))
                .hasMessageContaining("SWARMNET_POOL_SUBNET_SIZE=31");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_ADDRESS_POOLS", "10.0.0.0/25")))
                .hasMessageContaining("smaller than one /24");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_LEADER_ELECTION", "maybe")))
                .hasMessageContaining("SWARMNET_LEADER_ELECTION='maybe'");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_KEY_ROTATION_INTERVAL", "soon")))
                .hasMessageContaining("12h");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_HTTP_PORT", "http")))
                .hasMessageContaining("SWARMNET_HTTP_PORT");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_VXLAN_ID_RANGE", "4096")))
                .hasMessageContaining("SWARMNET_VXLAN_ID_RANGE").hasMessageContaining("'4096'").hasMessageContaining("first-last");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("SWARMNET_VXLAN_ID_RANGE", "5000-4000")))
                .hasMessageContaining("SWARMNET_VXLAN_ID_RANGE").hasMessageContaining("empty");
    }

    @Test
    void copiesChangeOnlyWhatTheyName() {
        OperatorConfig c = OperatorConfig.defaults().withPools(List.of(Cidr.parse("10.1.0.0/16")), 28, List.of());
        assertThat(c.addressPools()).containsExactly(Cidr.parse("10.1.0.0/16"));
        assertThat(c.poolSubnetSize()).isEqualTo(28);
        assertThat(c.excludedCidrs()).isEmpty();
        assertThat(c.withHttpPort(0).httpPort()).isZero();
        assertThat(c.withLeaderElection(false).leaderElection()).isFalse();
    }
}
