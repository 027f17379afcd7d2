package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceFixture.addressOf;
import static io.swarmnet.operator.service.ServiceFixture.slotOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.service.EndpointMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.operator.TestCluster;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SwarmService reconciler inside the whole operator, against the embedded API server. */
class SwarmServiceReconcilerTest {

    /** One API server and operator for the class (starting them is most of a test's time); a namespace per test. */
    private static ServiceFixture cluster;
    private static int tests;

    private String ns;
    private FakeKubelet kubelet;

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("shop");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void start() {
        ns = "shop-" + ++tests;
        cluster.useNamespace(ns);
        kubelet = new FakeKubelet(cluster.client, ns);
    }

    @AfterEach
    void stop() {
        kubelet.close();
    }

    private Set<String> slots(String service) {
        Set<String> slots = new HashSet<>();
        cluster.pods(service).forEach(p -> slots.add(slotOf(p).label()));
        return slots;
    }

    @Test
    void threeReplicasGetThreePodsWithDistinctAddressesAndAVirtualIp() {
        cluster.network("my-network", "10.9.9.0/24", true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });

        cluster.eventually("3 task pods exist", () -> cluster.pods("my-web").size() == 3);
        assertThat(cluster.get("my-web").getMetadata().getFinalizers()).contains("swarmservices.swarmnet.io/finalizer");
        List<Pod> pods = cluster.pods("my-web");
        assertThat(pods).extracting(p -> slotOf(p).number()).containsExactly(1, 2, 3);
        assertThat(pods).extracting(p -> p.getMetadata().getName()).allMatch(n -> n.matches("my-web-[123]-[a-z0-9]{5}"));
        Cidr subnet = Cidr.parse("10.9.9.0/24");
        IpAddress gateway = cluster.gatewayOf("my-network");
        Set<IpAddress> taskAddresses = new HashSet<>();
        for (Pod pod : pods) {
            IpAddress address = addressOf(pod, "my-network");
            assertThat(subnet.contains(address)).as("%s inside %s", address, subnet).isTrue();
            assertThat(address).isNotEqualTo(gateway);
            taskAddresses.add(address);
            assertThat(pod.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getController()).isTrue());
            assertThat(pod.getSpec().getReadinessGates()).extracting(g -> g.getConditionType())
                    .contains(SwarmnetKeys.CONDITION_ATTACHED);
            assertThat(pod.getSpec().getDnsConfig().getNameservers()).containsExactly("127.0.0.11");
            assertThat(pod.getSpec().getDnsConfig().getSearches()).containsExactly(ns + ".svc.cluster.local", "svc.cluster.local",
                    "cluster.local");
        }
        assertThat(taskAddresses).hasSize(3);

        cluster.eventually("status has a virtual IP", () -> !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        SwarmService service = cluster.get("my-web");
        IpAddress vip = IpAddress.parse(service.getStatus().getVirtualIPs().get(0).getAddress());
        assertThat(service.getStatus().getVirtualIPs()).singleElement().satisfies(v -> assertThat(v.getNetwork()).isEqualTo("my-network"));
        assertThat(subnet.contains(vip)).isTrue();
        assertThat(vip).isNotEqualTo(gateway).isNotIn(taskAddresses);
        assertThat(cluster.hasCondition("my-web", "Ready", "False", "TasksNotReady")).isTrue();

        kubelet.startAll();
        cluster.eventually("the service is Ready", () -> cluster.hasCondition("my-web", "Ready", "True", "AllTasksReady"));
        service = cluster.get("my-web");
        assertThat(service.getStatus().getTasksReady()).isEqualTo("3/3");
        assertThat(service.getStatus().getReadyReplicas()).isEqualTo(3);
        assertThat(service.getStatus().getReplicas()).isEqualTo(3);
        assertThat(service.getStatus().getNetworkNames()).isEqualTo("my-network");
        assertThat(service.getStatus().getSelector()).isEqualTo("swarmnet.io/service=my-web");
        assertThat(service.getStatus().getObservedGeneration()).isEqualTo(service.getMetadata().getGeneration());
        assertThat(cluster.condition("my-web", "Ready").getObservedGeneration()).isEqualTo(service.getMetadata().getGeneration());
        assertThat(cluster.hasCondition("my-web", "Progressing", "False", "Complete")).isTrue();
        assertThat(cluster.hasCondition("my-web", "Degraded", "False", null)).isTrue();
        assertThat(service.getStatus().getTasks()).extracting(TaskStatus::getSlot).containsExactly(1, 2, 3);
        assertThat(service.getStatus().getTasks()).allSatisfy(task -> {
            assertThat(task.getState()).isEqualTo("Ready");
            assertThat(task.getNode()).isNotBlank();
            assertThat(task.getAddresses()).singleElement().satisfies(a -> {
                IpAddress ip = IpAddress.parse(a.getAddress().substring(0, a.getAddress().indexOf('/')));
                assertThat(a.getAddress()).endsWith("/24");
                assertThat(a.getMac()).isEqualTo(MacAddress.forTask(ip).toString());
                assertThat(taskAddresses).contains(ip);
            });
        });
    }

    @Test
    void dnsrrServiceHasNoVirtualIpAndSwitchingToItReleasesTheVip() {
        cluster.network("my-network", null, true);
        cluster.service("my-dnsrr", 2, List.of("my-network"), spec -> spec.setEndpointMode(EndpointMode.DNSRR));
        cluster.service("my-web", 1, List.of("my-network"), spec -> { });

        cluster.eventually("both services have their tasks", () -> cluster.pods("my-dnsrr").size() == 2 && cluster.pods("my-web").size() == 1);
        cluster.eventually("my-web has a VIP", () -> !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        cluster.eventually("my-dnsrr reports its 2 tasks", () -> cluster.get("my-dnsrr").getStatus().getTasks().size() == 2);
        assertThat(cluster.get("my-dnsrr").getStatus().getVirtualIPs()).isEmpty();
        AddressLedger ledger = cluster.operator.ledger();
        assertThat(ledger.addressOf(ns, "my-network", AddressOwner.virtualIps("my-dnsrr"))).isEmpty();
        assertThat(ledger.addressOf(ns, "my-network", AddressOwner.virtualIps("my-web"))).isPresent();

        cluster.edit("my-web", spec -> spec.setEndpointMode(EndpointMode.DNSRR));

        cluster.eventually("my-web's VIP is gone", () -> cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        assertThat(ledger.addressOf(ns, "my-network", AddressOwner.virtualIps("my-web"))).isEmpty();
    }

    @Test
    void scalingUpAddsSlotsAndScalingDownRemovesTheHighestAndFreesTheirAddresses() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.eventually("3 tasks", () -> cluster.pods("my-web").size() == 3);

        cluster.edit("my-web", spec -> spec.setReplicas(5));
        cluster.eventually("5 tasks in slots 1..5", () -> slots("my-web").equals(Set.of("1", "2", "3", "4", "5")));
        List<Pod> five = cluster.pods("my-web");

        cluster.edit("my-web", spec -> spec.setReplicas(2));
        cluster.eventually("slots 1 and 2 remain", () -> slots("my-web").equals(Set.of("1", "2")));
        assertThat(cluster.pods("my-web")).extracting(p -> p.getMetadata().getName())
                .containsExactly(five.get(0).getMetadata().getName(), five.get(1).getMetadata().getName());
        AddressLedger ledger = cluster.operator.ledger();
        for (Pod gone : five.subList(2, 5)) {
            cluster.eventually("address of " + gone.getMetadata().getName() + " released",
                    () -> ledger.addressOf(ns, "my-network", AddressOwner.task(gone.getMetadata().getName())).isEmpty());
        }
        cluster.eventually("status shows 2 replicas", () -> cluster.get("my-web").getStatus().getReplicas() == 2
                && cluster.get("my-web").getStatus().getTasks().size() == 2);
    }

    @Test
    void deletedTaskIsReplacedInTheSameSlotWithAnAddress() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.eventually("3 tasks", () -> cluster.pods("my-web").size() == 3);
        Pod victim = cluster.pods("my-web").get(1);

        cluster.client.pods().inNamespace(ns).withName(victim.getMetadata().getName()).delete();

        cluster.eventually("slot 2 has a new task", () -> cluster.pods("my-web").stream()
                .anyMatch(p -> slotOf(p).number() == 2 && !p.getMetadata().getName().equals(victim.getMetadata().getName())));
        Pod replacement = cluster.pods("my-web").stream().filter(p -> slotOf(p).number() == 2).findFirst().orElseThrow();
        assertThat(replacement.getMetadata().getName()).startsWith("my-web-2-");
        assertThat(addressOf(replacement, "my-network")).isNotNull();
        assertThat(cluster.pods("my-web")).hasSize(3);
        cluster.eventually("the deleted task's address is released", () -> cluster.operator.ledger()
                .addressOf(ns, "my-network", AddressOwner.task(victim.getMetadata().getName())).isEmpty());
    }

    @Test
    void aServicesFirstTasksAreToldInOneEvent() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 4, List.of("my-network"), spec -> { });
        cluster.eventually("4 tasks", () -> cluster.pods("my-web").size() == 4);

        List<String> tasks = cluster.pods("my-web").stream().map(p -> p.getMetadata().getName()).toList();
        cluster.eventually("TaskCreated events name the 4 tasks", () -> tasks.stream().allMatch(t -> createdEvents().stream()
                .anyMatch(e -> e.getMessage().contains(t + " "))));
        assertThat(createdEvents()).singleElement().satisfies(e -> {
            assertThat(e.getMessage()).startsWith("created 4 tasks: ");
            cluster.pods("my-web").forEach(p -> assertThat(e.getMessage()).contains(p.getMetadata().getName() + " for "
                    + slotOf(p) + " with addresses {my-network=" + addressOf(p, "my-network") + "}"));
        });
    }

    private List<io.fabric8.kubernetes.api.model.Event> createdEvents() {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "TaskCreated".equals(e.getReason()) && "my-web".equals(e.getInvolvedObject().getName())).toList();
    }

    @Test
    void failedTaskIsReplacedInTheSameSlotAndReported() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> { });
        cluster.eventually("2 tasks", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        Pod victim = cluster.pods("my-web").get(0);

        kubelet.fail(victim.getMetadata().getName(), "container web exited with code 137 (OOMKilled)");

        cluster.eventually("slot 1 has a new task", () -> cluster.pods("my-web").stream()
                .anyMatch(p -> slotOf(p).number() == 1 && !p.getMetadata().getName().equals(victim.getMetadata().getName())));
        assertThat(cluster.pods("my-web")).extracting(p -> slotOf(p).number()).containsExactly(1, 2);
        cluster.eventually("a TaskFailed event names the task", () -> cluster.client.v1().events().inNamespace(ns).list().getItems()
                .stream().anyMatch(e -> "TaskFailed".equals(e.getReason()) && e.getMessage().contains(victim.getMetadata().getName())
                        && e.getMessage().contains("OOMKilled")));
    }

    @Test
    void taskPodRefusedByTheApiServerShowsItsMessageAndIsRetriedWithBackoffUntilTheTemplateIsFixed() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> spec.getTemplate().getMetadata().getLabels()
                .put(ServiceFixture.DENIED_LABEL, "yes"));

        cluster.eventually("Ready is False with reason TaskRefused", () -> cluster.hasCondition("my-web", "Ready", "False", "TaskRefused"));
        assertThat(cluster.condition("my-web", "Ready").getMessage())
                .contains("slot 1", "HTTP 403", "violates PodSecurity \"restricted:latest\"", "spec.template");
        assertThat(cluster.hasCondition("my-web", "Degraded", "True", "TaskRefused")).isTrue();
        cluster.eventually("a TaskRefused event carries the server's message", () -> cluster.client.v1().events().inNamespace(ns)
                .list().getItems().stream().anyMatch(e -> "TaskRefused".equals(e.getReason()) && "Warning".equals(e.getType())
                        && e.getInvolvedObject().getName().equals("my-web") && e.getMessage().contains("runAsNonRoot")));
        assertThat(cluster.pods("my-web")).isEmpty();

        // tried again, but backing off (5 s, then 10 s) even though pod and status events wake the reconcile meanwhile
        int before = cluster.refusedPods.get();
        cluster.eventually(java.time.Duration.ofSeconds(12), "the creation is tried again", () -> cluster.refusedPods.get() > before);
        int afterRetry = cluster.refusedPods.get();
        sleep(java.time.Duration.ofSeconds(4));
        assertThat(cluster.refusedPods.get()).as("refusals in the 4 s after a retry").isEqualTo(afterRetry);

        cluster.edit("my-web", spec -> spec.getTemplate().getMetadata().getLabels().remove(ServiceFixture.DENIED_LABEL));
        cluster.eventually("both tasks are created once the template complies", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        cluster.eventually("the service is Ready again", () -> cluster.hasCondition("my-web", "Ready", "True", null));
    }

    /** Pod events as a watcher sees them, in order, with the slot and template hash of each pod. */
    private record PodEvent(String action, String pod, int slot, String hash, java.time.Instant at) {
    }

    private io.fabric8.kubernetes.client.Watch recordPodEvents(String service, List<PodEvent> events) {
        return cluster.client.pods().inNamespace(ns).withLabel(SwarmnetKeys.LABEL_SERVICE, service).watch(
                new io.fabric8.kubernetes.client.Watcher<Pod>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                        events.add(new PodEvent(action.name(), pod.getMetadata().getName(), slotOf(pod).number(),
                                pod.getMetadata().getLabels().get(SwarmnetKeys.LABEL_TEMPLATE_HASH), java.time.Instant.now()));
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {
                    }
                });
    }

    private static void sleep(java.time.Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String image(Pod pod) {
        return pod.getSpec().getContainers().get(0).getImage();
    }

    private boolean allRun(String service, String image, int count) {
        List<Pod> pods = cluster.pods(service);
        return pods.size() == count && pods.stream().allMatch(p -> image.equals(image(p)))
                && cluster.hasCondition(service, "Progressing", "False", "Complete");
    }

    @Test
    void stopFirstRollingUpdateGoesSlotBySlotInSlotOrder() throws Exception {
        cluster.network("my-network", null, true);
        kubelet.startAutomatically();
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.eventually("3 ready tasks", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        Set<String> oldPods = new HashSet<>();
        cluster.pods("my-web").forEach(p -> oldPods.add(p.getMetadata().getName()));
        List<PodEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (var watch = recordPodEvents("my-web", events)) {
            cluster.edit("my-web", spec -> spec.getTemplate().getSpec().getContainers().get(0).setImage("nginx:1.28"));
            cluster.eventually("every task runs nginx:1.28", () -> allRun("my-web", "nginx:1.28", 3));
        }

        List<PodEvent> added = events.stream().filter(e -> e.action().equals("ADDED") && !oldPods.contains(e.pod())).toList();
        List<PodEvent> deleted = events.stream().filter(e -> e.action().equals("DELETED") && oldPods.contains(e.pod())).toList();
        assertThat(added).extracting(PodEvent::slot).containsExactly(1, 2, 3);
        assertThat(deleted).extracting(PodEvent::slot).containsExactly(1, 2, 3);
        for (int slot = 1; slot <= 3; slot++) {
            PodEvent stop = deleted.get(slot - 1);
            PodEvent start = added.get(slot - 1);
            assertThat(stop.at()).as("slot %d: old task stopped before the new one starts", slot).isBeforeOrEqualTo(start.at());
            if (slot > 1) {
                java.time.Instant previousReady = kubelet.readyAt(added.get(slot - 2).pod());
                assertThat(previousReady).as("slot %d waits for slot %d to be ready", slot, slot - 1).isBeforeOrEqualTo(stop.at());
            }
        }
        assertThat(cluster.pods("my-web")).extracting(p -> slotOf(p).number()).containsExactly(1, 2, 3);
    }

    @Test
    void parallelismTwoUpdatesTwoSlotsAtATime() throws Exception {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 4, List.of("my-network"), spec -> {
            spec.setUpdateConfig(new io.swarmnet.api.service.UpdateConfig());
            spec.getUpdateConfig().setParallelism(2);
        });
        cluster.eventually("4 tasks", () -> cluster.pods("my-web").size() == 4);
        kubelet.startAll();
        cluster.eventually("ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));

        cluster.edit("my-web", spec -> spec.getTemplate().getSpec().getContainers().get(0).setImage("nginx:1.28"));

        cluster.eventually("slots 1 and 2 run the new image", () -> cluster.pods("my-web").stream()
                .filter(p -> image(p).equals("nginx:1.28")).map(p -> slotOf(p).number()).collect(java.util.stream.Collectors.toSet())
                .equals(Set.of(1, 2)));
        Thread.sleep(500);
        assertThat(cluster.pods("my-web").stream().filter(p -> image(p).equals("nginx:1.28")).map(p -> slotOf(p).number()))
                .as("slots 3 and 4 wait while 1 and 2 are not ready").containsExactlyInAnyOrder(1, 2);
        assertThat(cluster.hasCondition("my-web", "Progressing", "True", "Updating")).isTrue();

        kubelet.startAll();
        cluster.eventually("slots 3 and 4 follow", () -> cluster.pods("my-web").stream().allMatch(p -> image(p).equals("nginx:1.28"))
                && cluster.pods("my-web").size() == 4);
        kubelet.startAll();
        cluster.eventually("complete", () -> allRun("my-web", "nginx:1.28", 4));
    }

    @Test
    void startFirstUpdateStartsTheNewTaskBeforeStoppingTheOldOne() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> {
            spec.setUpdateConfig(new io.swarmnet.api.service.UpdateConfig());
            spec.getUpdateConfig().setOrder(io.swarmnet.api.service.UpdateOrder.START_FIRST);
        });
        cluster.eventually("2 tasks", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        cluster.eventually("ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        List<Pod> old = cluster.pods("my-web");

        cluster.edit("my-web", spec -> spec.getTemplate().getSpec().getContainers().get(0).setImage("nginx:1.28"));

        cluster.eventually("slot 1 runs old and new side by side", () -> cluster.pods("my-web").size() == 3);
        List<Pod> during = cluster.pods("my-web");
        assertThat(during).extracting(p -> slotOf(p).number() + " " + image(p))
                .containsExactlyInAnyOrder("1 nginx:1.27", "1 nginx:1.28", "2 nginx:1.27");
        Pod newOne = during.stream().filter(p -> image(p).equals("nginx:1.28")).findFirst().orElseThrow();
        assertThat(addressOf(newOne, "my-network")).isNotIn(addressOf(old.get(0), "my-network"), addressOf(old.get(1), "my-network"));
        assertThat(cluster.hasCondition("my-web", "Ready", "True", null)).as("both old tasks still serve").isTrue();

        kubelet.start(newOne.getMetadata().getName());
        cluster.eventually("old slot-1 task stopped, slot 2 started its replacement", () -> {
            List<String> now = cluster.pods("my-web").stream().map(p -> slotOf(p).number() + " " + image(p)).sorted().toList();
            return now.equals(List.of("1 nginx:1.28", "2 nginx:1.27", "2 nginx:1.28"));
        });
        kubelet.startAll();
        cluster.eventually("complete", () -> allRun("my-web", "nginx:1.28", 2));
    }

    @Test
    void updateDelayWaitsBetweenBatches() throws Exception {
        cluster.network("my-network", null, true);
        kubelet.startAutomatically();
        cluster.service("my-web", 2, List.of("my-network"), spec -> {
            spec.setUpdateConfig(new io.swarmnet.api.service.UpdateConfig());
            spec.getUpdateConfig().setDelay("2s");
        });
        cluster.eventually("ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        Set<String> oldPods = new HashSet<>();
        cluster.pods("my-web").forEach(p -> oldPods.add(p.getMetadata().getName()));
        List<PodEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (var watch = recordPodEvents("my-web", events)) {
            cluster.edit("my-web", spec -> spec.getTemplate().getSpec().getContainers().get(0).setImage("nginx:1.28"));
            cluster.eventually("slot 1 updated, the service waits for the delay",
                    () -> cluster.hasCondition("my-web", "Progressing", "True", "WaitingForUpdateDelay"));
            cluster.eventually("every task runs nginx:1.28", () -> allRun("my-web", "nginx:1.28", 2));
        }
        PodEvent newSlot1 = events.stream().filter(e -> e.action().equals("ADDED") && e.slot() == 1 && !oldPods.contains(e.pod()))
                .findFirst().orElseThrow();
        PodEvent oldSlot2Stopped = events.stream().filter(e -> e.action().equals("DELETED") && e.slot() == 2 && oldPods.contains(e.pod()))
                .findFirst().orElseThrow();
        // the Ready condition's time has whole seconds, so the wait is at least delay - 1 s
        assertThat(java.time.Duration.between(kubelet.readyAt(newSlot1.pod()), oldSlot2Stopped.at()))
                .isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(1));
    }

    @Test
    void globalServiceRunsOneTaskPerEligibleNode() {
        kubelet.node("n1", java.util.Map.of("role", "web"))
                .node("n2", java.util.Map.of("role", "web"), new io.fabric8.kubernetes.api.model.Taint("NoSchedule", "dedicated", null, "db"))
                .node("n3", java.util.Map.of("role", "db"));
        cluster.network("my-network", null, true);
        cluster.service("agent", 0, List.of("my-network"), spec -> {
            spec.setMode(io.swarmnet.api.service.ServiceMode.GLOBAL);
            spec.setReplicas(null);
            spec.getTemplate().getSpec().setNodeSelector(java.util.Map.of("role", "web"));
        });

        cluster.eventually("a task on n1 only", () -> slots("agent").equals(Set.of("n1")));
        Pod onN1 = cluster.pods("agent").get(0);
        assertThat(onN1.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms().get(0).getMatchFields().get(0).getValues()).containsExactly("n1");
        assertThat(onN1.getMetadata().getName()).startsWith("agent-n1-");
        kubelet.startAll();
        cluster.eventually("pinned to n1", () -> "n1".equals(cluster.get("agent").getStatus().getTasks().get(0).getNode()));

        cluster.edit("agent", spec -> spec.getTemplate().getSpec().setTolerations(List.of(
                new io.fabric8.kubernetes.api.model.Toleration("NoSchedule", "dedicated", "Exists", null, null))));
        cluster.eventually("tolerating the taint adds n2", () -> slots("agent").equals(Set.of("n1", "n2")));

        cluster.client.nodes().withName("n3").edit(n -> {
            n.getMetadata().getLabels().put("role", "web");
            return n;
        });
        cluster.eventually("labelling n3 adds it", () -> slots("agent").equals(Set.of("n1", "n2", "n3")));

        cluster.client.nodes().withName("n1").edit(n -> {
            n.getSpec().setTaints(List.of(new io.fabric8.kubernetes.api.model.Taint("NoExecute", "maintenance", null, null)));
            return n;
        });
        cluster.eventually("a NoExecute taint removes n1's task", () -> slots("agent").equals(Set.of("n2", "n3")));

        cluster.client.nodes().withName("n2").delete();
        cluster.eventually("a deleted node loses its task", () -> slots("agent").equals(Set.of("n3")));
        kubelet.startAll();
        cluster.eventually("1/1 ready", () -> "1/1".equals(cluster.get("agent").getStatus().getTasksReady()));
    }

    @Test
    void tasksAreNotPlacedOnNodesWithoutAnAgentAndAServiceWithNoEligibleNodeSaysSo() {
        kubelet.nodeWithoutAgent("edge-1", java.util.Map.of("role", "edge"));
        cluster.network("my-network", null, true);
        cluster.service("probe", 0, List.of("my-network"), spec -> {
            spec.setMode(io.swarmnet.api.service.ServiceMode.GLOBAL);
            spec.setReplicas(null);
            spec.getTemplate().getSpec().setNodeSelector(java.util.Map.of("role", "edge"));
        });
        cluster.service("web", 1, List.of("my-network"), spec -> spec.getTemplate().getSpec()
                .setNodeSelector(java.util.Map.of("role", "edge")));

        cluster.eventually("the global service says no node can run it", () -> cluster.hasCondition("probe", "Ready", "False", "NoEligibleNode"));
        assertThat(cluster.condition("probe", "Ready").getMessage()).contains("edge-1", "runs no swarmnet agent", "agent.nodeSelector");
        cluster.eventually("a NoEligibleNode event says the same", () -> cluster.client.v1().events().inNamespace(ns).list().getItems()
                .stream().anyMatch(e -> "NoEligibleNode".equals(e.getReason()) && e.getInvolvedObject().getName().equals("probe")
                        && e.getMessage().contains("edge-1")));
        assertThat(cluster.pods("probe")).isEmpty();
        cluster.eventually("so does the replicated one", () -> cluster.hasCondition("web", "Ready", "False", "NoEligibleNode"));
        assertThat(cluster.pods("web")).singleElement().satisfies(p -> assertThat(p.getSpec().getNodeSelector())
                .containsEntry(SwarmnetKeys.LABEL_NODE_AGENT, "true").containsEntry("role", "edge"));

        cluster.client.nodes().withName("edge-1").edit(n -> {
            n.getMetadata().getLabels().put(SwarmnetKeys.LABEL_NODE_AGENT, "true");
            return n;
        });
        cluster.eventually("once an agent labels the node, the global task comes", () -> slots("probe").equals(Set.of("edge-1")));
        kubelet.startAll();
        cluster.eventually("and both are Ready", () -> cluster.hasCondition("probe", "Ready", "True", null)
                && cluster.hasCondition("web", "Ready", "True", null));
    }

    @Test
    void aRestartedOperatorDoesNotRepeatAWarningTheStatusStatesButTellsANewOne() throws Exception {
        kubelet.nodeWithoutAgent("far-1", java.util.Map.of("role", "far"));
        try {
            cluster.network("my-network", null, true);
            cluster.service("web", 1, List.of("my-network"), spec -> spec.getTemplate().getSpec()
                    .setNodeSelector(java.util.Map.of("role", "far")));
            cluster.eventually("web says no node can run it", () -> cluster.hasCondition("web", "Ready", "False", "NoEligibleNode"));
            cluster.eventually("a NoEligibleNode event says so", () -> warnings("web", "NoEligibleNode") == 1);

            cluster.restartOperator();
            int services = cluster.client.resources(SwarmService.class).inAnyNamespace().list().getItems().size();
            cluster.eventually("the new operator reconciled every service", () -> cluster.operator.metrics().succeeded(SwarmService.KIND) >= services);
            Thread.sleep(1000); // events are written off the reconcile thread
            assertThat(warnings("web", "NoEligibleNode")).as("the status says it already: no second event").isEqualTo(1);
            assertThat(cluster.hasCondition("web", "Ready", "False", "NoEligibleNode")).isTrue();

            cluster.edit("web", spec -> spec.getNetworks().get(0).setName("nowhere"));
            cluster.eventually("a new problem is told", () -> warnings("web", "NetworkNotFound") == 1);
        } finally {
            // the node is the whole cluster's: left behind, it would make the services of later tests NoEligibleNode
            cluster.client.nodes().withName("far-1").delete();
        }
    }

    private long warnings(String service, String reason) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "Warning".equals(e.getType()) && reason.equals(e.getReason()) && service.equals(e.getInvolvedObject().getName()))
                .count();
    }

    @Test
    void missingNetworkBlocksTheServiceUntilItAppears() {
        cluster.service("my-web", 2, List.of("later"), spec -> { });

        cluster.eventually("NetworkNotFound", () -> cluster.hasCondition("my-web", "Ready", "False", "NetworkNotFound"));
        assertThat(cluster.condition("my-web", "Ready").getMessage()).contains("later").contains(ns);
        assertThat(cluster.hasCondition("my-web", "Degraded", "True", "NetworkNotFound")).isTrue();
        assertThat(cluster.pods("my-web")).isEmpty();
        assertThat(cluster.get("my-web").getStatus().getTasksReady()).isEqualTo("0/2");

        cluster.network("later", null, false);

        cluster.eventually("tasks start once the network is Ready", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        cluster.eventually("Ready", () -> cluster.hasCondition("my-web", "Ready", "True", "AllTasksReady"));
    }

    @Test
    void networkThatIsNotReadyBlocksTheServiceWithoutPods() {
        cluster.network("first", "10.5.0.0/24", true);
        cluster.network("clash", "10.5.0.0/24", false);
        cluster.eventually("clash is refused", () -> cluster.networkNamed("clash").getStatus() != null
                && io.swarmnet.operator.Conditions.find(cluster.networkNamed("clash").getStatus().getConditions(), "Ready") != null
                && "False".equals(io.swarmnet.operator.Conditions.find(cluster.networkNamed("clash").getStatus().getConditions(), "Ready")
                        .getStatus()));

        cluster.service("my-web", 2, List.of("first", "clash"), spec -> { });

        cluster.eventually("NetworkNotReady", () -> cluster.hasCondition("my-web", "Ready", "False", "NetworkNotReady"));
        assertThat(cluster.condition("my-web", "Ready").getMessage()).contains("clash");
        assertThat(cluster.pods("my-web")).isEmpty();
        assertThat(cluster.operator.ledger().addressOf(ns, "first", AddressOwner.virtualIps("my-web"))).isEmpty();
    }

    @Test
    void exhaustedPoolIsReportedAndRunningTasksStay() {
        // a /29 has 5 assignable addresses besides the gateway: one VIP and four tasks
        cluster.network("tiny", "10.7.0.0/29", true);
        cluster.service("my-web", 3, List.of("tiny"), spec -> { });
        cluster.eventually("3 tasks", () -> cluster.pods("my-web").size() == 3);
        kubelet.startAll();
        Set<String> running = new HashSet<>();
        cluster.pods("my-web").forEach(p -> running.add(p.getMetadata().getName()));

        cluster.edit("my-web", spec -> spec.setReplicas(6));

        cluster.eventually("AddressPoolExhausted", () -> cluster.hasCondition("my-web", "Ready", "False", "AddressPoolExhausted"));
        assertThat(cluster.condition("my-web", "Ready").getMessage()).contains("tiny").contains("10.7.0.0/29");
        cluster.eventually("4 tasks", () -> cluster.pods("my-web").size() == 4);
        Set<String> now = new HashSet<>();
        cluster.pods("my-web").forEach(p -> now.add(p.getMetadata().getName()));
        assertThat(now).containsAll(running);
        Set<IpAddress> addresses = new HashSet<>();
        cluster.pods("my-web").forEach(p -> addresses.add(addressOf(p, "tiny")));
        assertThat(addresses).hasSize(4);

        cluster.edit("my-web", spec -> spec.setReplicas(4));
        kubelet.startAll();
        cluster.eventually("Ready again at 4", () -> cluster.hasCondition("my-web", "Ready", "True", "AllTasksReady"));
        assertThat(cluster.hasCondition("my-web", "Degraded", "False", null)).isTrue();
    }

    @Test
    void operatorRestartKeepsEveryTaskAndAddress() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.service("my-dnsrr", 2, List.of("my-network"), spec -> spec.setEndpointMode(EndpointMode.DNSRR));
        cluster.eventually("5 tasks and a VIP", () -> cluster.pods("my-web").size() == 3 && cluster.pods("my-dnsrr").size() == 2
                && !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        kubelet.startAll();
        cluster.eventually("both Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null)
                && cluster.hasCondition("my-dnsrr", "Ready", "True", null));
        var before = cluster.operator.ledger().holdings(ns, "my-network");
        List<String> podsBefore = new java.util.ArrayList<>();
        cluster.pods("my-web").forEach(p -> podsBefore.add(p.getMetadata().getName()));
        cluster.pods("my-dnsrr").forEach(p -> podsBefore.add(p.getMetadata().getName()));
        String vip = cluster.get("my-web").getStatus().getVirtualIPs().get(0).getAddress();

        cluster.restartOperator();

        assertThat(cluster.operator.ledger().holdings(ns, "my-network")).isEqualTo(before);
        cluster.edit("my-web", spec -> spec.setReplicas(4));
        cluster.eventually("slot 4 added", () -> cluster.pods("my-web").size() == 4);
        List<String> podsAfter = new java.util.ArrayList<>();
        cluster.pods("my-web").forEach(p -> podsAfter.add(p.getMetadata().getName()));
        cluster.pods("my-dnsrr").forEach(p -> podsAfter.add(p.getMetadata().getName()));
        assertThat(podsAfter).containsAll(podsBefore).hasSize(6);
        assertThat(cluster.get("my-web").getStatus().getVirtualIPs().get(0).getAddress()).isEqualTo(vip);
        Pod slot4 = cluster.pods("my-web").get(3);
        assertThat(addressOf(slot4, "my-network")).isNotIn(before.keySet());
    }

    @Test
    void deletingTheServiceRemovesItsTasksAndFreesEveryAddress() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.service("other", 1, List.of("my-network"), spec -> { });
        cluster.eventually("tasks and VIPs", () -> cluster.pods("my-web").size() == 3 && cluster.pods("other").size() == 1
                && !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty()
                && !cluster.get("other").getStatus().getVirtualIPs().isEmpty());

        cluster.client.resources(SwarmService.class).inNamespace(ns).withName("my-web").delete();

        cluster.eventually("the service is gone", () -> cluster.get("my-web") == null);
        assertThat(cluster.pods("my-web")).isEmpty();
        AddressLedger ledger = cluster.operator.ledger();
        cluster.eventually("only the other service holds addresses", () -> ledger.holdings(ns, "my-network").size() == 2);
        assertThat(ledger.holdings(ns, "my-network").values()).allMatch(owner -> owner.equals(AddressOwner.virtualIps("other"))
                || owner.kind() == AddressOwner.Kind.TASK && owner.name().startsWith("other-"));
    }

    @Test
    void addressAllocatedForAPodThatWasNeverCreatedIsReleased() throws Exception {
        cluster.network("my-network", null, true);
        var network = io.swarmnet.operator.ipam.AllocatableNetwork.of(cluster.networkNamed("my-network"));
        AddressLedger ledger = cluster.operator.ledger();
        // what a crash between allocation and pod creation would leave behind in a running ledger
        IpAddress ghost = ledger.allocate(network, AddressOwner.task("my-web-1-ghost"));

        cluster.service("my-web", 1, List.of("my-network"), spec -> { });
        cluster.service("other", 1, List.of("my-network"), spec -> { });
        cluster.eventually("the real tasks exist", () -> cluster.pods("my-web").size() == 1 && cluster.pods("other").size() == 1);
        // the ledger was loaded from the caches as the operator started, so the first sweep comes an interval later
        // (OrphanSweepTest); a service's deletion sweeps its networks at once
        assertThat(ledger.addressOf(ns, "my-network", AddressOwner.task("my-web-1-ghost"))).isPresent();
        cluster.client.resources(SwarmService.class).inNamespace(ns).withName("other").delete();

        cluster.eventually("the ghost's address is released", () -> ledger.addressOf(ns, "my-network",
                AddressOwner.task("my-web-1-ghost")).isEmpty());
        assertThat(ledger.holdings(ns, "my-network")).doesNotContainValue(AddressOwner.task("my-web-1-ghost"));
        assertThat(ghost).isNotNull();
    }

    @Test
    void serviceOnTwoNetworksGetsAnAddressAndAVipOnEachAndAddingANetworkRollsItsTasks() {
        cluster.network("front", null, true);
        cluster.network("back", null, true);
        cluster.network("extra", null, true);
        kubelet.startAutomatically();
        cluster.service("my-web", 2, List.of("front", "back"), spec -> { });
        cluster.eventually("Ready with 2 VIPs", () -> cluster.hasCondition("my-web", "Ready", "True", null)
                && cluster.get("my-web").getStatus().getVirtualIPs().size() == 2);

        for (Pod pod : cluster.pods("my-web")) {
            assertThat(cluster.subnetOf("front").contains(addressOf(pod, "front"))).isTrue();
            assertThat(cluster.subnetOf("back").contains(addressOf(pod, "back"))).isTrue();
        }
        assertThat(cluster.get("my-web").getStatus().getVirtualIPs()).extracting(v -> v.getNetwork()).containsExactly("front", "back");
        assertThat(cluster.get("my-web").getStatus().getNetworkNames()).isEqualTo("front,back");

        // docker service update --network-add: tasks are replaced by ones attached to the new network too
        cluster.edit("my-web", spec -> spec.setNetworks(List.of(new io.swarmnet.api.service.NetworkAttachment("front"),
                new io.swarmnet.api.service.NetworkAttachment("back"), new io.swarmnet.api.service.NetworkAttachment("extra"))));

        cluster.eventually("every task has an address on extra", () -> cluster.pods("my-web").size() == 2
                && cluster.pods("my-web").stream().allMatch(p -> addressOf(p, "extra") != null)
                && cluster.hasCondition("my-web", "Progressing", "False", "Complete"));
        assertThat(cluster.get("my-web").getStatus().getVirtualIPs()).hasSize(3);

        // --network-rm: the VIP on the removed network is given back
        IpAddress backVip = IpAddress.parse(cluster.get("my-web").getStatus().getVirtualIPs().get(1).getAddress());
        cluster.edit("my-web", spec -> spec.setNetworks(List.of(new io.swarmnet.api.service.NetworkAttachment("front"),
                new io.swarmnet.api.service.NetworkAttachment("extra"))));
        cluster.eventually("no VIP on back", () -> cluster.get("my-web").getStatus().getVirtualIPs().stream()
                .noneMatch(v -> v.getNetwork().equals("back")));
        assertThat(cluster.operator.ledger().holdings(ns, "back")).doesNotContainKey(backVip);
        cluster.eventually("tasks left back", () -> cluster.hasCondition("my-web", "Progressing", "False", "Complete")
                && cluster.pods("my-web").stream().allMatch(p -> addressOf(p, "back") == null));
        cluster.eventually("back holds nothing", () -> cluster.operator.ledger().holdings(ns, "back").isEmpty());
    }

    @Test
    void kubectlScalesTheServiceAndWaitsForReady(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TestCluster.assumeKubectl();
        java.nio.file.Path kubeconfig = cluster.api.writeKubeconfig(dir.resolve("kubeconfig"));
        cluster.network("my-network", null, true);
        kubelet.startAutomatically();
        cluster.service("my-web", 1, List.of("my-network"), spec -> { });

        assertThat(kubectl(kubeconfig, "scale", "ssvc/my-web", "--replicas=3")).contains("scaled");
        String waited = kubectl(kubeconfig, "wait", "--for=condition=Ready", "ssvc/my-web", "--timeout=60s");

        assertThat(waited).contains("condition met");
        assertThat(cluster.pods("my-web")).hasSize(3);
        assertThat(kubectl(kubeconfig, "get", "ssvc", "my-web", "-o", "jsonpath={.status.tasksReady}")).isEqualTo("3/3");
    }

    private String kubectl(java.nio.file.Path kubeconfig, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(TestCluster.KUBECTL.toString(), "--kubeconfig", kubeconfig.toString(), "-n", ns));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("kubectl %s: %s", String.join(" ", args), output).isZero();
        return output.trim();
    }
}
