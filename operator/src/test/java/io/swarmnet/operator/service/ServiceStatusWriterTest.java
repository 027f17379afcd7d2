package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.TestCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceStatusWriterTest {

    private final ServiceStatusWriter writer = new ServiceStatusWriter();

    private static SwarmService create(KubernetesClient client) {
        return client.resource(TestServices.web()).create();
    }

    private static SwarmServiceStatus status(int replicas, List<VirtualIP> virtualIPs) {
        return ServiceStatusReport.build("web", 1, replicas, replicas, replicas, List.of("front"), virtualIPs, List.of(), List.of());
    }

    private static SwarmServiceStatus onServer(KubernetesClient client) {
        return client.resources(SwarmService.class).inNamespace("default").withName("web").get().getStatus();
    }

    @Test
    void writesTheWholeStatusWhenItDiffersFromTheServicesAndNothingWhenItIsTheSame() {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            SwarmService created = create(client);

            writer.write(client, created, status(2, List.of(new VirtualIP("front", "10.0.9.100"))));
            SwarmService seen = client.resources(SwarmService.class).inNamespace("default").withName("web").get();
            assertThat(seen.getStatus().getReplicas()).isEqualTo(2);
            assertThat(seen.getStatus().getVirtualIPs()).extracting(VirtualIP::getAddress).containsExactly("10.0.9.100");

            // a change on the server that the service in hand does not show: the same status again sends nothing
            SwarmService changed = client.resources(SwarmService.class).inNamespace("default").withName("web").get();
            changed.getStatus().setReplicas(5);
            client.resource(changed).updateStatus();
            writer.write(client, seen, status(2, List.of(new VirtualIP("front", "10.0.9.100"))));
            assertThat(onServer(client).getReplicas()).isEqualTo(5);

            // a different one replaces the whole status, lists included
            writer.write(client, seen, status(3, List.of()));
            assertThat(onServer(client).getReplicas()).isEqualTo(3);
            assertThat(onServer(client).getVirtualIPs()).isEmpty();
        }
    }

    @Test
    void theStatusLastWrittenCountsUntilTheServiceIsForgotten() {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            SwarmService cached = create(client);
            SwarmServiceStatus stale = status(1, List.of());
            cached.setStatus(stale);
            assertThat(writer.last(cached)).as("nothing written yet: what the service shows").isSameAs(stale);

            SwarmServiceStatus written = status(2, List.of());
            writer.write(client, cached, written);
            assertThat(writer.last(cached)).as("the cache lags behind the write").isSameAs(written);

            writer.forget(cached);
            assertThat(writer.last(cached)).isSameAs(stale);
        }
    }
}
