package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.VirtualIP;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Concurrent reconciles share one ledger: many services created at once must never share an address. */
class ManyServicesTest {

    private static final int SERVICES = 500;
    private static final int TASKS = 4;

    @Test
    void fiveHundredServicesCreatedAtOnceNeverShareAnAddress() throws Exception {
        try (ServiceFixture cluster = new ServiceFixture("many")) {
            cluster.network("big", "10.20.0.0/20", true);
            long begin = System.nanoTime();
            ExecutorService creators = Executors.newFixedThreadPool(8);
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < SERVICES; i++) {
                String name = String.format("svc-%03d", i);
                created.add(creators.submit(() -> cluster.service(name, TASKS, List.of("big"), spec -> { })));
            }
            for (Future<?> f : created) {
                f.get();
            }
            creators.shutdown();

            ServiceFixture.eventually(Duration.ofMinutes(4), Duration.ofSeconds(1), SERVICES * TASKS + " task pods and "
                    + SERVICES + " virtual IPs", () -> taskPods(cluster).size() == SERVICES * TASKS
                    && virtualIPs(cluster).size() == SERVICES);
            double seconds = (System.nanoTime() - begin) / 1e9;
            System.out.printf("%d services x %d tasks: all pods and VIPs allocated in %.1f s (%.0f tasks/s)%n",
                    SERVICES, TASKS, seconds, SERVICES * TASKS / seconds);

            Cidr subnet = cluster.subnetOf("big");
            IpAddress gateway = cluster.gatewayOf("big");
            List<IpAddress> taskAddresses = taskPods(cluster).stream().map(p -> ServiceFixture.addressOf(p, "big")).toList();
            List<IpAddress> vips = virtualIPs(cluster);
            Set<IpAddress> all = new HashSet<>(taskAddresses);
            all.addAll(vips);
            assertThat(all).as("no address used twice").hasSize(SERVICES * TASKS + SERVICES);
            assertThat(all).allMatch(subnet::contains).doesNotContain(gateway);
            assertThat(cluster.operator.ledger().holdings("many", "big")).hasSize(SERVICES * TASKS + SERVICES);
        }
    }

    private static List<Pod> taskPods(ServiceFixture cluster) {
        return cluster.client.pods().inNamespace("many").withLabel(SwarmnetKeys.LABEL_SERVICE).list().getItems();
    }

    private static List<IpAddress> virtualIPs(ServiceFixture cluster) {
        List<IpAddress> vips = new ArrayList<>();
        for (SwarmService s : cluster.client.resources(SwarmService.class).inNamespace("many").list().getItems()) {
            if (s.getStatus() != null) {
                for (VirtualIP v : s.getStatus().getVirtualIPs()) {
                    vips.add(IpAddress.parse(v.getAddress()));
                }
            }
        }
        return vips;
    }
}
