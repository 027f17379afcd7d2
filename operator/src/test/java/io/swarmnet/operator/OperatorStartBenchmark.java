package io.swarmnet.operator;

import static io.swarmnet.operator.TestCluster.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How long a cold operator start takes to adopt 1,000 services x 10 tasks that
 * already exist in the API, and how many reconciles per second it does. Prints numbers; run on
 * purpose (docs/benchmarks.md, "Operator"):
 * {@code mvn -pl operator test -Dgroups=benchmark -DexcludedGroups=none -Dtest=OperatorStartBenchmark}
 * Sizes: {@code -Dbench.services=1000 -Dbench.tasks=10}.
 *
 * <p>On a real API server (with etcd): {@code -Dbench.kubeconfig=/var/lib/swarmnet-cluster/admin.kubeconfig} — the
 * cold start test then runs against that cluster (e.g. {@code ./swarmnet cluster up}, no chart installed: the
 * benchmark applies the repository's CRDs and runs the operators itself) in a namespace of its own, deleted at the
 * end; the tasks name a scheduler that does not exist ({@value #NO_SCHEDULER}), so they stay Pending, untouched by
 * the cluster's scheduler and kubelets, as they would be in a cluster too full to place them.
 *
 * <p>On the embedded API the requests of the cold start are counted as the clients send them, and
 * {@code -Dbench.agentlessNodes=1} adds a node no agent serves, as on a cluster without the chart.
 *
 * <p>100,000 tasks: {@code -Dbench.services=10000 -DargLine=-Xmx12g -Dbench.log=/tmp/operator-start.log}. Progress (tasks with addresses, per second) is printed every 30 s
 * while the first operator creates them; at the end the benchmark JVM's resident set and its heap after a GC, before
 * the cold start (the first operator closed) and after it (the second operator's caches), are printed.
 * {@code -Dbench.coldStarts=3} runs three cold starts on the same objects, one after another; {@code -Dbench.jfr=FILE}
 * records the first with Flight Recorder; {@code -Dbench.reuse=true} (real API server) keeps the objects for the next run.
 * {@code -Dbench.watchList=true} has the new operator's informers stream their initial objects (watch-list) instead of listing them.
 */
@Tag("benchmark")
class OperatorStartBenchmark {

    private static final int SERVICES = Integer.getInteger("bench.services", 1000);
    private static final int TASKS = Integer.getInteger("bench.tasks", 10);
    private static final String KUBECONFIG = System.getProperty("bench.kubeconfig", "");
    private static final String NS = KUBECONFIG.isEmpty() ? "default" : "swarmnet-bench";
    /** No scheduler of this name runs: a real cluster leaves the benchmark's tasks Pending and writes nothing to them. */
    static final String NO_SCHEDULER = "swarmnet-benchmark-no-scheduler";
    /**
     * Nodes without a swarmnet agent to put into the embedded API ({@code -Dbench.agentlessNodes=1}), as a cluster without the
     * chart has: every service is then blocked with NoEligibleNode and says so in its status and a Warning Event.
     */
    private static final int AGENTLESS_NODES = Integer.getInteger("bench.agentlessNodes", 0);
    /**
     * Cold starts to run one after another on the same objects ({@code -Dbench.coldStarts=3}): each a new operator adopting
     * everything, then closed — several figures for one creation, which takes minutes at 100,000 tasks.
     */
    private static final int COLD_STARTS = Integer.getInteger("bench.coldStarts", 1);
    /**
     * With a real API server, {@code -Dbench.reuse=true} leaves the namespace and everything in it at the end, and a run that
     * finds it there (holding the sizes asked for) goes straight to the cold starts: creating 100,000 tasks takes minutes.
     */
    private static final boolean REUSE = Boolean.getBoolean("bench.reuse");

    /**
     * With {@code -Dbench.log=FILE}, everything printed is also appended to that file as it is printed (surefire hands a
     * test's output over only when the test ends; a run at 100,000 tasks takes many minutes).
     */
    @org.junit.jupiter.api.BeforeAll
    static void copyOutputToTheLog() throws java.io.IOException {
        String log = System.getProperty("bench.log", "");
        if (log.isEmpty()) {
            return;
        }
        java.io.OutputStream file = java.nio.file.Files.newOutputStream(java.nio.file.Path.of(log),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                original.write(b);
                file.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                original.write(b, off, len);
                file.write(b, off, len);
            }

            @Override
            public void flush() throws java.io.IOException {
                original.flush();
                file.flush();
            }
        }, true, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void coldStartAdoptsExistingServicesAndTasks() throws Exception {
        OperatorConfig config = OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false);
        try (Api cluster = Api.start()) {
            KubernetesClient client = cluster.client();
            int expectedPods = SERVICES * TASKS;
            System.out.printf("%nBENCHMARK operator: API server %s; this JVM sees %d CPUs, its common pool has %d threads%n",
                    cluster.describe(), Runtime.getRuntime().availableProcessors(), java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());

            if (cluster.reused()) {
                System.out.printf("BENCHMARK operator: reusing the services and tasks a previous run left in namespace %s%n", NS);
            } else {
                populate(cluster, config);
            }

            Map<String, String> podsBefore = podFingerprints(client);
            Map<String, String> vipsBefore = vips(client);
            assertThat(podsBefore).hasSize(expectedPods);

            for (int round = 1; round <= COLD_STARTS; round++) {
                coldStart(cluster, config, round, podsBefore, vipsBefore);
            }
        }
    }

    /** Creates the network and the services through a first operator, as a real cluster would have been populated, and closes it. */
    private static void populate(Api cluster, OperatorConfig config) throws Exception {
        KubernetesClient client = cluster.client();
        int expectedPods = SERVICES * TASKS;
        // --- populate the cluster through a first operator, as a real cluster would have been populated
        SwarmnetOperator first = SwarmnetOperator.start(client, config);
        OverlayNetwork network = new OverlayNetwork();
        network.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("bench").build());
        // room for every task and VIP: a /16 holds 65,534, fewer than 100,000 tasks
        network.getSpec().setSubnet(SERVICES * (TASKS + 1) < 60_000 ? "10.128.0.0/16" : "10.128.0.0/14");
        client.resource(network).create();
        eventually(Duration.ofSeconds(60), "network bench is Ready", () -> client.resources(OverlayNetwork.class).inNamespace(NS)
                .withName("bench").get().getStatus().getSubnet() != null);

        Map<String, Double> requestsBefore = cluster.requests();
        double apiCpuBefore = cpuSeconds("kube-apiserver");
        double etcdCpuBefore = cpuSeconds("localkube etcd");
        long populateStart = System.nanoTime();
        ExecutorService creators = Executors.newFixedThreadPool(4);
        for (int i = 0; i < SERVICES; i++) {
            String name = String.format("svc-%04d", i);
            creators.submit(() -> client.resource(service(name)).create());
        }
        creators.shutdown();
        assertThat(creators.awaitTermination(10, TimeUnit.MINUTES)).isTrue();
        double createSeconds = seconds(populateStart);
        Progress progress = new Progress(() -> first.ledger().inUse(NS, "bench") - SERVICES, expectedPods);
        eventually(Duration.ofMinutes(60), expectedPods + " tasks have addresses", () -> progress.poll() >= expectedPods);
        // listing every task is costly at 100,000: once a second at most
        eventually(Duration.ofMinutes(20), expectedPods + " task pods exist", () -> progress.seldom()
                && taskPods(client).size() == expectedPods);
        double populateSeconds = seconds(populateStart);
        double firstReconciles = first.metrics().succeeded(SwarmService.KIND);
        if (!KUBECONFIG.isEmpty() && apiCpuBefore >= 0) {
            double api = cpuSeconds("kube-apiserver") - apiCpuBefore;
            double etcd = cpuSeconds("localkube etcd") - etcdCpuBefore;
            System.out.printf("BENCHMARK operator, first start: CPU meanwhile: kube-apiserver %.1f s (%.2f ms per task), etcd %.1f s, "
                    + "this JVM (operator and test) %.1f s; %d cores%n", api, api * 1000 / expectedPods, etcd, jvmCpuSeconds(),
                    Runtime.getRuntime().availableProcessors());
        }
        System.out.printf("%nBENCHMARK operator, first start: %d services x %d tasks created in %.1f s (API writes of the services: %.1f s); "
                + "%.0f SwarmService reconciles, %.1f reconciles/s, %.0f pods/s%n", SERVICES, TASKS, populateSeconds, createSeconds,
                firstReconciles, firstReconciles / populateSeconds, expectedPods / populateSeconds);
        System.out.printf("BENCHMARK operator, first start: reconcile time swarmservice %s, overlaynetwork %s%n",
                first.metrics().reconcileTimes("swarmservice"), first.metrics().reconcileTimes("overlaynetwork"));
        // the first operator's last status writes must be done before the cold start, or it measures their catching up
        long quiet = System.nanoTime();
        settle(first);
        System.out.printf("BENCHMARK operator, first start: statuses settled %.1f s later%n", seconds(quiet));
        printRequests(cluster, "first start, creating and settling", requestsBefore);
        Thread.sleep(2000);
        first.close();
    }

    /**
     * One cold start: a new operator adopts everything, is checked to have recreated and renumbered nothing, and is
     * closed. With {@code -Dbench.jfr=FILE} the first cold start is recorded with Flight Recorder (profile settings) into
     * that file.
     */
    private static void coldStart(Api cluster, OperatorConfig config, int round, Map<String, String> podsBefore,
                                  Map<String, String> vipsBefore) throws Exception {
        KubernetesClient client = cluster.client();
        int expectedPods = SERVICES * TASKS;
        long heapBefore = heapAfterGc();
        String which = COLD_STARTS == 1 ? "cold start" : "cold start " + round + " of " + COLD_STARTS;
        System.out.printf("BENCHMARK operator, %s begins; load average %s%n", which, loadAverage());
        String jfr = System.getProperty("bench.jfr", "");
        jdk.jfr.Recording recording = null;
        if (round == 1 && !jfr.isEmpty()) {
            recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            recording.setDestination(java.nio.file.Path.of(jfr));
            recording.start();
        }
        // -Dbench.watchList=true: the new operator's informers ask for their initial objects as a stream of watch events
        // (sendInitialEvents, the API server's watch-list) instead of lists; the client's setting is read as each informer is made
        boolean watchList = Boolean.getBoolean("bench.watchList");
        client.getConfiguration().setWatchList(watchList);
        System.out.printf("BENCHMARK operator, %s: informers %s%n", which,
                watchList ? "stream their initial objects (watch-list)" : "list their initial objects");
        Map<String, Double> requestsBefore = cluster.requests();
        double coldApiCpu = cpuSeconds("kube-apiserver");
        double coldJvmCpu = jvmCpuSeconds();
        long[] gcBefore = garbageCollections();
        long coldStart = System.nanoTime();
        Started started = Started.waitingFor(client, config, SwarmService.KIND, SERVICES, Duration.ofMinutes(20));
        SwarmnetOperator operator = started.operator();
        double startedSeconds = started.synced();
        double adoptSeconds = started.all();
        if (recording != null) {
            recording.stop();
            recording.close();
            System.out.printf("BENCHMARK operator, %s: recorded with Flight Recorder into %s%n", which, jfr);
        }
        long[] gcAfter = garbageCollections();
        double reconcileSeconds = adoptSeconds - startedSeconds;
        // reconciles begin while start() waits for the last informers, so they can all be done by the time it returns
        System.out.printf("BENCHMARK operator, %s adopting %d services x %d tasks (%d pods): ledger rebuilt and informers synced "
                        + "in %.2f s; all services reconciled after %.2f s (%s)%n", which, SERVICES, TASKS, expectedPods, startedSeconds,
                adoptSeconds, reconcileSeconds < 0.05 ? "all of them by the time the start returned"
                        : String.format("%.1f SwarmService reconciles/s after the start returned", SERVICES / reconcileSeconds));
        // with -DargLine=-Xmx… as a container limit would set it, this says what the start's transient memory costs
        System.out.printf("BENCHMARK operator, %s: garbage collections until every service was reconciled: %d, %.2f s in them "
                + "(max heap %.0f MB)%n", which, gcAfter[0] - gcBefore[0], (gcAfter[1] - gcBefore[1]) / 1e3,
                Runtime.getRuntime().maxMemory() / 1e6);
        System.out.printf("BENCHMARK operator, %s: reconcile time swarmservice %s, overlaynetwork %s%n", which,
                operator.metrics().reconcileTimes("swarmservice"), operator.metrics().reconcileTimes("overlaynetwork"));
        Thread.sleep(2000);
        double total = operator.metrics().succeeded(SwarmService.KIND) + operator.metrics().succeeded(OverlayNetwork.KIND);
        System.out.printf("BENCHMARK operator, %s: %.0f reconciles in total (services and networks) within %.1f s of start%n%n",
                which, total, seconds(coldStart));
        if (!KUBECONFIG.isEmpty() && coldApiCpu >= 0) {
            System.out.printf("BENCHMARK operator, %s: CPU meanwhile: kube-apiserver %.1f s, this JVM %.1f s%n",
                    which, cpuSeconds("kube-apiserver") - coldApiCpu, jvmCpuSeconds() - coldJvmCpu);
        }
        printRequests(cluster, which, requestsBefore);

        long heapAfter = heapAfterGc();
        System.out.printf("BENCHMARK operator, %s: heap in use after a GC %.0f MB (before the cold start, previous operator "
                + "closed: %.0f MB; the new operator's caches: %.0f MB); this JVM's resident set %s (operator, test client, "
                + "what the heap grew to while creating), load average %s%n%n", which, heapAfter / 1e6, heapBefore / 1e6,
                (heapAfter - heapBefore) / 1e6, residentSet(), loadAverage());

        // adoption means nothing was recreated or renumbered; read after the operator closed, so that a run with a bounded heap
        // (-DargLine=-Xmx…, as a container limit sets it) measures the operator's start, not this check beside its caches
        assertThat(operator.ledger().inUse(NS, "bench")).isEqualTo(expectedPods + SERVICES);
        operator.close();
        assertThat(podFingerprints(client)).isEqualTo(podsBefore);
        assertThat(vips(client)).isEqualTo(vipsBefore);
    }

    /** Prints the requests the API server answered since {@code before} was read (all clients), by verb and resource. */
    private static void printRequests(Api cluster, String which, Map<String, Double> before) {
        Map<String, Double> after = cluster.requests();
        if (after.isEmpty()) {
            return;
        }
        System.out.printf("BENCHMARK operator, %s: requests the API server answered meanwhile (verb resource[/subresource]: count):%n",
                which);
        after.forEach((key, count) -> {
            double made = count - before.getOrDefault(key, 0.0);
            if (made > 0) {
                System.out.printf("BENCHMARK   %-40s %8.0f%n", key, made);
            }
        });
        System.out.println();
    }

    @Test
    void overlayNetworkReconcilesPerSecond() throws Exception {
        int networks = Integer.getInteger("bench.networks", 500);
        OperatorConfig config = OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false);
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            // the embedded API, whatever -Dbench.kubeconfig says; NS is then the real server's namespace, made here too
            if (client.namespaces().withName(NS).get() == null) {
                client.resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                        .create();
            }
            SwarmnetOperator first = SwarmnetOperator.start(client, config);
            long start = System.nanoTime();
            ExecutorService creators = Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<OverlayNetwork>> creates = new java.util.ArrayList<>();
            for (int i = 0; i < networks; i++) {
                String name = String.format("net-%04d", i);
                creates.add(creators.submit(() -> {
                    OverlayNetwork n = new OverlayNetwork();
                    n.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName(name).build());
                    return client.resource(n).create();
                }));
            }
            creators.shutdown();
            assertThat(creators.awaitTermination(10, TimeUnit.MINUTES)).isTrue();
            for (java.util.concurrent.Future<OverlayNetwork> create : creates) {
                create.get(); // a refused create fails the benchmark here, with the server's message, not as a timeout later
            }
            double created = seconds(start);
            eventually(Duration.ofMinutes(10), "every network is allocated", () -> first.networkAllocations().all().size() == networks
                    && client.resources(OverlayNetwork.class).inNamespace(NS).list().getItems().stream()
                            .allMatch(n -> n.getStatus() != null && n.getStatus().getSubnet() != null));
            double allocated = seconds(start);
            System.out.printf("%nBENCHMARK operator, %d OverlayNetworks: created in %.1f s, all allocated and Ready after %.1f s "
                            + "(%.1f networks/s); reconcile time %s%n", networks, created, allocated, networks / allocated,
                    first.metrics().reconcileTimes("overlaynetwork"));
            first.close();

            Started started = Started.waitingFor(client, config, OverlayNetwork.KIND, networks, Duration.ofMinutes(10));
            SwarmnetOperator second = started.operator();
            double synced = started.synced();
            double all = started.all();
            System.out.printf("BENCHMARK operator, cold start with %d OverlayNetworks: rebuilt and synced in %.2f s, all reconciled after "
                            + "%.2f s (%.1f reconciles/s after sync); reconcile time %s%n%n", networks, synced, all,
                    networks / Math.max(all - synced, 0.001), second.metrics().reconcileTimes("overlaynetwork"));
            assertThat(second.metrics().rejectedCount()).isZero();
            second.close();
        }
    }

    /** Task pods of the benchmark, listed in pages as the operator lists them. */
    private static List<Pod> taskPods(KubernetesClient client) {
        return io.swarmnet.api.KubernetesClients.listInPages(client.pods().inNamespace(NS).withLabel(SwarmnetKeys.LABEL_SERVICE)::list);
    }

    /** How many tasks have addresses so far; prints the count and the rate since the last print every 30 s. */
    private static final class Progress {
        private final java.util.function.IntSupplier count;
        private final int expected;
        private final long start = System.nanoTime();
        private long printed = start;
        private long lastPoll = start;
        private int printedCount;

        Progress(java.util.function.IntSupplier count, int expected) {
            this.count = count;
            this.expected = expected;
        }

        int poll() {
            int now = count.getAsInt();
            long t = System.nanoTime();
            if (t - printed > TimeUnit.SECONDS.toNanos(30)) {
                System.out.printf("BENCHMARK operator, first start: %d of %d tasks after %.0f s, %.0f tasks/s in the last %.0f s; load %s%n",
                        now, expected, (t - start) / 1e9, (now - printedCount) / ((t - printed) / 1e9), (t - printed) / 1e9, loadAverage());
                printed = t;
                printedCount = now;
            }
            return now;
        }

        /** True at most once a second (the callers' costly checks run then). */
        boolean seldom() {
            long t = System.nanoTime();
            if (t - lastPoll < TimeUnit.SECONDS.toNanos(1)) {
                return false;
            }
            lastPoll = t;
            return true;
        }
    }

    /** Collections so far and the milliseconds they took, over every collector of this JVM. */
    private static long[] garbageCollections() {
        long count = 0;
        long millis = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    private static long heapAfterGc() {
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static String residentSet() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:") || l.startsWith("VmHWM:")).map(l -> l.replaceAll("\\s+", " "))
                    .collect(Collectors.joining(", "));
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static SwarmService service(String name) {
        SwarmService s = new SwarmService();
        s.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName(name).build());
        s.getSpec().setReplicas(TASKS);
        // on a real cluster the tasks must not run: no scheduler places them, so they stay Pending
        String scheduler = KUBECONFIG.isEmpty() ? null : NO_SCHEDULER;
        s.getSpec().setTemplate(new PodTemplateSpecBuilder().withNewSpec().withSchedulerName(scheduler).addNewContainer().withName("web")
                .withImage("nginx").endContainer().endSpec().build());
        s.getSpec().setNetworks(new ArrayList<>(List.of(new NetworkAttachment("bench"))));
        return s;
    }

    /** Each task pod's uid and addresses: if the new operator recreated or renumbered anything, this changes. */
    private static Map<String, String> podFingerprints(KubernetesClient client) {
        // page by page: a list of 100,000 pods held whole would take more heap than the operator under test (-Xmx runs)
        Map<String, String> fingerprints = new TreeMap<>();
        io.swarmnet.api.KubernetesClients.forEachInPages(client.pods().inNamespace(NS).withLabel(SwarmnetKeys.LABEL_SERVICE)::list,
                p -> fingerprints.putIfAbsent(p.getMetadata().getName(), fingerprint(p)));
        return fingerprints;
    }

    private static String fingerprint(Pod p) {
        return p.getMetadata().getUid() + " " + p.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES);
    }

    private static Map<String, String> vips(KubernetesClient client) {
        return io.swarmnet.api.KubernetesClients.listInPages(client.resources(SwarmService.class).inNamespace(NS)::list).stream()
                .collect(Collectors.toMap(s -> s.getMetadata().getName(),
                        s -> s.getStatus() == null ? "" : s.getStatus().getVirtualIPs().stream()
                                .map(v -> v.getNetwork() + "=" + v.getAddress()).sorted().collect(Collectors.joining(",")),
                        (a, b) -> a, TreeMap::new));
    }

    /** A new operator, when its start returned (informers synced) and when it had reconciled every object of a kind, in seconds. */
    private record Started(SwarmnetOperator operator, double synced, double all) {
        static Started waitingFor(KubernetesClient client, OperatorConfig config, String kind, int count, Duration atMost) {
            long begin = System.nanoTime();
            SwarmnetOperator operator = SwarmnetOperator.start(client, config);
            double synced = seconds(begin);
            eventually(atMost, "every " + kind + " is reconciled once by the new operator", () -> operator.metrics().succeeded(kind) >= count);
            return new Started(operator, synced, seconds(begin));
        }
    }

    /** The API server the cold start runs against: the embedded one, or a real one given by {@code bench.kubeconfig}. */
    private interface Api extends AutoCloseable {
        KubernetesClient client();

        String describe();

        /** Whether the services and tasks of a previous run are there already ({@code -Dbench.reuse=true}). */
        default boolean reused() {
            return false;
        }

        /** The API server's own request counts by verb and resource (its /metrics); empty where it has none. */
        default Map<String, Double> requests() {
            return Map.of();
        }

        @Override
        void close();

        static Api start() throws Exception {
            if (KUBECONFIG.isEmpty()) {
                TestCluster embedded = TestCluster.start();
                // the embedded server keeps no request counts: the client counts what it sends, by verb and resource
                Map<String, java.util.concurrent.atomic.LongAdder> sent = new java.util.concurrent.ConcurrentHashMap<>();
                KubernetesClient counting = io.swarmnet.api.KubernetesClients.builder()
                        .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(embedded.client().getConfiguration()).build())
                        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new io.fabric8.kubernetes.client.http.Interceptor() {
                            @Override
                            public void before(io.fabric8.kubernetes.client.http.BasicBuilder builder,
                                               io.fabric8.kubernetes.client.http.HttpRequest request, RequestTags tags) {
                                sent.computeIfAbsent(requestKey(request.method(), request.uri()), k -> new java.util.concurrent.atomic.LongAdder())
                                        .increment();
                            }
                        })).build();
                for (int i = 0; i < AGENTLESS_NODES; i++) {
                    // as on a cluster without the chart: nodes no swarmnet agent serves (every service: NoEligibleNode)
                    counting.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
                            .withName("bench-node-" + i).endMetadata().build()).create();
                }
                return new Api() {
                    public KubernetesClient client() {
                        return counting;
                    }

                    public String describe() {
                        return "embedded (in memory); requests counted as this JVM's clients send them"
                                + (AGENTLESS_NODES == 0 ? "" : "; " + AGENTLESS_NODES + " node(s) without an agent");
                    }

                    public Map<String, Double> requests() {
                        Map<String, Double> counts = new TreeMap<>();
                        sent.forEach((key, count) -> counts.put(key, count.doubleValue()));
                        return counts;
                    }

                    public void close() {
                        counting.close();
                        embedded.close();
                    }
                };
            }
            KubernetesClient client = io.swarmnet.api.KubernetesClients.builder()
                    .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(java.nio.file.Files.readString(java.nio.file.Path.of(KUBECONFIG))))
                    .build();
            for (String crd : List.of("overlaynetworks.swarmnet.io.yaml", "swarmservices.swarmnet.io.yaml")) {
                try (java.io.InputStream in = java.nio.file.Files.newInputStream(repository().resolve("crds").resolve(crd))) {
                    client.load(in).forceConflicts().serverSideApply();
                }
            }
            eventually(Duration.ofSeconds(60), "the CRDs are established", () -> client.apiextensions().v1().customResourceDefinitions()
                    .list().getItems().stream().filter(c -> c.getMetadata().getName().endsWith(".swarmnet.io"))
                    .filter(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(k -> k.getType().equals("Established") && k.getStatus().equals("True"))).count() == 2);
            boolean reused = client.namespaces().withName(NS).get() != null;
            if (reused && !REUSE) {
                throw new IllegalStateException("namespace " + NS + " exists already (a previous run's?): delete it first "
                        + "(kubectl delete namespace " + NS + "), or reuse what it holds with -Dbench.reuse=true");
            }
            if (reused) {
                int services = client.resources(SwarmService.class).inNamespace(NS).list().getItems().size();
                int tasks = taskPods(client).size();
                if (services != SERVICES || tasks != SERVICES * TASKS) {
                    throw new IllegalStateException("namespace " + NS + " holds " + services + " SwarmServices and " + tasks
                            + " task pods, not the " + SERVICES + " x " + TASKS + " asked for (-Dbench.services, -Dbench.tasks): "
                            + "delete it (kubectl delete namespace " + NS + ") or ask for what it holds");
                }
            } else {
                client.resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                        .create();
            }
            String server = client.getConfiguration().getMasterUrl();
            String version = client.getKubernetesVersion().getGitVersion();
            return new Api() {
                public KubernetesClient client() {
                    return client;
                }

                public String describe() {
                    return "real, " + server + " (Kubernetes " + version + ", etcd), namespace " + NS;
                }

                public Map<String, Double> requests() {
                    return requestCounts(client.raw("/metrics"));
                }

                public boolean reused() {
                    return reused;
                }

                public void close() {
                    if (REUSE) {
                        System.out.printf("BENCHMARK operator: namespace %s left for the next run with -Dbench.reuse=true "
                                + "(kubectl delete namespace %s when done)%n", NS, NS);
                    } else {
                        try {
                            client.namespaces().withName(NS).delete();
                            // no operator runs now to take its finalizers off the services and the network: the benchmark
                            // does, or the namespace would stay Terminating
                            releaseFinalizers(client, SwarmService.class);
                            releaseFinalizers(client, OverlayNetwork.class);
                            // the next run needs the name, and the machine quiet: wait (a while) until the namespace is gone
                            long deleting = System.nanoTime();
                            eventually(Duration.ofSeconds(60 + SERVICES * TASKS / 50), "namespace " + NS + " is gone",
                                    () -> client.namespaces().withName(NS).get() == null);
                            System.out.printf("BENCHMARK operator: namespace %s deleted in %.1f s%n", NS, seconds(deleting));
                        } catch (RuntimeException | AssertionError e) {
                            // the figures are printed; a slow deletion is the next run's to wait for
                            System.out.printf("BENCHMARK operator: namespace %s not gone yet (%s); the next run needs it gone "
                                    + "(kubectl delete namespace %s)%n", NS, e.getMessage(), NS);
                        } finally {
                            client.close();
                        }
                        return;
                    }
                    client.close();
                }
            };
        }
    }

    private static <T extends HasMetadata> void releaseFinalizers(KubernetesClient client, Class<T> type) {
        for (T object : client.resources(type).inNamespace(NS).list().getItems()) {
            if (!object.getMetadata().getFinalizers().isEmpty()) {
                client.resources(type).inNamespace(NS).withName(object.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
            }
        }
    }

    private static java.nio.file.Path repository() {
        java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
        while (dir != null && !java.nio.file.Files.isDirectory(dir.resolve("crds"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository's crds/ directory above " + java.nio.file.Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Waits until the operator has gone 5 s without a reconcile (at most 5 min). */
    private static void settle(SwarmnetOperator operator) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        double last = -1;
        while (System.nanoTime() < deadline) {
            double now = operator.metrics().succeeded(SwarmService.KIND);
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(5000);
        }
    }

    /** User and system CPU seconds of the processes on this machine whose command line contains {@code needle}; -1 if none. */
    private static double cpuSeconds(String needle) {
        double ticks = 0;
        boolean found = false;
        java.io.File[] procs = new java.io.File("/proc").listFiles(f -> f.getName().chars().allMatch(Character::isDigit));
        for (java.io.File proc : procs == null ? new java.io.File[0] : procs) {
            try {
                String cmdline = java.nio.file.Files.readString(proc.toPath().resolve("cmdline")).replace('\0', ' ');
                if (!cmdline.contains(needle)) {
                    continue;
                }
                String stat = java.nio.file.Files.readString(proc.toPath().resolve("stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                found = true;
            } catch (java.io.IOException | RuntimeException e) {
                // gone meanwhile, or not ours to read
            }
        }
        return found ? ticks / 100.0 : -1;
    }

    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * A request as kube-apiserver's metrics name it: {@code LIST pods}, {@code WATCH pods}, {@code POST events},
     * {@code PATCH swarmservices/status}.
     */
    static String requestKey(String method, java.net.URI uri) {
        String query = uri.getQuery() == null ? "" : uri.getQuery();
        List<String> parts = new ArrayList<>(List.of(uri.getPath().split("/")));
        parts.removeIf(String::isEmpty);
        // /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]] or /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUB]]
        int at = parts.isEmpty() ? 0 : parts.get(0).equals("api") ? 2 : 3;
        if (parts.size() > at + 1 && parts.get(at).equals("namespaces")) {
            at += 2;
        }
        String resource = parts.size() > at ? parts.get(at) : uri.getPath();
        boolean named = parts.size() > at + 1;
        String subresource = parts.size() > at + 2 ? "/" + parts.get(at + 2) : "";
        String verb = switch (method) {
            case "GET" -> query.contains("watch=true") ? "WATCH" : named ? "GET" : "LIST";
            default -> method;
        };
        return verb + " " + resource + subresource;
    }

    /** Sums kube-apiserver's {@code apiserver_request_total} samples by verb, resource and subresource. */
    static Map<String, Double> requestCounts(String metrics) {
        Map<String, Double> counts = new TreeMap<>();
        java.util.regex.Pattern label = java.util.regex.Pattern.compile("(\\w+)=\"([^\"]*)\"");
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("apiserver_request_total{")) {
                continue;
            }
            int close = line.lastIndexOf('}');
            Map<String, String> labels = new java.util.HashMap<>();
            java.util.regex.Matcher m = label.matcher(line.substring(0, close));
            while (m.find()) {
                labels.put(m.group(1), m.group(2));
            }
            String subresource = labels.getOrDefault("subresource", "");
            String key = labels.getOrDefault("verb", "?") + " " + labels.getOrDefault("resource", "?")
                    + (subresource.isEmpty() ? "" : "/" + subresource);
            counts.merge(key, Double.parseDouble(line.substring(close + 1).trim()), Double::sum);
        }
        return counts;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
