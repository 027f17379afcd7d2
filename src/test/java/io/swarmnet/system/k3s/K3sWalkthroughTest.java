package io.swarmnet.system.k3s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.system.chart.Helm;
import io.swarmnet.system.chart.HostCommand;
import io.swarmnet.system.chart.PinnedTool;
import io.swarmnet.system.chart.RepositoryLayout;
import io.swarmnet.system.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real thing on real Kubernetes: builds the image from the Dockerfile, starts a three-node k3s
 * cluster in Docker, installs the chart with helm, applies examples/ and checks Docker's overlay
 * walkthrough from inside the busybox task with kubectl exec. Runs wherever a Docker engine answers;
 * elsewhere it is skipped ({@link RequiresDockerEngine}) with a message saying no engine is reachable.
 */
@ExtendWith(RequiresDockerEngine.class)
@Scenario
@Tag("e2e")
class K3sWalkthroughTest {

    private static final String IMAGE_REPOSITORY = "swarmnet/swarmnet";
    private static final String IMAGE_TAG = "k3s-test";
    private static final String NAMESPACE = "swarmnet-system";
    private static final int AGENT_NODES = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RepositoryLayout repo;
    private static Helm helm;
    private static Path kubectlBinary;
    private static Path imageTar;
    private static K3sCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        kubectlBinary = PinnedTool.find("kubectl").orElse(null);
        assumeTrue(kubectlBinary != null, PinnedTool.missing("kubectl"));
        repo = RepositoryLayout.find();

