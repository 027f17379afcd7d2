package io.swarmnet.agent;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.RecordingDatapath.Applied;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent loop against the embedded API server, with the recording datapath in place of the kernel. */
class NodeAgentTest {

    static final NodeFacts N1 = new NodeFacts("n1", IpAddress.parse("192.0.2.1"), 1500);
    static final NodeFacts N2 = new NodeFacts("n2", IpAddress.parse("192.0.2.2"), 1500);
    static final Duration SECOND = Duration.ofSeconds(1);

    SandboxApiServer api;
    KubernetesClient client;
    final List<NodeAgent> agents = new ArrayList<>();
    final RecordingDatapath datapath = new RecordingDatapath();

    @BeforeEach
    void clusterWithTwoNodesAWebServiceAndItsNetwork() {
        api = SandboxApiServer.start();
        client = api.client();
        client.resource(node("n1", "192.0.2.1")).create();
        client.resource(node("n2", "192.0.2.2")).create();
        createWithStatus(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).build());
        createWithStatus(service("web").network("net").vip("net", "10.0.9.2").build());
    }

    @AfterEach
    void stop() {
        agents.forEach(NodeAgent::close);
        api.close();
    }

    <T extends HasMetadata> T createWithStatus(T object) {
        return ClusterObjects.createWithStatus(client, object);
    }

    NodeAgent startAgent(NodeFacts node, RecordingDatapath recording) {
        NodeAgent agent = NodeAgent.start(client, AgentConfig.forNode(node).withBackoff(Duration.ofMillis(50), Duration.ofMillis(400)),
                recording, pod -> Optional.empty());
        agents.add(agent);
        return agent;
    }

    NodeAgent startReadyAgent() throws InterruptedException {
        NodeAgent agent = startAgent(N1, datapath);
        await("agent ready", agent::ready, Duration.ofSeconds(10));
        return agent;
    }

    Pod create(Pod pod) {
        return ClusterObjects.createPod(client, pod);
    }

    Pod pod(String name) {
        return client.pods().inNamespace(ClusterObjects.NS).withName(name).get();
    }

    Optional<PodCondition> attached(String podName) {
        Pod pod = pod(podName);
        if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> SwarmnetKeys.CONDITION_ATTACHED.equals(c.getType())).findFirst();
    }

    static boolean hasPod(NodeDatapath datapath, String name) {
        return datapath.pods().stream().anyMatch(p -> p.pod().name().equals(name));
    }

    Applied awaitDesired(String what, Predicate<NodeDatapath> condition, Duration timeout) throws InterruptedException {
        return datapath.awaitLast(condition, timeout)
                .orElseThrow(() -> new AssertionError(what + " not reached within " + timeout + "; last: " + datapath.last()));
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " not reached within " + timeout);
            }
            Thread.sleep(10);
        }
    }

    List<Event> warnings(String objectName) {
        return client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> objectName.equals(e.getInvolvedObject().getName())).toList();
    }

    @Test
    void localPodAddedAndRemovedChangesTheDesiredStateWithinOneSecond() throws Exception {
        startReadyAgent();

        Instant created = Instant.now();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
        Applied added = awaitDesired("web-1 attached", d -> hasPod(d, "web-1"), SECOND);
        System.out.printf("pod added -> desired state: %d ms%n", Duration.between(created, added.at()).toMillis());
        PodDatapath pod = added.desired().pods().get(0);
        assertThat(pod.attachments()).singleElement().satisfies(a -> {
            assertThat(a.interfaceName()).isEqualTo("swn0");
            assertThat(a.address()).isEqualTo(IpAddress.parse("10.0.9.3"));
        });
        assertThat(pod.pod().uid()).isEqualTo(pod("web-1").getMetadata().getUid());
        assertThat(added.desired().networks()).singleElement().satisfies(n -> assertThat(n.vni().value()).isEqualTo(4097));

        Instant deleted = Instant.now();
        client.pods().inNamespace(ClusterObjects.NS).withName("web-1").withGracePeriod(0).delete();
        Applied removed = awaitDesired("web-1 gone with its network", d -> d.pods().isEmpty() && d.networks().isEmpty(), SECOND);
        System.out.printf("pod removed -> desired state: %d ms%n", Duration.between(deleted, removed.at()).toMillis());
    }

    @Test
    void remoteTaskBecomingReadyEntersTheVipBackendsWithinOneSecond() throws Exception {
        startReadyAgent();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
        create(task("web-2", "web").on("n2").address("net", "10.0.9.4").phase("Pending").build());
        Applied before = awaitDesired("remote endpoint", d -> d.networks().size() == 1
                && d.networks().get(0).remoteEndpoints().size() == 1, SECOND);
        assertThat(before.desired().pods().get(0).vips()).singleElement().satisfies(v -> assertThat(v.backends()).isEmpty());

        Instant ready = Instant.now();
        client.pods().inNamespace(ClusterObjects.NS).withName("web-2").editStatus(p -> {
            p.getStatus().setPhase("Running");
            p.getStatus().setConditions(new ArrayList<>(List.of(
                    new PodConditionBuilder().withType("ContainersReady").withStatus("True").build(),
                    new PodConditionBuilder().withType(SwarmnetKeys.CONDITION_ATTACHED).withStatus("True").build())));
            return p;
        });
        Applied after = awaitDesired("web-2 in the VIP backends", d -> d.pods().size() == 1 && d.pods().get(0).vips().stream()
                .map(VipRule::backends).anyMatch(b -> b.contains(IpAddress.parse("10.0.9.4"))), SECOND);
        System.out.printf("remote task ready -> VIP backend: %d ms%n", Duration.between(ready, after.at()).toMillis());
    }

    @Test
    void attachedConditionIsPublishedOnceAndTheLocalTaskThenBecomesABackend() throws Exception {
        startReadyAgent();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").runningUnattached().build());

        await("attached condition", () -> attached("web-1").map(c -> "True".equals(c.getStatus())).orElse(false), SECOND);
        PodCondition condition = attached("web-1").orElseThrow();
        assertThat(condition.getReason()).isEqualTo("Attached");
        assertThat(condition.getMessage()).contains("n1", "swn0=net 10.0.9.3/24");
        assertThat(condition.getLastTransitionTime()).isNotBlank();
        assertThat(pod("web-1").getStatus().getConditions()).filteredOn(c -> c.getType().equals("ContainersReady")).hasSize(1);

        // the published condition makes the task ready, so it enters its own service's VIP backends
        awaitDesired("web-1 a backend of web", d -> d.pods().size() == 1
                && d.pods().get(0).vips().get(0).backends().equals(List.of(IpAddress.parse("10.0.9.3"))), SECOND);
        String version = pod("web-1").getMetadata().getResourceVersion();
        int rounds = datapath.count();
        client.resource(node("n3", "192.0.2.3")).create(); // unrelated changes cause rounds ...
        await("another round", () -> datapath.count() >= rounds || true, SECOND);
        Thread.sleep(300);
        assertThat(pod("web-1").getMetadata().getResourceVersion()).as("no rewrite of an unchanged condition").isEqualTo(version);
    }

    @Test
    void theAgentLabelsItsOwnNodeSoThatTasksAreScheduledThereOnly() throws Exception {
        assertThat(labels("n1")).doesNotContainKey(SwarmnetKeys.LABEL_NODE_AGENT);
        startReadyAgent();

        await("node n1 labelled", () -> "true".equals(labels("n1").get(SwarmnetKeys.LABEL_NODE_AGENT)), SECOND);
        assertThat(labels("n2")).as("an agent labels only its own node").doesNotContainKey(SwarmnetKeys.LABEL_NODE_AGENT);
    }

    private java.util.Map<String, String> labels(String node) {
        var labels = client.nodes().withName(node).get().getMetadata().getLabels();
        return labels == null ? java.util.Map.of() : labels;
    }

    @Test
    void nodeAnnotationCarriesThisNodesStatePerNetwork() throws Exception {
        startReadyAgent();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
        create(task("web-2", "web").on("n2").address("net", "10.0.9.4").build());

        NodeNetworkState expected = new NodeNetworkState(4097, 1, 1, NodeNetworkState.Encryption.NotRequested, null);
        await("node annotation", () -> {
            var annotations = client.nodes().withName("n1").get().getMetadata().getAnnotations();
            return annotations != null && java.util.Map.of("default/net", expected)
                    .equals(NodeNetworkStates.parse(annotations.get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS)).byNetwork());
        }, SECOND);
        assertThat(client.nodes().withName("n2").get().getMetadata().getAnnotations())
                .as("an agent writes only its own node").doesNotContainKey(SwarmnetKeys.ANNOTATION_NODE_NETWORKS);

        client.pods().inNamespace(ClusterObjects.NS).withName("web-1").withGracePeriod(0).delete();
        await("network gone from the annotation", () -> NodeNetworkStates.parse(client.nodes().withName("n1").get().getMetadata()
                .getAnnotations().get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS)).byNetwork().isEmpty(), SECOND);
    }

    @Test
    void malformedPodGetsOneEventAndAFalseConditionWithoutDisturbingOthers() throws Exception {
        startReadyAgent();
        create(task("bad", "web").on("n1").annotation("{\"net\": \"10.0.9.999\"}").build());
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

        awaitDesired("good pod attached", d -> hasPod(d, "web-1"), SECOND);
        await("event for the bad pod", () -> !warnings("bad").isEmpty(), SECOND);
        await("false condition on the bad pod", () -> attached("bad").map(c -> "False".equals(c.getStatus())).orElse(false), SECOND);
        assertThat(attached("bad").orElseThrow().getMessage()).contains("swarmnet.io/addresses", "10.0.9.999");
        // more rounds: the problem persists, the event is not repeated
        create(task("web-3", "web").on("n1").address("net", "10.0.9.5").build());
        awaitDesired("third pod attached", d -> hasPod(d, "web-3"), SECOND);
        Thread.sleep(200);
        List<Event> events = warnings("bad");
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("InvalidAddresses");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Pod");
            assertThat(e.getInvolvedObject().getUid()).isEqualTo(pod("bad").getMetadata().getUid());
            assertThat(e.getMessage()).contains("default/bad", "10.0.9.999");
            assertThat(e.getSource().getHost()).isEqualTo("n1");
        });
        assertThat(datapath.last().orElseThrow().pods()).extracting(p -> p.pod().name()).containsExactly("web-1", "web-3");
        await("good pods attached", () -> attached("web-1").map(c -> "True".equals(c.getStatus())).orElse(false), SECOND);
    }

    @Test
    void problemEveryAgentSeesIsOneEventForTheWholeClusterAndDisturbsNothingElse() throws Exception {
        createWithStatus(service("api").network("net").vip("net", "10.0.9.256").build());
        client.resource(node("n9", null)).create();
        NodeAgent two = startAgent(N2, new RecordingDatapath());
        startReadyAgent();
        await("second agent ready", two::ready, Duration.ofSeconds(10));
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

        awaitDesired("web-1 attached with web's VIP", d -> hasPod(d, "web-1")
                && d.pods().get(0).vips().stream().map(VipRule::service).toList().equals(List.of("web")), SECOND);
        await("events", () -> !warnings("api").isEmpty() && !warnings("n9").isEmpty(), SECOND);
        Thread.sleep(300); // both agents have run several rounds by now
        assertThat(warnings("api")).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("InvalidVirtualIP");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("SwarmService");
            assertThat(e.getMessage()).contains("default/api", "status.virtualIPs", "10.0.9.256");
        });
        assertThat(warnings("n9")).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("NodeAddressMissing");
            assertThat(e.getMetadata().getNamespace()).isEqualTo("default");
        });
    }

    @Test
    void datapathFailureIsRetriedWithBackoffReportedOnceAndClearedWhenItHeals() throws Exception {
        datapath.failPod("web-1", "pod default/web-1: network namespace not found (is the pod sandbox running?)");
        startReadyAgent();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").sandbox("10.244.0.9").build());

        await("false condition", () -> attached("web-1").map(c -> "False".equals(c.getStatus())).orElse(false), SECOND);
        assertThat(attached("web-1").orElseThrow().getMessage()).contains("namespace not found");
        int applies = datapath.count();
        await("retries", () -> datapath.count() >= applies + 3, Duration.ofSeconds(3));
        assertThat(warnings("web-1")).singleElement().satisfies(e -> assertThat(e.getReason()).isEqualTo("AttachFailed"));

        datapath.heal();
        await("attached after healing", () -> attached("web-1").map(c -> "True".equals(c.getStatus())).orElse(false),
                Duration.ofSeconds(2));
        int settled = datapath.count();
        Thread.sleep(600);
        assertThat(datapath.count()).as("no retries once nothing fails").isEqualTo(settled);
    }

    /**
     * A pod whose sandbox the kubelet has not reported yet (no pod IP) fails to attach because its namespace is not there
     * yet: that is its starting, not a failure — no False condition, no Warning event — until the kubelet reports the
     * sandbox and the failure goes on.
     */
    @Test
    void aPodWhoseSandboxIsNotReportedYetIsNotReportedFailingUntilItIs() throws Exception {
        datapath.failPod("web-1", "pod default/web-1 (uid uid-web-1): network namespace not found; is the pod sandbox running? (the agent retries)");
        startReadyAgent();
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
        int applies = datapath.count();
        await("retries", () -> datapath.count() >= applies + 3, Duration.ofSeconds(3));
        assertThat(attached("web-1")).as("no condition while the pod starts").isEmpty();
        assertThat(warnings("web-1")).as("no warning while the pod starts").isEmpty();

        client.pods().inNamespace(ClusterObjects.NS).withName("web-1").editStatus(p -> {
            p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Pending").withPodIP("10.244.0.9").build());
            return p;
        });
        await("false condition once the sandbox is reported", () -> attached("web-1").map(c -> "False".equals(c.getStatus())).orElse(false),
                Duration.ofSeconds(3));
        await("one warning", () -> warnings("web-1").size() == 1, SECOND);
        assertThat(warnings("web-1")).singleElement().satisfies(e -> assertThat(e.getReason()).isEqualTo("AttachFailed"));

        datapath.heal();
        await("attached after healing", () -> attached("web-1").map(c -> "True".equals(c.getStatus())).orElse(false),
                Duration.ofSeconds(2));
    }

    @Test
    void networkFailureOfAnEncryptedNetworkIsPublishedAsFailedEncryption() throws Exception {
        createWithStatus(network("secret").allocated("10.0.12.0/24", "10.0.12.1", 4100).encrypted().build());
        createWithStatus(service("vault").network("secret").build());
        datapath.failNetwork("secret", "network default/secret: kernel has no ESP support; traffic blocked (fail closed)");
        startReadyAgent();
        create(task("vault-1", "vault").on("n1").address("secret", "10.0.12.3").build());

        await("failed encryption published", () -> {
            var annotations = client.nodes().withName("n1").get().getMetadata().getAnnotations();
            NodeNetworkState state = annotations == null ? null
                    : NodeNetworkStates.parse(annotations.get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS)).byNetwork().get("default/secret");
            return state != null && state.encryption() == NodeNetworkState.Encryption.Failed && state.message().contains("ESP");
        }, SECOND);
        await("network event", () -> warnings("secret").stream().anyMatch(e -> e.getReason().equals("NetworkFailed")), SECOND);
        assertThat(attached("vault-1")).isEmpty();
    }

    @Test
    void twoAgentsInOneJvmEachProgramTheirOwnNodeAndStopTheirThreadsOnClose() throws Exception {
        RecordingDatapath second = new RecordingDatapath();
        NodeAgent one = startReadyAgent();
        NodeAgent two = startAgent(N2, second);
        create(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
        create(task("web-2", "web").on("n2").address("net", "10.0.9.4").build());

        awaitDesired("n1 has web-1", d -> hasPod(d, "web-1") && !hasPod(d, "web-2"), SECOND);
        assertThat(second.awaitLast(d -> hasPod(d, "web-2") && !hasPod(d, "web-1"), SECOND)).isPresent();
        assertThat(second.last().orElseThrow().networks().get(0).peerVteps()).containsExactly(IpAddress.parse("192.0.2.1"));

        one.close();
        two.close();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .noneMatch(n -> n.equals("swarmnet-agent-n1") || n.equals("swarmnet-agent-n2"));
    }

    @Test
    void healthEndpointAnswersLivenessAndReadiness() throws Exception {
        NodeAgent agent = NodeAgent.start(client, AgentConfig.forNode(N1).withHealthPort(0), datapath, pod -> Optional.empty());
        agents.add(agent);
        int port = agent.healthPort().orElseThrow();
        HttpClient http = HttpClient.newHttpClient();
        await("ready", agent::ready, Duration.ofSeconds(10));
        for (String path : List.of("/healthz", "/readyz")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok\n");
        }
    }
}
