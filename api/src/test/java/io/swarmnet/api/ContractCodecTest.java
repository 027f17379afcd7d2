package io.swarmnet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContractCodecTest {

    @Test
    void taskAddressesRoundTrip() {
        TaskAddresses addresses = new TaskAddresses(Map.of("my-network", IpAddress.parse("10.0.9.3"), "b", IpAddress.parse("10.0.1.2")));
        assertThat(addresses.format()).isEqualTo("{\"b\":\"10.0.1.2\",\"my-network\":\"10.0.9.3\"}");
        assertThat(TaskAddresses.parse(addresses.format())).isEqualTo(addresses);
        assertThat(TaskAddresses.parse(null).byNetwork()).isEmpty();
    }

    @Test
    void taskAddressesAreReadAlikeWhateverTheJsonLooksLike() {
        TaskAddresses two = new TaskAddresses(Map.of("front", IpAddress.parse("10.0.9.3"), "infra/proxy", IpAddress.parse("10.0.10.7")));
        for (String same : List.of("{\"front\":\"10.0.9.3\",\"infra/proxy\":\"10.0.10.7\"}",
                "{\"infra/proxy\":\"10.0.10.7\",\"front\":\"10.0.9.3\"}",
                "{ \"front\" : \"10.0.9.3\",\n  \"infra/proxy\": \"10.0.10.7\" }",
                "{\"fr\\u006fnt\":\"10.0.9.3\",\"infra\\/proxy\":\"10.0.10.7\"}")) {
            assertThat(TaskAddresses.parse(same)).as(same).isEqualTo(two);
        }
        assertThat(TaskAddresses.parse("{}").byNetwork()).isEmpty();
        // a name given twice: the JSON parser's reading (the last one)
        assertThat(TaskAddresses.parse("{\"front\":\"10.0.9.3\",\"front\":\"10.0.9.4\"}").byNetwork())
                .containsExactly(Map.entry("front", IpAddress.parse("10.0.9.4")));
        for (String bad : List.of("{\"front\":\"10.0.9.3\",}", "{\"front\":\"10.0.9.3\"", "{\"front\":\"10.0.9.3\"x}",
                "{\"front\":10}", "{\"front\"}", "{\"front\":\"10.0.9.3\",\"back\"}", "{\"fr\nont\":\"10.0.9.3\"}")) {
            assertThatThrownBy(() -> TaskAddresses.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void malformedTaskAddressesNameTheAnnotation() {
        assertThatThrownBy(() -> TaskAddresses.parse("[1,2]")).hasMessageContaining("swarmnet.io/addresses");
        assertThatThrownBy(() -> TaskAddresses.parse("{\"n\":\"10.0.0.300\"}")).hasMessageContaining("10.0.0.300");
    }

    @Test
    void nodeNetworkStatesRoundTrip() {
        NodeNetworkStates states = new NodeNetworkStates(Map.of(
                NodeNetworkStates.key("default", "my-network"),
                new NodeNetworkState(4096, 2, 1, NodeNetworkState.Encryption.Failed, null, "kernel has no ESP"),
                NodeNetworkStates.key("default", "secret"),
                new NodeNetworkState(4097, 1, 1, NodeNetworkState.Encryption.Established, NodeNetworkState.EncryptionMode.Userspace, null)));
        assertThat(states.format()).contains("\"encryptionMode\":\"Userspace\"");
        assertThat(NodeNetworkStates.parse(states.format())).isEqualTo(states);
        assertThat(NodeNetworkStates.parse("garbage").byNetwork()).isEmpty();
    }

    @Test
    void nodeNetworkStatesWithoutEncryptionModeStillParse() {
        // what agents wrote before they reported how they encrypt
        NodeNetworkStates old = NodeNetworkStates.parse(
                "{\"default/secret\":{\"vxlanId\":4097,\"localTasks\":1,\"peers\":2,\"encryption\":\"Established\"}}");
        assertThat(old.byNetwork()).containsExactly(Map.entry("default/secret",
                new NodeNetworkState(4097, 1, 2, NodeNetworkState.Encryption.Established, null, null)));
        assertThat(new NodeNetworkState(4097, 1, 2, NodeNetworkState.Encryption.Established, null).encryptionMode()).isNull();
    }

    @Test
    void fieldsOfANewerAgentAreIgnoredNotFatal() {
        // an operator older than its agents still reads what it knows of their reports
        NodeNetworkStates newer = NodeNetworkStates.parse(
                "{\"default/secret\":{\"vxlanId\":4097,\"localTasks\":1,\"peers\":2,\"encryption\":\"Established\",\"futureField\":7}}");
        assertThat(newer.byNetwork()).containsExactly(Map.entry("default/secret",
                new NodeNetworkState(4097, 1, 2, NodeNetworkState.Encryption.Established, null, null)));
    }
}
