package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceFixture.addressOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * examples/shared-networks/proxy.yaml as written, applied to the embedded API server (with the CRDs' schema) and the whole
 * operator: both namespaces' services run on infra's proxy network with addresses from its one range.
 */
class SharedNetworkExampleTest {

    private static final Path EXAMPLE = Path.of("../examples/shared-networks/proxy.yaml");

    @Test
    void theSharedProxyExampleRunsBothNamespacesServicesOnOneNetwork() throws IOException {
        try (ServiceFixture cluster = new ServiceFixture("example");
             InputStream in = Files.newInputStream(EXAMPLE)) {
            List<HasMetadata> objects = cluster.client.load(in).items();
            assertThat(objects).extracting(HasMetadata::getKind)
                    .containsExactly("Namespace", "Namespace", "OverlayNetwork", "SwarmService", "SwarmService");
            objects.forEach(o -> cluster.client.resource(o).create());
            try (FakeKubelet infra = new FakeKubelet(cluster.client, "infra").startAutomatically();
                 FakeKubelet shop = new FakeKubelet(cluster.client, "shop").startAutomatically()) {
                cluster.eventually("edge and web are Ready", () -> {
                    cluster.namespace = "infra";
                    boolean edge = cluster.hasCondition("edge", "Ready", "True", "AllTasksReady");
                    cluster.namespace = "shop";
                    return edge && cluster.hasCondition("web", "Ready", "True", "AllTasksReady");
                });
                cluster.namespace = "infra";
                Cidr subnet = cluster.subnetOf("proxy");
                Set<IpAddress> addresses = new HashSet<>();
                cluster.pods("edge").forEach(p -> addresses.add(addressOf(p, "proxy")));
                cluster.namespace = "shop";
                List<Pod> web = cluster.pods("web");
                assertThat(web).hasSize(2);
                web.forEach(p -> addresses.add(addressOf(p, "infra/proxy")));
                assertThat(addresses).hasSize(3).allSatisfy(a -> assertThat(subnet.contains(a)).isTrue());
                assertThat(cluster.get("web").getStatus().getNetworkNames()).isEqualTo("infra/proxy");
            }
        }
    }
}
