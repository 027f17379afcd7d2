package io.swarmnet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.IpAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentEnvironmentTest {

    @Test
    void onlyTheNodeNameIsRequiredAndEverythingElseHasDocumentedDefaults() {
        AgentEnvironment env = AgentEnvironment.parse(Map.of("NODE_NAME", "worker-1"));

        assertThat(env.nodeName()).isEqualTo("worker-1");
        assertThat(env.underlayAddress()).isEmpty();
        assertThat(env.underlayMtu()).isEmpty();
        assertThat(env.logLevel()).isEqualTo("info");
        assertThat(env.httpPort()).isEqualTo(9642);
        assertThat(env.procRoot()).isEqualTo(Path.of("/proc"));
        assertThat(env.datapathPrefix()).isEqualTo("swn");
        assertThat(env.debounce()).isEqualTo(Duration.ofMillis(30));
        assertThat(env.resync()).isEqualTo(Duration.ofSeconds(60));
        assertThat(env.encryptionMode()).isEqualTo(io.swarmnet.agent.encryption.EncryptionSettings.ModeSetting.auto);
        assertThat(env.stateDirectory()).isEqualTo(Path.of("/var/lib/swarmnet"));
        assertThat(env.vxlanPort().value()).isEqualTo(4789);
        // the lighter attachment is the default (docs/node-agent.md, "Pod attachment"); veth + bridge on request
        assertThat(env.podAttachment()).isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.MACVLAN);
    }

    @Test
    void thePodAttachmentIsReadAndAnUnknownOneIsRefusedNamingTheChoices() {
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_POD_ATTACHMENT", "veth")).podAttachment())
                .isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.VETH);
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_POD_ATTACHMENT", " MACVLAN ")).podAttachment())
                .isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.MACVLAN);
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_POD_ATTACHMENT", "ipvlan")))
                .hasMessageContaining("SWARMNET_POD_ATTACHMENT 'ipvlan'").hasMessageContaining("veth, macvlan");
    }

    @Test
    void vipBalancingIsAutoUnlessAskedAndPinsNameWhereTheBalancerIsPinned() {
        AgentEnvironment defaults = AgentEnvironment.parse(Map.of("NODE_NAME", "n"));
        assertThat(defaults.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.AUTO);
        assertThat(defaults.bpfPins()).isEmpty();
        AgentEnvironment socket = AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "socket",
                "SWARMNET_BPF_PINS", "/sys/fs/bpf/swarmnet"));
        assertThat(socket.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.SOCKET);
        assertThat(socket.bpfPins()).contains(java.nio.file.Path.of("/sys/fs/bpf/swarmnet"));
        AgentEnvironment auto = AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "auto",
                "SWARMNET_BPF_PINS", "/host/bpf/swarmnet", "SWARMNET_CGROUP2_ROOT", "/host/cgroup2"));
        assertThat(auto.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.AUTO);
        assertThat(auto.bpfPins()).contains(java.nio.file.Path.of("/host/bpf/swarmnet"));
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "nft")).vipBalancing())
                .isEqualTo(io.swarmnet.agent.datapath.VipBalancing.NFT);
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "ipvs")))
                .hasMessageContaining("SWARMNET_VIP_BALANCING 'ipvs'").hasMessageContaining("nft, socket, auto");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "socket",
                "SWARMNET_BPF_PINS", "bpf/swarmnet"))).hasMessageContaining("SWARMNET_BPF_PINS 'bpf/swarmnet' must be an absolute path");
        // with nft, pins name where an earlier agent's balancer may be, to be removed
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_VIP_BALANCING", "nft",
                "SWARMNET_BPF_PINS", "/sys/fs/bpf/swarmnet")).bpfPins()).contains(java.nio.file.Path.of("/sys/fs/bpf/swarmnet"));
        assertThatThrownBy(() -> io.swarmnet.agent.datapath.VipBalancing.AUTO.layout()).hasMessageContaining("resolved");
        // the resolver process reads the same variable: without NAT for its redirect when VIPs are balanced at the socket
        assertThat(io.swarmnet.agent.dns.DnsSettings.fromEnvironment(Map.of("SWARMNET_VIP_BALANCING", "socket")).untrackedRedirect()).isTrue();
        assertThat(io.swarmnet.agent.dns.DnsSettings.fromEnvironment(Map.of()).untrackedRedirect()).isFalse();
        // with auto it waits for the agent's word (ResolverProcessTest), with NAT meanwhile
        assertThat(io.swarmnet.agent.dns.DnsSettings.fromEnvironment(Map.of("SWARMNET_VIP_BALANCING", "auto")).untrackedRedirect()).isFalse();
    }

    @Test
    void theDataPathPortIsReadAndHeldToDockersRange() {
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_DATA_PATH_PORT", "7789")).vxlanPort().value()).isEqualTo(7789);
        for (String bad : new String[] {"1023", "49152", "0"}) {
            assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_DATA_PATH_PORT", bad)))
                    .hasMessageContaining("SWARMNET_DATA_PATH_PORT " + bad).hasMessageContaining("1024..49151");
        }
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_DATA_PATH_PORT", "vxlan")))
                .hasMessageContaining("SWARMNET_DATA_PATH_PORT 'vxlan'");
    }

    @Test
    void encryptionModeAndStateDirectoryAreReadAndCheckedNamingTheVariable() {
        AgentEnvironment env = AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_ENCRYPTION_MODE", "userspace",
                "SWARMNET_STATE_DIR", "/srv/swarmnet"));
        assertThat(env.encryptionMode()).isEqualTo(io.swarmnet.agent.encryption.EncryptionSettings.ModeSetting.userspace);
        assertThat(env.stateDirectory()).isEqualTo(Path.of("/srv/swarmnet"));
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_ENCRYPTION_MODE", "ipsec")))
                .hasMessageContaining("SWARMNET_ENCRYPTION_MODE 'ipsec'").hasMessageContaining("auto, kernel, userspace");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_STATE_DIR", "state")))
                .hasMessageContaining("SWARMNET_STATE_DIR 'state'").hasMessageContaining("absolute");
    }

    @Test
    void theEspSequenceLimitDefaultsToEspsOwnAndIsCheckedNamingTheVariable() {
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n")).sequenceLimit().last()).isEqualTo(0xFFFF_FFFFL);
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_ESP_SEQUENCE_LIMIT", "1000")).sequenceLimit().last())
                .isEqualTo(1000);
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_ESP_SEQUENCE_LIMIT", "4294967296")))
                .hasMessageContaining("SWARMNET_ESP_SEQUENCE_LIMIT");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_ESP_SEQUENCE_LIMIT", "2^32")))
                .hasMessageContaining("SWARMNET_ESP_SEQUENCE_LIMIT '2^32' is not a whole number");
    }

    @Test
    void everyVariableIsRead() {
        AgentEnvironment env = AgentEnvironment.parse(Map.of("NODE_NAME", "worker-1", "SWARMNET_UNDERLAY_ADDRESS", "192.0.2.7",
                "SWARMNET_UNDERLAY_MTU", "9001", "SWARMNET_LOG_LEVEL", "DEBUG", "SWARMNET_HTTP_PORT", "-1",
                "SWARMNET_PROC_ROOT", "/host/proc", "SWARMNET_DATAPATH_PREFIX", "sx", "SWARMNET_DEBOUNCE", "5ms",
                "SWARMNET_RESYNC", "2m"));

        assertThat(env.underlayAddress()).contains(IpAddress.parse("192.0.2.7"));
        assertThat(env.underlayMtu()).hasValue(9001);
        assertThat(env.logLevel()).isEqualTo("debug");
        assertThat(env.httpPort()).isEqualTo(-1);
        assertThat(env.procRoot()).isEqualTo(Path.of("/host/proc"));
        assertThat(env.datapathPrefix()).isEqualTo("sx");
        assertThat(env.debounce()).isEqualTo(Duration.ofMillis(5));
        assertThat(env.resync()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void badValuesAreRejectedNamingTheVariableAndTheValue() {
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of())).hasMessageContaining("NODE_NAME");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_UNDERLAY_ADDRESS", "fe80::1")))
                .hasMessageContaining("SWARMNET_UNDERLAY_ADDRESS").hasMessageContaining("fe80::1");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_UNDERLAY_MTU", "500")))
                .hasMessageContaining("SWARMNET_UNDERLAY_MTU 500");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_HTTP_PORT", "http")))
                .hasMessageContaining("SWARMNET_HTTP_PORT 'http'");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_LOG_LEVEL", "loud")))
                .hasMessageContaining("loud");
        assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_DEBOUNCE", "soon")))
                .hasMessageContaining("SWARMNET_DEBOUNCE 'soon'");
    }

    @Test
    void anUnderlayMtuTooSmallForTheSmallestOverlayIsRefusedSayingWhy() {
        assertThat(AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_UNDERLAY_MTU", "626")).underlayMtu()).hasValue(626);
        for (String bad : new String[] {"625", "65536"}) {
            assertThatThrownBy(() -> AgentEnvironment.parse(Map.of("NODE_NAME", "n", "SWARMNET_UNDERLAY_MTU", bad)))
                    .hasMessage("SWARMNET_UNDERLAY_MTU " + bad + " is outside 626..65535");
        }
        // a measured MTU (no variable set) meets the same floor when the agent is configured
        assertThatThrownBy(() -> AgentConfig.forNode(new io.swarmnet.agent.desired.NodeFacts("n", IpAddress.parse("192.0.2.7"), 625)))
                .hasMessage("node n: underlay MTU 625 leaves no room for VXLAN's 50 bytes above IPv4's minimum 576; set the interface "
                        + "MTU or SWARMNET_UNDERLAY_MTU");
    }
}
