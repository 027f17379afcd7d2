package io.swarmnet.sandboxapi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput and watch latency of the embedded API through the fabric8 client, printed, not asserted.
 * Run: {@code mvn -pl sandbox-api test -Dgroups=benchmark -DexcludedGroups=none -Dtest=SandboxApiBenchmark}
 */
@Tag("benchmark")
class SandboxApiBenchmark {

    private static final int SERVICES = 100;
    private static final int TASKS = 20;
    private static final int THREADS = 8;

    @Test
    void createsListsWatchesAndCollects() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            Map<String, Long> created = new ConcurrentHashMap<>();
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            var informer = client.pods().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    Long start = created.get(pod.getMetadata().getName());
                    if (start != null) {
                        latencies.add(System.nanoTime() - start);
                    }
                }

                @Override
                public void onUpdate(Pod oldPod, Pod newPod) {
                }

                @Override
                public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                }
            });
            List<GenericKubernetesResource> services = new ArrayList<>();
            for (int s = 0; s < SERVICES; s++) {
                services.add(Objects.services(client).resource(Objects.service("bench-" + s, TASKS)).create());
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            long start = System.nanoTime();
            List<Future<?>> writes = new ArrayList<>();
            for (GenericKubernetesResource service : services) {
                for (int t = 1; t <= TASKS; t++) {
                    String name = service.getMetadata().getName() + "-" + t;
                    writes.add(pool.submit(() -> {
                        created.put(name, System.nanoTime());
                        client.pods().resource(new PodBuilder(ObjectSemanticsTest.pod(name)).editMetadata()
                                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("swarmnet.io/v1alpha1")
                                        .withKind("SwarmService").withName(service.getMetadata().getName())
                                        .withUid(service.getMetadata().getUid()).withController(true).build())
                                .endMetadata().build()).create();
                    }));
                }
            }
            for (Future<?> write : writes) {
                write.get();
            }
            double createSeconds = (System.nanoTime() - start) / 1e9;
            int pods = SERVICES * TASKS;
            Eventually.await("informer saw every pod", Duration.ofSeconds(60), () -> latencies.size() >= pods);

            long listStart = System.nanoTime();
            int listed = client.pods().list().getItems().size();
            double listMillis = (System.nanoTime() - listStart) / 1e6;

            long patchStart = System.nanoTime();
            List<Future<?>> patches = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                String name = "bench-" + (i % SERVICES) + "-" + (1 + i % TASKS);
                int round = i;
                patches.add(pool.submit(() -> client.pods().withName(name).edit(p -> new PodBuilder(p).editMetadata()
                        .addToLabels("round", Integer.toString(round)).endMetadata().build())));
            }
            for (Future<?> patch : patches) {
                patch.get();
            }
            double patchSeconds = (System.nanoTime() - patchStart) / 1e9;

            long gcStart = System.nanoTime();
            for (GenericKubernetesResource service : services) {
                Objects.services(client).withName(service.getMetadata().getName()).delete();
            }
            Eventually.await("garbage collector removed every pod", Duration.ofSeconds(120),
                    () -> client.pods().list().getItems().isEmpty());
            double gcSeconds = (System.nanoTime() - gcStart) / 1e9;
            pool.shutdown();
            informer.close();

            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf("sandbox-api benchmark (%d cores, load %s):%n", Runtime.getRuntime().availableProcessors(),
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.printf("  create %d pods from %d threads: %.1f s, %.0f creates/s%n", pods, THREADS, createSeconds, pods / createSeconds);
            System.out.printf("  informer ADDED latency after create: p50 %.1f ms, p99 %.1f ms%n",
                    sorted.get(sorted.size() / 2) / 1e6, sorted.get(sorted.size() * 99 / 100) / 1e6);
            System.out.printf("  list %d pods: %.0f ms%n", listed, listMillis);
            System.out.printf("  1000 read-modify-write edits from %d threads: %.1f s, %.0f edits/s%n", THREADS, patchSeconds, 1000 / patchSeconds);
            System.out.printf("  delete %d services -> garbage collector deletes %d pods: %.1f s%n", SERVICES, pods, gcSeconds);
        }
    }
}
