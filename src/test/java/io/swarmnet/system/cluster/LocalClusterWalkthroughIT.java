package io.swarmnet.system.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.system.chart.RepositoryLayout;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * swarmnet on a real Kubernetes: the chart installed with helm on {@code ./swarmnet cluster} (an
 * upstream API server with Node,RBAC authorization and default admission, real kubelets and
 * containerd), the operator and the agents as real pods under the chart's ServiceAccounts, and
 * Docker's overlay walkthrough with the manifests in examples/ and real images, checked from inside
 * the busybox task with kubectl exec. Steps build on each other, so the first that fails skips the
 * rest instead of cascading.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterWalkthroughIT {

    private static final String NAMESPACE = "swarmnet-system";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SHORT = Duration.ofMinutes(2);

    private static RepositoryLayout repo;
    private static LocalCluster cluster;
    private static String failedStep;

    @BeforeAll
    static void startCluster() {
        Optional<String> unavailable = LocalCluster.unavailableReason();
        assumeTrue(unavailable.isEmpty(), unavailable.orElse(""));
        repo = RepositoryLayout.find();
        cluster = LocalCluster.up(repo.root(), 2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Runs one step of the scenario; once a step failed, the later ones are skipped naming it. */
    private static void step(String name, ThrowingStep body) throws Exception {
        assumeTrue(failedStep == null, "skipped: the earlier step \"" + failedStep + "\" failed");
        try {
            body.run();
        } catch (Throwable t) {
            failedStep = name;
            throw t;
        }
    }

    @FunctionalInterface
    private interface ThrowingStep {
        void run() throws Exception;
    }

    private static String kubectl(String... args) {
        return cluster.kubectl(SHORT, args).output();
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    private record Task(String pod, String node, String address) {
    }

    /** Each task's address on my-network, from the annotation the operator writes before it creates the pod. */
    private static List<Task> tasks(String service) throws IOException {
        JsonNode pods = json(kubectl("get", "pods", "-l", "swarmnet.io/service=" + service, "-o", "json"));
        List<Task> tasks = new ArrayList<>();
        for (JsonNode pod : pods.path("items")) {
            JsonNode addresses = json(pod.path("metadata").path("annotations").path("swarmnet.io/addresses").asText("{}"));
            tasks.add(new Task(pod.path("metadata").path("name").asText(), pod.path("spec").path("nodeName").asText(),
                    addresses.path("my-network").asText()));
        }
        return tasks;
    }

    private static String inBusybox(String... command) throws IOException {
        List<String> args = new ArrayList<>(List.of("exec", tasks("my-busybox").get(0).pod(), "--"));
        args.addAll(List.of(command));
        return kubectl(args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void helmInstallsTheChartWithTheLocallyBuiltImage() throws Exception {
        step("helm install", () -> {
            cluster.helm(Duration.ofMinutes(6), "install", "swarmnet", repo.chart().toString(),
                    "--namespace", NAMESPACE, "--create-namespace",
                    "--set", "image.repository=swarmnet/swarmnet", "--set", "image.tag=dev",
                    "--wait", "--timeout", "5m").output();
            JsonNode agents = json(kubectl("-n", NAMESPACE, "get", "daemonset", "swarmnet-agent", "-o", "json"));
            assertThat(agents.path("status").path("numberReady").asInt()).as("agents ready").isEqualTo(2);
            JsonNode operator = json(kubectl("-n", NAMESPACE, "get", "deployment", "swarmnet-operator", "-o", "json"));
            assertThat(operator.path("status").path("readyReplicas").asInt()).as("operator replicas ready").isGreaterThanOrEqualTo(1);
        });
    }

    @Test
    @Order(2)
    void dockersWalkthroughRunsOnRealNodes() throws Exception {
        step("the walkthrough", () -> {
            kubectl("apply", "-f", repo.examples().toString());
            cluster.kubectl(Duration.ofMinutes(4), "wait", "--for=condition=Ready", "overlaynetwork/my-network", "--timeout=180s").output();
            cluster.kubectl(Duration.ofMinutes(6), "wait", "--for=condition=Ready", "swarmservice", "--all", "--timeout=300s").output();

            List<Task> web = tasks("my-web");
            assertThat(web).hasSize(3).allSatisfy(t -> assertThat(t.address()).startsWith("10.0.9."));
            assertThat(new HashSet<>(web.stream().map(Task::node).toList())).as("nodes running my-web").hasSize(2);
            String vip = json(kubectl("get", "swarmservice", "my-web", "-o", "json"))
                    .path("status").path("virtualIPs").get(0).path("address").asText();
            assertThat(vip).startsWith("10.0.9.");

            String lookup = inBusybox("nslookup", "my-web");
            assertThat(lookup).as("nslookup my-web").contains("127.0.0.11").contains(vip);
            String taskLookup = inBusybox("nslookup", "tasks.my-web");
            web.forEach(t -> assertThat(taskLookup).as("nslookup tasks.my-web").contains(t.address()));

            // busybox's wget crashes when given -T here, so each request is bounded by timeout(1) instead
            assertThat(inBusybox("timeout", "10", "wget", "-q", "-O-", "http://my-web/")).startsWith("Hello from task my-web");
            Set<String> answeredBy = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                answeredBy.add(inBusybox("timeout", "10", "wget", "-q", "-O-", "http://my-web/").trim());
            }
            Set<String> nodesAnswering = new HashSet<>();
            for (Task t : web) {
                if (answeredBy.contains("Hello from task " + t.pod())) {
                    nodesAnswering.add(t.node());
                }
            }
            assertThat(nodesAnswering).as("nodes whose tasks answered through the VIP (answers: %s)", answeredBy).hasSize(2);

            List<Task> dnsrr = tasks("my-dnsrr-service");
            String dnsrrLookup = inBusybox("nslookup", "my-dnsrr-service");
            dnsrr.forEach(t -> assertThat(dnsrrLookup).as("nslookup my-dnsrr-service").contains(t.address()));
        });
    }

    @Test
    @Order(3)
    void eachComponentIsRefusedWhatItsRoleDoesNotGrant() throws Exception {
        step("RBAC", () -> {
            String operator = "system:serviceaccount:" + NAMESPACE + ":swarmnet-operator";
            String agent = "system:serviceaccount:" + NAMESPACE + ":swarmnet-agent";
            assertThat(canI(operator, "create", "pods", "-n", "default")).as("operator creates task pods").isTrue();
            assertThat(canI(operator, "delete", "nodes")).as("operator deletes nodes").isFalse();
            assertThat(canI(operator, "create", "clusterrolebindings")).as("operator binds cluster roles").isFalse();
            assertThat(canI(agent, "create", "pods", "-n", "default")).as("agent creates pods").isFalse();
            assertThat(canI(agent, "get", "secrets/swarmnet-encryption-keys", "-n", NAMESPACE)).as("agent reads the key Secret").isTrue();
            assertThat(canI(agent, "get", "secrets", "-n", "kube-system")).as("agent reads other Secrets").isFalse();
            assertThat(canI(agent, "delete", "swarmservices.swarmnet.io", "-n", "default")).as("agent deletes services").isFalse();
        });
    }

    private static boolean canI(String who, String... request) {
        List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + who));
        args.addAll(List.of(request));
        LocalCluster.Result result = cluster.kubectl(SHORT, args.toArray(String[]::new));
        String answer = result.stdout().trim();
        assertThat(answer).as("kubectl auth can-i %s: %s", String.join(" ", request), result).isIn("yes", "no");
        return answer.equals("yes");
    }

    @Test
    @Order(4)
    void uninstallLeavesNothingOnTheNodes() throws Exception {
        step("helm uninstall", () -> {
            for (String node : List.of("node-1", "node-2")) {
                assertThat(cluster.onNode(node, "ip", "-o", "link").output()).as("links on %s before", node).contains("swn");
            }
            kubectl("delete", "-f", repo.examples().toString(), "--wait=true", "--timeout=180s");
            cluster.helm(Duration.ofMinutes(4), "uninstall", "swarmnet", "--namespace", NAMESPACE, "--wait", "--timeout", "3m").output();
            // every kernel object of the agent's starts with "swn" (containerd's pod namespaces are cni-*)
            for (String node : List.of("node-1", "node-2")) {
                assertThat(cluster.onNode(node, "ip", "-o", "link").output()).as("links on %s", node).doesNotContain("swn");
                assertThat(cluster.onNode(node, "ip", "netns", "list").output().lines())
                        .as("network namespaces on %s", node).noneMatch(l -> l.startsWith("swn"));
                assertThat(cluster.onNode(node, "nft", "list", "tables").output()).as("nft tables on %s", node).doesNotContain("swn");
                assertThat(cluster.onNode(node, "ip", "xfrm", "state").output()).as("xfrm states on %s", node).isBlank();
                assertThat(cluster.onNode(node, "ip", "xfrm", "policy").output()).as("xfrm policies on %s", node).isBlank();
            }
        });
    }
}