        String image = IMAGE_REPOSITORY + ":" + IMAGE_TAG;
        // the Maven build inside the image downloads its dependencies: give it time
        HostCommand.run(Duration.ofMinutes(40), List.of("docker", "build", "-t", image, repo.root().toString())).output();
        imageTar = Files.createTempFile("swarmnet-image", ".tar");
        HostCommand.run(Duration.ofMinutes(5), List.of("docker", "save", "-o", imageTar.toString(), image)).output();
        cluster = K3sCluster.start(AGENT_NODES, imageTar);
        awaitRegisteredNodes(cluster.nodeCount(), Duration.ofMinutes(3));
        kubectl(Duration.ofMinutes(5), "wait", "--for=condition=Ready", "node", "--all", "--timeout=300s");
    }

    /** Agents register a little after their container starts; `wait --all` alone would pass with only the server. */
    private static void awaitRegisteredNodes(int expected, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        int seen = 0;
        while (System.nanoTime() < deadline) {
            seen = (int) kubectl("get", "nodes", "-o", "name").lines().filter(l -> !l.isBlank()).count();
            if (seen == expected) {
                return;
            }
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for nodes", e);
            }
        }
        throw new AssertionError(seen + " of " + expected + " k3s nodes registered within " + limit.toSeconds() + " s");
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (imageTar != null) {
            Files.deleteIfExists(imageTar);
        }
    }

    private static String kubectl(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(kubectlBinary.toString(), "--kubeconfig", cluster.kubeconfig().toString()));
        command.addAll(List.of(args));
        return HostCommand.run(timeout, command).output();
    }

    private static String kubectl(String... args) {
        return kubectl(Duration.ofMinutes(2), args);
    }

    private static String helm(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--kubeconfig", cluster.kubeconfig().toString()));
        return helm.run(command).output();
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    /** Each task's address on the network, from the annotation the operator writes before creating the pod. */
    private static List<TaskOnNode> tasks(String service) throws IOException {
        JsonNode pods = json(kubectl("get", "pods", "-l", "swarmnet.io/service=" + service, "-o", "json"));
        List<TaskOnNode> tasks = new ArrayList<>();
        for (JsonNode pod : pods.path("items")) {
            JsonNode addresses = json(pod.path("metadata").path("annotations").path("swarmnet.io/addresses").asText("{}"));
            tasks.add(new TaskOnNode(pod.path("metadata").path("name").asText(), pod.path("spec").path("nodeName").asText(),
                    addresses.path("my-network").asText()));
        }
        return tasks;
    }

    private record TaskOnNode(String pod, String node, String address) {
    }

    private static String inBusybox(String... command) throws IOException {
        String pod = tasks("my-busybox").get(0).pod();
        List<String> args = new ArrayList<>(List.of("exec", pod, "--"));
        args.addAll(List.of(command));
        return kubectl(args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void chartInstallsOperatorAndOneAgentPerNode() throws IOException {
        helm("install", "swarmnet", repo.chart().toString(), "--namespace", NAMESPACE, "--create-namespace",
                "--set", "image.repository=" + IMAGE_REPOSITORY, "--set", "image.tag=" + IMAGE_TAG,
                "--set", "image.pullPolicy=Never", "--wait", "--timeout", "5m");
        JsonNode daemonSet = json(kubectl("-n", NAMESPACE, "get", "daemonset", "swarmnet-agent", "-o", "json"));
        assertThat(daemonSet.path("status").path("numberReady").asInt()).isEqualTo(cluster.nodeCount());
        JsonNode deployment = json(kubectl("-n", NAMESPACE, "get", "deployment", "swarmnet-operator", "-o", "json"));
        assertThat(deployment.path("status").path("readyReplicas").asInt()).isGreaterThanOrEqualTo(1);
        // exactly one replica leads
        JsonNode lease = json(kubectl("-n", NAMESPACE, "get", "lease", "swarmnet-operator", "-o", "json"));
        assertThat(lease.path("spec").path("holderIdentity").asText()).startsWith("swarmnet-operator-");
        assertThat(kubectl("get", "crd", "overlaynetworks.swarmnet.io", "swarmservices.swarmnet.io", "-o", "name"))
                .contains("overlaynetworks.swarmnet.io", "swarmservices.swarmnet.io");
    }

    @Test
    @Order(2)
    void dockersOverlayWalkthroughWorksAcrossNodes() throws IOException {
        kubectl("apply", "-f", repo.examples().toString());
        kubectl(Duration.ofMinutes(3), "wait", "--for=condition=Ready", "overlaynetwork/my-network", "--timeout=150s");
        kubectl(Duration.ofMinutes(6), "wait", "--for=condition=Ready", "swarmservice", "--all", "--timeout=330s");

        List<TaskOnNode> web = tasks("my-web");
        assertThat(web).hasSize(3).allSatisfy(t -> assertThat(t.address()).startsWith("10.0.9."));
        Set<String> webNodes = new HashSet<>(web.stream().map(TaskOnNode::node).toList());
        assertThat(webNodes).as("my-web's tasks spread over nodes").hasSizeGreaterThan(1);

        String vip = json(kubectl("get", "swarmservice", "my-web", "-o", "json"))
                .path("status").path("virtualIPs").get(0).path("address").asText();
        assertThat(vip).startsWith("10.0.9.");

        // nslookup my-web: the virtual IP; tasks.my-web: every task
        assertThat(inBusybox("nslookup", "my-web")).contains(vip);
        String taskAnswer = inBusybox("nslookup", "tasks.my-web");
        web.forEach(t -> assertThat(taskAnswer).contains(t.address()));

        // a task on another node than the busybox answers on the overlay
        String busyboxNode = tasks("my-busybox").get(0).node();
        TaskOnNode remote = web.stream().filter(t -> !t.node().equals(busyboxNode)).findFirst().orElseThrow();
        assertThat(inBusybox("ping", "-c", "3", "-W", "2", remote.address())).contains("3 packets received");

        // wget my-web through the VIP: round-robin over the tasks, no port published
        Set<String> answeredBy = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            answeredBy.add(inBusybox("wget", "-q", "-T", "5", "-O-", "http://my-web/").trim());
        }
        assertThat(answeredBy).as("tasks that answered through the VIP").hasSizeGreaterThan(1)
                .allSatisfy(a -> assertThat(a).startsWith("Hello from task my-web"));

        // dnsrr: no virtual IP, the name resolves to the tasks
        List<TaskOnNode> dnsrr = tasks("my-dnsrr-service");
        String dnsrrAnswer = inBusybox("nslookup", "my-dnsrr-service");
        dnsrr.forEach(t -> assertThat(dnsrrAnswer).contains(t.address()));
    }

    @Test
    @Order(3)
    void upgradeRollsTheComponentsAndUninstallKeepsTheCrds() throws IOException {
        helm("upgrade", "swarmnet", repo.chart().toString(), "--namespace", NAMESPACE, "--reuse-values",
                "--set", "logLevel=DEBUG", "--wait", "--timeout", "5m");
        JsonNode deployment = json(kubectl("-n", NAMESPACE, "get", "deployment", "swarmnet-operator", "-o", "json"));
        assertThat(deployment.path("spec").path("template").path("spec").path("containers").get(0).path("env").toString())
                .contains("\"SWARMNET_LOG_LEVEL\"", "\"DEBUG\"");
        // the overlay keeps working after the agents were replaced
        assertThat(inBusybox("nslookup", "tasks.my-web")).contains(tasks("my-web").get(0).address());

        kubectl(Duration.ofMinutes(3), "delete", "-f", repo.examples().toString(), "--wait=true", "--timeout=150s");
        helm("uninstall", "swarmnet", "--namespace", NAMESPACE, "--wait", "--timeout", "5m");
        assertThat(kubectl("-n", NAMESPACE, "get", "deployment,daemonset", "-o", "name")).isBlank();
        assertThat(kubectl("get", "clusterrole", "-o", "name")).doesNotContain("swarmnet-");
        assertThat(kubectl("get", "crd", "-o", "name")).contains("overlaynetworks.swarmnet.io");
    }
}
