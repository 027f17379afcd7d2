package io.swarmnet.operator.network;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.operator.TestCluster;
import java.util.function.Consumer;

/** The embedded API with the operator running on it, and the OverlayNetwork verbs the network tests use. */
final class OperatorOnTestCluster implements AutoCloseable {

    static final String NS = "default";

    private final TestCluster cluster;
    private final OperatorConfig config;
    private SwarmnetOperator operator;

    private OperatorOnTestCluster(OperatorConfig config) {
        this.cluster = TestCluster.start();
        this.config = config;
        startOperator();
    }

    static OperatorOnTestCluster start(OperatorConfig config) {
        return new OperatorOnTestCluster(config);
    }

    KubernetesClient client() {
        return cluster.client();
    }

    SwarmnetOperator operator() {
        return operator;
    }

    void startOperator() {
        operator = SwarmnetOperator.start(cluster.client(), config);
    }

    void stopOperator() {
        operator.close();
        operator = null;
    }

    OverlayNetwork create(String name, Consumer<OverlayNetworkSpec> spec) {
        OverlayNetwork n = new OverlayNetwork();
        n.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName(name).build());
        spec.accept(n.getSpec());
        return cluster.client().resource(n).create();
    }

    OverlayNetwork get(String name) {
        return cluster.client().resources(OverlayNetwork.class).inNamespace(NS).withName(name).get();
    }

    /** The network's condition of that type, or null while it has none (or the network is gone). */
    Condition condition(String name, String type) {
        OverlayNetwork n = get(name);
        return n == null || n.getStatus() == null ? null : Conditions.find(n.getStatus().getConditions(), type);
    }

    @Override
    public void close() {
        if (operator != null) {
            operator.close();
        }
        cluster.close();
    }
}
