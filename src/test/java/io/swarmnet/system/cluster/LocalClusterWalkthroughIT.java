package io.swarmnet.system.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.agent.datapath.KernelNames;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.desired.DesiredDatapath;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.system.chart.HostCommand;
import io.swarmnet.system.chart.RepositoryLayout;
import io.swarmnet.system.scenario.Scenario;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * swarmnet on a real Kubernetes: the chart installed with helm on {@code ./swarmnet cluster} (an
 * upstream API server with Node,RBAC authorization and default admission, real kubelets and
 * containerd), the operator and the agents as real pods under the chart's ServiceAccounts, and
 * Docker's overlay walkthrough with the manifests in examples/ and real images, checked from inside
 * the busybox task with kubectl exec. Steps build on each other, so the first that fails skips the
 * rest instead of cascading.
 */
@Scenario
class LocalClusterWalkthroughIT {

    private static final String NAMESPACE = "swarmnet-system";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SHORT = Duration.ofMinutes(2);
    /**
     * How many times the agent-restart step rolls the agents out under a DNS lookup loop
     * ({@code -Dswarmnet.walkthrough.rollouts=N}, default 1): a hand-over that fails now and then shows in a few.
     */
    private static final int ROLLOUTS = Integer.getInteger("swarmnet.walkthrough.rollouts", 1);
    /**
     * How the agents balance VIPs ({@code -Dswarmnet.walkthrough.vipBalancing=auto|nft|socket}, default the chart's
     * default, auto). With auto, each local node has a BPF file system at /sys/fs/bpf as a node booted by systemd does
     * (swarmnet-cluster mounts one in its mount namespace) and this machine's kernel lets the balancer attach: the
     * agents balance at the socket, pinned in the bpffs. With socket the walkthrough mounts a bpffs of its own on each
     * node ({@link #BPF_FS}) and names the pin directory in it.
     */
    private static final String BALANCING = System.getProperty("swarmnet.walkthrough.vipBalancing", "");
    private static final boolean EXPLICIT_SOCKET = "socket".equals(BALANCING);
    private static final boolean SOCKET = !"nft".equals(BALANCING);
    private static final String BPF_FS = "/var/lib/swarmnet/bpf";
    /** Where the agents pin the balancer, on the node, and as the agent's container sees it (auto: the chart's bpfFs at /host/bpf). */
    private static final String BPF_PINS = EXPLICIT_SOCKET ? BPF_FS + "/swarmnet" : "/sys/fs/bpf/swarmnet";
    private static final String AGENT_PINS = EXPLICIT_SOCKET ? BPF_PINS : "/host/bpf/swarmnet";

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
    static void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.close();
            cluster.assertNothingLeft();
            // a second down, with nothing up, is no error
            cluster.down().output();
        }
    }

    @Test
    @Order(0)
    void aSecondUpAndAnUnknownNodeAreRefusedWithTheReason() throws Exception {
        step("bad input", () -> {
            HostCommand.Result second = cluster.swarmnet(Duration.ofMinutes(5), "cluster", "up");
            assertThat(second.succeeded()).as("a second up: %s", second).isFalse();
            assertThat(second.stderr()).contains("already up").contains("./swarmnet cluster down");
            HostCommand.Result unknown = cluster.swarmnet(SHORT, "cluster", "exec", "node-9", "--", "true");
            assertThat(unknown.succeeded()).isFalse();
            assertThat(unknown.stderr()).contains("no node \"node-9\"").contains("node-1, node-2");
            assertThat(cluster.kubectl(SHORT, "get", "nodes").output()).contains("node-1").contains("node-2");
        });
    }

    /** Runs one step of the scenario; once a step failed, the later ones are skipped naming it. */
    private static void step(String name, ThrowingStep body) throws Exception {
        assumeTrue(failedStep == null, "skipped: the earlier step \"" + failedStep + "\" failed");
        try {
            body.run();
        } catch (Throwable t) {
            failedStep = name;
            try {
                // what the components said, for a failure no step explains itself
                System.out.println("step \"" + name + "\" failed: " + t.getMessage());
                System.out.println(cluster.kubectl(SHORT, "get", "pods", "-A", "-o", "wide").stdout());
                System.out.println("operator, its last 60 lines:\n" + cluster.kubectl(SHORT, "-n", NAMESPACE, "logs",
                        "deployment/swarmnet-operator", "--tail=60").stdout());
                // what the operator did to the tasks and why (TaskCreated, TaskReplaced, TaskUpdated, TaskRemoved, ...)
                String serviceEvents = cluster.kubectl(SHORT, "get", "events", "-A", "--field-selector", "involvedObject.kind=SwarmService",
                        "--sort-by=.lastTimestamp", "-o", "custom-columns=TIME:.lastTimestamp,SERVICE:.involvedObject.name,REASON:.reason,"
                                + "MESSAGE:.message").stdout();
                String[] lines = serviceEvents.split("\n");
                System.out.println("the services' events, the last 40:\n"
                        + String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 40), lines.length)));
                printAgentLogs(false);
            } catch (RuntimeException e) {
                System.out.println("(the cluster's state could not be read: " + e + ")");
            }
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

    /** A task pod; {@code ready}: not being deleted and its Ready condition true. */
    private record Task(String pod, String node, String address, boolean ready) {
    }

    /** Each task's address on my-network, from the annotation the operator writes before it creates the pod. */
    private static List<Task> tasks(String service) throws IOException {
        return tasks(service, "my-network");
    }

    private static List<Task> tasks(String service, String network) throws IOException {
        return tasks("default", service, network);
    }

    /** The tasks of a service of {@code namespace}, each with its address on {@code network} as that namespace writes it. */
    private static List<Task> tasks(String namespace, String service, String network) throws IOException {
        JsonNode pods = json(kubectl("-n", namespace, "get", "pods", "-l", "swarmnet.io/service=" + service, "-o", "json"));
        List<Task> tasks = new ArrayList<>();
        for (JsonNode pod : pods.path("items")) {
            JsonNode addresses = json(pod.path("metadata").path("annotations").path("swarmnet.io/addresses").asText("{}"));
            JsonNode readyCondition = condition(pod, "Ready"); // none yet on a pod just created
            boolean ready = pod.path("metadata").path("deletionTimestamp").isMissingNode()
                    && readyCondition != null && "True".equals(readyCondition.path("status").asText());
            tasks.add(new Task(pod.path("metadata").path("name").asText(), pod.path("spec").path("nodeName").asText(),
                    addresses.path(network).asText(), ready));
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
    void theImageHoldsEveryProgramTheAgentStarts() throws Exception {
        step("image contents", () -> {
            String programs = String.join(" ", new java.util.TreeSet<>(KernelTools.PROGRAMS));
            kubectl("run", "image-programs", "--image=swarmnet/swarmnet:dev", "--image-pull-policy=IfNotPresent", "--restart=Never",
                    "--command", "--", "sh", "-c",
                    "for p in " + programs + " java; do command -v $p > /dev/null || echo \"missing $p\"; done; "
                            // the library the agent programs nftables through (it falls back to nft, slower, without it)
                            + "ls /usr/lib/*-linux-gnu/libnftables.so.1 > /dev/null 2>&1 || echo 'missing libnftables.so.1'; echo checked");
            cluster.kubectl(Duration.ofMinutes(2), "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/image-programs",
                    "--timeout=90s").output();
            String log = kubectl("logs", "image-programs");
            kubectl("delete", "pod", "image-programs", "--wait=false");
            assertThat(log).as("programs %s, java and libnftables in swarmnet/swarmnet:dev", programs).contains("checked").doesNotContain("missing");
        });
    }

    @Test
    @Order(2)
    void helmInstallsTheChartWithTheLocallyBuiltImage() throws Exception {
        step("helm install", () -> {
            List<String> install = new ArrayList<>(List.of("install", "swarmnet", repo.chart().toString(),
                    "--namespace", NAMESPACE, "--create-namespace",
                    "--set", "image.repository=swarmnet/swarmnet", "--set", "image.tag=dev",
                    "--wait", "--timeout", "5m"));
            // -Dswarmnet.walkthrough.podAttachment=veth runs the whole walkthrough with the agents' other layout; unset, the
            // chart's default (macvlan, the agent's own default too: ChartConfigurationTest) is installed
            String attachment = System.getProperty("swarmnet.walkthrough.podAttachment", "");
            if (!attachment.isEmpty()) {
                install.addAll(List.of("--set", "agent.podAttachment=" + attachment));
            }
            String expected = attachment.isEmpty() ? PodAttachmentMode.DEFAULT.setting() : attachment;
            // -Dswarmnet.walkthrough.vipBalancing=socket: VIPs balanced at the socket, the programs attached to this
            // machine's cgroup2 root (the nodes' kernel is this machine's)
            String balancing = System.getProperty("swarmnet.walkthrough.vipBalancing", "");
            if (!balancing.isEmpty()) {
                install.addAll(List.of("--set", "agent.vipBalancing=" + balancing));
                if (EXPLICIT_SOCKET) {
                    java.nio.file.Path root = io.swarmnet.agent.bpf.SocketLoadBalancer.cgroup2Root()
                            .orElseThrow(() -> new AssertionError("vipBalancing=socket needs a cgroup2 mount on this machine"));
                    install.addAll(List.of("--set", "agent.cgroup2Root=" + root));
                    // a BPF file system of each node's own (in its mount namespace: it goes when the node goes), where
                    // the agents pin the balancer so that it outlives their restarts
                    for (String node : List.of("node-1", "node-2")) {
                        cluster.onNode(node, "mkdir", "-p", BPF_FS).output();
                        if (!cluster.onNode(node, "mountpoint", "-q", BPF_FS).succeeded()) {
                            cluster.onNode(node, "mount", "-t", "bpf", "bpf", BPF_FS).output();
                        }
                    }
                    install.addAll(List.of("--set", "agent.bpfPins=" + BPF_PINS));
                }
            }
            cluster.helm(Duration.ofMinutes(6), install.toArray(String[]::new)).output();
            JsonNode agents = json(kubectl("-n", NAMESPACE, "get", "daemonset", "swarmnet-agent", "-o", "json"));
            assertThat(agents.path("status").path("numberReady").asInt()).as("agents ready").isEqualTo(2);
            List<String> attachments = new ArrayList<>();
            for (JsonNode container : agents.path("spec").path("template").path("spec").path("containers")) {
                for (JsonNode env : container.path("env")) {
                    if (env.path("name").asText().equals("SWARMNET_POD_ATTACHMENT")) {
                        attachments.add(container.path("name").asText() + "=" + env.path("value").asText());
                    }
                }
            }
            assertThat(attachments).as("the agents' pod attachment (SWARMNET_POD_ATTACHMENT of each container)")
                    .contains("agent=" + expected).allMatch(a -> a.endsWith("=" + expected));
            if (SOCKET) {
                for (String pod : kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "-o",
                        "jsonpath={.items[*].metadata.name}").trim().split(" ")) {
                    // auto: the chart mounts the node's /sys/fs/cgroup, whose unified directory is this machine's cgroup2 root
                    assertThat(kubectl("-n", NAMESPACE, "logs", pod, "-c", "agent")).as("agent %s attached the socket balancer", pod)
                            .contains("VIPs balanced at the socket, BPF programs attached to /host/cgroup2")
                            .contains("pinned in " + AGENT_PINS)
                            .contains("VIPs balanced by socket" + (EXPLICIT_SOCKET ? "," : " (auto),"));
                }
            }
            JsonNode operator = json(kubectl("-n", NAMESPACE, "get", "deployment", "swarmnet-operator", "-o", "json"));
            assertThat(operator.path("status").path("readyReplicas").asInt()).as("operator replicas ready").isGreaterThanOrEqualTo(1);
        });
    }

    @Test
    @Order(3)
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
            // the tasks started the ordinary way: the agents waited for their sandboxes instead of warning that their
            // network namespaces were not there yet (a Warning event per task before 2026-12-06)
            assertThat(kubectl("get", "events", "-n", "default", "--field-selector", "reason=AttachFailed", "-o",
                    "jsonpath={range .items[*]}{.involvedObject.name}: {.message}{\"\\n\"}{end}"))
                    .as("AttachFailed events of the walkthrough's tasks").isBlank();

            // DNS names the tasks that run and are ready: a task being replaced meanwhile comes and goes, so the answer is
            // checked against the ready ones until it holds all three
            String[] seen = {""};
            try {
                awaitSeconds("nslookup my-dnsrr-service listing its 3 ready tasks", System.nanoTime(), Duration.ofSeconds(60), () -> {
                    List<Task> ready = tasks("my-dnsrr-service").stream().filter(Task::ready).toList();
                    String answer = inBusybox("nslookup", "my-dnsrr-service");
                    seen[0] = "ready tasks " + ready + ", answer " + answer;
                    return ready.size() == 3 && ready.stream().allMatch(t -> answer.contains(t.address()));
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last seen: " + seen[0], e);
            }
        });
    }

    @Test
    @Order(7)
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
            // the operator: its key Secret by name, nothing else of the namespace that holds Helm's release Secrets
            assertThat(canI(operator, "get", "secrets/swarmnet-encryption-keys", "-n", NAMESPACE)).as("operator reads its key Secret").isTrue();
            assertThat(canI(operator, "update", "secrets/swarmnet-encryption-keys", "-n", NAMESPACE)).as("operator rewrites its key Secret").isTrue();
            assertThat(canI(operator, "create", "secrets", "-n", NAMESPACE)).as("operator creates its key Secret").isTrue();
            assertThat(canI(operator, "list", "secrets", "-n", NAMESPACE)).as("operator lists Secrets").isFalse();
            assertThat(canI(operator, "watch", "secrets", "-n", NAMESPACE)).as("operator watches Secrets").isFalse();
            assertThat(canI(operator, "get", "secrets/sh.helm.release.v1.swarmnet.v1", "-n", NAMESPACE)).as("operator reads Helm's release").isFalse();
            assertThat(canI(operator, "delete", "secrets/swarmnet-encryption-keys", "-n", NAMESPACE)).as("operator deletes its key Secret").isFalse();
        });
        step("the agent changes only its own node", () -> {
            // RBAC grants Node and pod status patches in general (it cannot name "this pod's node"); the chart's admission
            // policy narrows them. Proven with the agent's real identity: a token bound to the agent pod on node-1
            JsonNode agentPod = json(kubectl("get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=agent",
                    "--field-selector", "spec.nodeName=node-1", "-o", "json")).path("items").get(0);
            String token = kubectl("create", "token", "swarmnet-agent", "-n", NAMESPACE, "--duration=10m", "--bound-object-kind=Pod",
                    "--bound-object-name=" + agentPod.path("metadata").path("name").asText(),
                    "--bound-object-uid=" + agentPod.path("metadata").path("uid").asText()).trim();
            assertThat(canI("system:serviceaccount:" + NAMESPACE + ":swarmnet-agent", "patch", "nodes")).as("RBAC: agent patches nodes").isTrue();
            HostCommand.Result ownLabel = asAgent(token, "label", "node", "node-1", "swarmnet.io/probe=1");
            assertThat(ownLabel.succeeded()).as("agent labels its own node: %s", ownLabel).isTrue();
            assertThat(asAgent(token, "label", "node", "node-1", "swarmnet.io/probe-").succeeded()).as("agent unlabels its own node").isTrue();
            assertThat(asAgent(token, "annotate", "node", "node-1", "swarmnet.io/probe=1").succeeded()).as("agent annotates its own node").isTrue();
            assertThat(asAgent(token, "annotate", "node", "node-1", "swarmnet.io/probe-").succeeded()).isTrue();
            HostCommand.Result otherNode = asAgent(token, "label", "node", "node-2", "swarmnet.io/probe=1");
            assertThat(otherNode.succeeded()).as("agent of node-1 labels node-2").isFalse();
            assertThat(otherNode.stderr()).contains("the swarmnet agent of node node-1 may change only its own Node, not Node node-2");
            HostCommand.Result foreignLabel = asAgent(token, "label", "node", "node-1", "example.com/role=db");
            assertThat(foreignLabel.succeeded()).as("agent sets a label outside swarmnet.io/").isFalse();
            assertThat(foreignLabel.stderr()).contains("may change only labels and annotations under swarmnet.io/ on Node node-1");
            HostCommand.Result taint = asAgent(token, "taint", "node", "node-1", "swarmnet.io/probe=1:NoSchedule");
            assertThat(taint.succeeded()).as("agent taints its node (spec)").isFalse();
            Task elsewhere = tasks("my-web").stream().filter(t -> t.node().equals("node-2")).findFirst().orElseThrow();
            // a bare PATCH, as the agent sends it (kubectl patch would GET pods/status first, which the agent may not)
            java.net.http.HttpResponse<String> foreignPod = patchAsAgent(token, "/api/v1/namespaces/default/pods/" + elsewhere.pod() + "/status",
                    "{\"status\":{\"conditions\":[{\"type\":\"swarmnet.io/probe\",\"status\":\"True\"}]}}");
            assertThat(foreignPod.statusCode()).as("agent of node-1 writes the status of a pod on node-2: %s", foreignPod.body()).isEqualTo(403);
            assertThat(foreignPod.body()).contains("may write the status only of pods on its node");
        });
    }

    private static String[] serverAndCa;

    /** The API server's address and the file of the CA that signed its certificate, from the admin kubeconfig (read once). */
    private static String[] serverAndCa() throws IOException {
        if (serverAndCa == null) {
            JsonNode clusterEntry = json(kubectl("config", "view", "--raw", "-o", "json")).path("clusters").get(0).path("cluster");
            serverAndCa = new String[] {clusterEntry.path("server").asText(), clusterEntry.path("certificate-authority").asText()};
        }
        return serverAndCa;
    }

    /** kubectl with only {@code token} as its identity (no admin certificate beside it). */
    private static HostCommand.Result asAgent(String token, String... args) throws IOException {
        String[] server = serverAndCa();
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig=/dev/null", "--server=" + server[0],
                "--certificate-authority=" + server[1], "--token=" + token));
        command.addAll(List.of(args));
        return HostCommand.run(SHORT, command);
    }

    /** A strategic merge patch sent with only {@code token} as identity. */
    private static java.net.http.HttpResponse<String> patchAsAgent(String token, String path, String body) throws Exception {
        String[] server = serverAndCa();
        java.security.KeyStore trusted = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        trusted.load(null, null);
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(server[1]))) {
            trusted.setCertificateEntry("cluster-ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server[0] + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/strategic-merge-patch+json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(4)
    void scalingIsSeenInDnsAndThroughTheVipWithinOneSecond() throws Exception {
        step("kubectl scale", () -> {
            Set<String> before = new HashSet<>(tasks("my-web").stream().map(Task::pod).toList());
            startChangeProbe(40);
            kubectl("scale", "swarmservice/my-web", "--replicas=4");
            Task added = awaitValue("a fourth my-web task", Duration.ofMinutes(2), () -> tasks("my-web").stream()
                    .filter(t -> !before.contains(t.pod()) && !t.address().isEmpty()).findFirst());
            cluster.kubectl(Duration.ofMinutes(3), "wait", "--for=condition=Ready", "pod/" + added.pod(), "--timeout=150s").output();
            double ready = uptime();
            Thread.sleep(3_000);
            double scaledDown = uptime();
            kubectl("scale", "swarmservice/my-web", "--replicas=3");
            Thread.sleep(4_000);
            ChangeProbe probe = ChangeProbe.read(inBusybox("sh", "-c", "cat /tmp/change-probe.log"), added);

            double dnsIn = probe.dnsSeen().firstSinceAfter(ready - 5, true) - ready;
            double vipIn = probe.vipSeen().firstSinceAfter(ready - 5, true) - ready;
            double dnsOut = probe.dnsSeen().firstSinceAfter(scaledDown, false) - scaledDown;
            double vipOut = probe.vipSeen().firstSinceAfter(scaledDown, false) - scaledDown;
            System.out.printf("scale 3->4: the new task in DNS %.2f s and behind the VIP %.2f s after kubectl wait saw it Ready%n", dnsIn, vipIn);
            System.out.printf("scale 4->3: the removed task out of DNS %.2f s and out of the VIP %.2f s after kubectl scale%n", dnsOut, vipOut);
            assertThat(dnsIn).as("seconds from Ready to DNS").isLessThan(1.0);
            assertThat(vipIn).as("seconds from Ready to the VIP").isLessThan(1.0);
            assertThat(dnsOut).as("seconds from kubectl scale to DNS").isLessThan(1.0);
            assertThat(vipOut).as("seconds from kubectl scale to the VIP").isLessThan(1.0);
        });
    }

    /**
     * Starts, in the busybox task, two bounded loops that every 50 ms ask DNS for tasks.my-web and open a
     * new connection through the VIP, logging the kernel's uptime (the same clock as this machine's) with
     * what each saw. Two loops, so that a connection through the VIP that hangs (to a task going away) does
     * not delay the DNS samples. Its lines: {@code dns <uptime> <answer addresses>} and {@code vip <uptime at
     * connect> <answering task>}, each kind in time order.
     */
    private static void startChangeProbe(int seconds) throws IOException {
        String until = "end=$(( $(cut -d. -f1 /proc/uptime) + " + seconds + " )); while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do ";
        inBusybox("sh", "-c", ": > /tmp/change-probe.log; "
                + "(" + until + "t=$(cut -d' ' -f1 /proc/uptime); echo \"dns $t $(nslookup tasks.my-web 2>/dev/null | grep '^Address: 10' | tr '\\n' ' ')\"; "
                + "usleep 50000; done) < /dev/null >> /tmp/change-probe.log 2>&1 & "
                + "(" + until + "t=$(cut -d' ' -f1 /proc/uptime); echo \"vip $t $(timeout 1 wget -q -O- http://my-web/ 2>/dev/null)\"; "
                + "usleep 50000; done) < /dev/null >> /tmp/change-probe.log 2>&1 & echo started");
    }

    private static double uptime() throws IOException {
        return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime")).split(" ")[0]);
    }

    /** What the probe saw of one task over time: true where it was in DNS (or answered through the VIP). */
    private record ChangeProbe(Samples dnsSeen, Samples vipSeen) {
        static ChangeProbe read(String log, Task task) {
            Samples dns = new Samples(new java.util.ArrayList<>());
            Samples vip = new Samples(new java.util.ArrayList<>());
            for (String line : log.lines().toList()) {
                String[] f = line.split(" ", 3);
                if (f.length < 2) {
                    continue;
                }
                String rest = f.length == 3 ? f[2] : "";
                if (f[0].equals("dns") && rest.contains("Address: 10.")) {
                    dns.add(Double.parseDouble(f[1]), java.util.Arrays.asList(rest.split("Address: ")).stream()
                            .map(String::trim).anyMatch(task.address()::equals));
                } else if (f[0].equals("vip") && rest.startsWith("Hello from task")) {
                    vip.add(Double.parseDouble(f[1]), rest.trim().equals("Hello from task " + task.pod()));
                }
            }
            return new ChangeProbe(dns, vip);
        }
    }

    private record Samples(List<double[]> points) {
        void add(double time, boolean seen) {
            points.add(new double[] {time, seen ? 1 : 0});
        }

        /** For DNS: the time of the first sample after {@code from} from which on the task is (or is not) seen. */
        double firstSinceAfter(double from, boolean seen) {
            double since = Double.NaN;
            for (double[] p : points) {
                if (p[0] < from) {
                    continue;
                }
                boolean s = p[1] == 1;
                if (s == seen && Double.isNaN(since)) {
                    since = p[0];
                } else if (s != seen && seen == false) {
                    since = Double.NaN; // seen again after it had gone: it had not gone yet
                }
            }
            if (Double.isNaN(since)) {
                throw new AssertionError("the probe never saw the task " + (seen ? "appear" : "go") + " after " + from + ": " + points.size() + " samples");
            }
            return since;
        }
    }

    @Test
    @Order(5)
    void anAgentRestartKeepsEstablishedConnections() throws Exception {
        step("agent restart", () -> {
            // two HTTP keep-alive connections, a request a second for at most 150 s each: one through the
            // VIP, one straight to a task on the other node (VXLAN, encrypted by the agent's datapath)
            String busyboxNode = tasks("my-busybox").get(0).node();
            Task remote = tasks("my-web").stream().filter(t -> !t.node().equals(busyboxNode)).findFirst().orElseThrow();
            Map<String, String> targets = Map.of("vip", "my-web", "remote", remote.address());
            targets.forEach((name, target) -> {
                try {
                    inBusybox("sh", "-c", "(for i in $(seq " + (150 + 70 * (ROLLOUTS - 1)) + "); do printf 'GET / HTTP/1.1\\r\\nHost: my-web\\r\\n\\r\\n'; sleep 1; done)"
                            + " < /dev/null 2>/dev/null | nc " + target + " 80 > /tmp/keepalive-" + name + ".out 2>&1 & echo started");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (String name : targets.keySet()) {
                awaitValue("answers on the " + name + " connection", Duration.ofSeconds(20),
                        () -> answers(name) >= 3 ? Optional.of(true) : Optional.empty());
            }
            // DNS through a rollout of the agents: each new pod starts beside the old one (surge), its resolver takes
            // the pods over (same ports, SO_REUSEPORT), its agent waits for the old agent to stop, and the old pod
            // goes once the new one is ready (ROLLOUTS times)
            for (int rollout = 1; rollout <= ROLLOUTS; rollout++) {
                dnsThroughARolloutOfTheAgents(rollout);
            }
            if (SOCKET) {
                // the new agents took over the balancer the old ones pinned, without a moment unbalanced
                for (String pod : kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "-o",
                        "jsonpath={.items[*].metadata.name}").trim().split(" ")) {
                    assertThat(kubectl("-n", NAMESPACE, "logs", pod, "-c", "agent")).as("agent %s after the rollout", pod)
                            .contains("pinned in " + AGENT_PINS + " (adopted)");
                }
            }
            for (String name : targets.keySet()) {
                int afterRestart = answers(name);
                // nc never reconnects: more answers mean the connection made before the restart still carries
                awaitValue("answers on the " + name + " connection after both agents restarted", Duration.ofSeconds(20),
                        () -> answers(name) >= afterRestart + 3 ? Optional.of(true) : Optional.empty());
            }
            assertThat(inBusybox("sh", "-c", "grep -h 'Hello from task' /tmp/keepalive-remote.out | sort -u"))
                    .as("the one task answering on the direct connection").isEqualTo("Hello from task " + remote.pod() + "\n");
            inBusybox("sh", "-c", "kill $(pidof nc) 2>/dev/null; true");
        });
    }

    /** Responses so far on one kept-alive connection. */
    private static int answers(String name) throws IOException {
        return Integer.parseInt(inBusybox("sh", "-c", "grep -c 'HTTP/1.1 200' /tmp/keepalive-" + name + ".out || true").trim());
    }

    @Test
    @Order(6)
    void namesAndTrafficStayWithinTheirNetwork() throws Exception {
        step("scoping between networks", () -> {
            java.nio.file.Path manifest = java.nio.file.Files.createTempFile("other-network", ".yaml");
            try {
                java.nio.file.Files.writeString(manifest, """
                        apiVersion: swarmnet.io/v1alpha1
                        kind: OverlayNetwork
                        metadata: {name: other-network}
                        spec: {subnet: 10.0.19.0/24}
                        """ + sleepingService("other-web", "other-network") + sleepingService("other-client", "other-network"));
                kubectl("apply", "-f", manifest.toString());
                cluster.kubectl(Duration.ofMinutes(4), "wait", "--for=condition=Ready", "swarmservice/other-web", "swarmservice/other-client",
                        "--timeout=180s").output();
                String otherTask = tasks("other-web", "other-network").get(0).address();
                assertThat(otherTask).startsWith("10.0.19.");
                String otherClient = tasks("other-client").get(0).pod();
                // on other-network: the name resolves and the task answers
                String fromOwnNetwork = kubectl("exec", otherClient, "--", "nslookup", "tasks.other-web");
                assertThat(fromOwnNetwork).contains(otherTask);
                assertThat(kubectl("exec", otherClient, "--", "ping", "-c", "2", "-W", "2", otherTask)).contains("2 packets received");
                // from my-network: neither the name nor the address
                HostCommand.Result lookup = cluster.kubectl(SHORT, "exec", tasks("my-busybox").get(0).pod(), "--", "nslookup", "other-web");
                assertThat(lookup.stdout() + lookup.stderr()).as("nslookup other-web from my-network").doesNotContain("10.0.19.");
                HostCommand.Result ping = cluster.kubectl(SHORT, "exec", tasks("my-busybox").get(0).pod(), "--", "ping", "-c", "2", "-W", "2", otherTask);
                assertThat(ping.succeeded()).as("ping from my-network to other-network's task: %s", ping).isFalse();
                // and the other way round
                HostCommand.Result reverse = cluster.kubectl(SHORT, "exec", otherClient, "--", "nslookup", "my-web");
                assertThat(reverse.stdout() + reverse.stderr()).as("nslookup my-web from other-network").doesNotContain("10.0.9.");
                kubectl("delete", "-f", manifest.toString(), "--wait=true", "--timeout=120s");
            } finally {
                java.nio.file.Files.deleteIfExists(manifest);
            }
        });
    }

    /** A one-task service of busybox sleeping, on one network, as a YAML document. */
    private static String sleepingService(String name, String network) {
        return busyboxService(name, network, "", "[sleep, \"3000\"]", "{}");
    }

    /**
     * A one-task busybox service on one network, as a YAML document: {@code podFields} are further fields of the pod's spec
     * in flow YAML, each followed by ", " ("" for none), {@code command} and the container's {@code securityContext} flow YAML too.
     */
    private static String busyboxService(String name, String network, String podFields, String command, String securityContext) {
        return """
                ---
                apiVersion: swarmnet.io/v1alpha1
                kind: SwarmService
                metadata: {name: %s}
                spec:
                  replicas: 1
                  networks: [{name: %s}]
                  template:
                    spec: {%scontainers: [{name: busybox, image: busybox:1.36, command: %s, securityContext: %s}]}
                """.formatted(name, network, podFields, command, securityContext);
    }

    @FunctionalInterface
    private interface Probe<T> {
        T get() throws Exception;
    }

    private static <T> T awaitValue(String what, Duration limit, Probe<Optional<T>> probe) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not seen within " + limit.toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }

    /** Seconds from {@code since} (System.nanoTime) to the end of the first probe that holds; {@code what} names it if none does. */
    private static double awaitSeconds(String what, long since, Duration limit, Probe<Boolean> probe) throws Exception {
        awaitValue(what, limit, () -> probe.get() ? Optional.of(true) : Optional.empty());
        return (System.nanoTime() - since) / 1e9;
    }

    private static boolean canI(String who, String... request) {
        List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + who));
        args.addAll(List.of(request));
        HostCommand.Result result = cluster.kubectl(SHORT, args.toArray(String[]::new));
        String answer = result.stdout().trim();
        assertThat(answer).as("kubectl auth can-i %s: %s", String.join(" ", request), result).isIn("yes", "no");
        return answer.equals("yes");
    }

    /**
     * The agent's kernel objects on a node: every one's name starts with "swn" (containerd's pod
     * namespaces are cni-*), and xfrm states and policies are only ever the agent's there.
     */
    private static List<String> agentObjects(String node) {
        List<String> found = new ArrayList<>();
        cluster.onNode(node, "ip", "-o", "link").output().lines().filter(l -> l.contains("swn")).forEach(l -> found.add("link " + l));
        cluster.onNode(node, "ip", "netns", "list").output().lines().filter(l -> l.startsWith("swn")).forEach(l -> found.add("netns " + l));
        cluster.onNode(node, "nft", "list", "tables").output().lines().filter(l -> l.contains("swn")).forEach(l -> found.add("nft " + l));
        cluster.onNode(node, "ip", "xfrm", "state").output().lines().filter(l -> !l.isBlank()).forEach(l -> found.add("xfrm state " + l));
        cluster.onNode(node, "ip", "xfrm", "policy").output().lines().filter(l -> !l.isBlank()).forEach(l -> found.add("xfrm policy " + l));
        return found;
    }

    @Test
    @Order(8)
    void aTaskWhoseFirstActIsToReachAnotherServiceAlwaysFindsItsNetwork() throws Exception {
        step("attached before the task starts", () -> {
            // each task's very first instruction fetches my-web by name; the kubelet would start it as soon
            // as the pod's sandbox exists, before the agent attached it, but for the wait-attached init container
            applyYaml("first-act", """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: first-act}
                    spec:
                      replicas: 20
                      networks: [{name: my-network}]
                      template:
                        spec:
                          containers:
                            - name: busybox
                              image: busybox:1.36
                              command: [sh, -c, "s=$(cut -d' ' -f1 /proc/uptime); if timeout 30 wget -q -O /dev/null http://my-web/; then r=OK; else r=FAILED; fi; echo FIRST-ACT-$r $s $(cut -d' ' -f1 /proc/uptime); sleep 3000"]
                    """);
            HostCommand.Result ready = cluster.kubectl(Duration.ofMinutes(6), "wait", "--for=condition=Ready", "swarmservice/first-act",
                    "--timeout=300s");
            if (!ready.succeeded()) {
                explainNotReady("first-act");
            }
            ready.output();
            List<Task> starters = tasks("first-act");
            assertThat(starters).hasSize(20);
            int ok = 0;
            List<String> failed = new ArrayList<>();
            List<Double> seconds = new ArrayList<>();
            for (Task task : starters) {
                // Ready says the container started, not that its first wget is over: its verdict is awaited
                String log = awaitValue("the verdict of " + task.pod(), Duration.ofSeconds(60), () -> Optional.of(
                        kubectl("logs", task.pod(), "-c", "busybox")).filter(l -> l.contains("FIRST-ACT-")));
                String[] verdict = log.substring(log.indexOf("FIRST-ACT-")).trim().split("\\s+");
                seconds.add(Double.parseDouble(verdict[2]) - Double.parseDouble(verdict[1]));
                if (verdict[0].equals("FIRST-ACT-OK")) {
                    ok++;
                } else {
                    failed.add(task.pod() + ": " + log.trim());
                }
                JsonNode pod = json(kubectl("get", "pod", task.pod(), "-o", "json"));
                assertThat(pod.path("spec").path("initContainers").get(0).path("name").asText()).isEqualTo("swarmnet-wait-attached");
                assertThat(pod.path("spec").path("nodeSelector").path("swarmnet.io/agent").asText()).isEqualTo("true");
            }
            String waited = kubectl("logs", starters.get(0).pod(), "-c", "swarmnet-wait-attached");
            System.out.println("wait-attached of " + starters.get(0).pod() + ": " + waited.trim());
            assertThat(waited).contains("attached after").contains("my-network");
            seconds.sort(null);
            System.out.printf("first act reached my-web in %d of %d tasks; the wget took %.2f s at the median, %.2f s at most%n",
                    ok, starters.size(), seconds.get(seconds.size() / 2), seconds.get(seconds.size() - 1));
            assertThat(failed).as("tasks whose first wget of my-web failed").isEmpty();
            kubectl("delete", "swarmservice", "first-act", "--wait=false");
        });
    }

    @Test
    @Order(9)
    void theAgentsLabelTheirNodesAndAGlobalServiceRunsOnEach() throws Exception {
        step("tasks only where an agent runs", () -> {
            for (String node : List.of("node-1", "node-2")) {
                assertThat(json(kubectl("get", "node", node, "-o", "json")).path("metadata").path("labels").path("swarmnet.io/agent").asText())
                        .as("label swarmnet.io/agent on %s", node).isEqualTo("true");
            }
            // the label is the agent's to keep: taken away, it comes back
            kubectl("label", "node", "node-2", "swarmnet.io/agent-");
            awaitValue("node-2 labelled again by its agent", Duration.ofSeconds(30), () -> Optional.of(json(kubectl("get", "node", "node-2",
                    "-o", "json")).path("metadata").path("labels").path("swarmnet.io/agent").asText()).filter("true"::equals));
        });
    }

    @Test
    @Order(10)
    void aTaskThePodSecurityAdmissionRefusesIsShownWithTheServersMessage() throws Exception {
        step("API refusals visible", () -> {
            kubectl("create", "namespace", "locked");
            kubectl("label", "namespace", "locked", "pod-security.kubernetes.io/enforce=restricted");
            applyYaml("locked", """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: OverlayNetwork
                    metadata: {name: locked-net, namespace: locked}
                    spec: {subnet: 10.0.29.0/24}
                    ---
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: as-root, namespace: locked}
                    spec:
                      networks: [{name: locked-net}]
                      template:
                        spec:
                          containers: [{name: busybox, image: busybox:1.36, command: [sleep, "3000"]}]
                    ---
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: compliant, namespace: locked}
                    spec:
                      networks: [{name: locked-net}]
                      template:
                        spec:
                          securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
                          containers:
                            - name: busybox
                              image: busybox:1.36
                              command: [sleep, "3000"]
                              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                    """);
            String reason = awaitValue("as-root shows why it has no task", Duration.ofMinutes(2), () -> {
                JsonNode ready = condition(json(kubectl("-n", "locked", "get", "swarmservice", "as-root", "-o", "json")), "Ready");
                return Optional.ofNullable(ready).filter(c -> "TaskRefused".equals(c.path("reason").asText()))
                        .map(c -> c.path("message").asText());
            });
            assertThat(reason).contains("violates PodSecurity \"restricted:latest\"").contains("spec.template");
            // the event is recorded apart from the status, and may come a moment after it
            awaitEvent("locked", "as-root", "TaskRefused");
            String events = kubectl("-n", "locked", "get", "events", "--field-selector", "involvedObject.name=as-root", "-o", "json");
            assertThat(events).contains("TaskRefused").contains("violates PodSecurity");
            // a template that complies runs there, init container included
            cluster.kubectl(Duration.ofMinutes(4), "-n", "locked", "wait", "--for=condition=Ready", "swarmservice/compliant",
                    "--timeout=180s").output();
            kubectl("delete", "namespace", "locked", "--wait=true", "--timeout=120s");
        });
    }

    @Test
    @Order(11)
    void anAutomaticNetworkComesUpBesideAForeignVxlanDeviceOnTheCommonId() throws Exception {
        step("no clash with a CNI's VXLAN", () -> {
            // what Calico's VXLAN device holds: VNI 4096 on UDP 4789, on every node
            for (String node : List.of("node-1", "node-2")) {
                cluster.onNode(node, "ip", "link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "dstport", "4789", "nolearning").output();
            }
            try {
                applyYaml("auto-net", """
                        apiVersion: swarmnet.io/v1alpha1
                        kind: OverlayNetwork
                        metadata: {name: auto-net}
                        spec: {}
                        """ + sleepingService("auto-a", "auto-net") + sleepingService("auto-b", "auto-net"));
                cluster.kubectl(Duration.ofMinutes(4), "wait", "--for=condition=Ready", "swarmservice/auto-a", "swarmservice/auto-b",
                        "--timeout=180s").output();
                long vni = json(kubectl("get", "overlaynetwork", "auto-net", "-o", "json")).path("status").path("vxlanId").asLong();
                assertThat(vni).as("automatic VXLAN id").isNotEqualTo(4096).isGreaterThanOrEqualTo(1048576);
                String b = tasks("auto-b", "auto-net").get(0).address();
                assertThat(kubectl("exec", tasks("auto-a").get(0).pod(), "--", "ping", "-c", "2", "-W", "2", b)).contains("2 packets received");
                kubectl("delete", "swarmservice", "auto-a", "auto-b", "--wait=true", "--timeout=120s");
                kubectl("delete", "overlaynetwork", "auto-net", "--wait=true", "--timeout=120s");
            } finally {
                for (String node : List.of("node-1", "node-2")) {
                    cluster.onNode(node, "ip", "link", "del", "vxlan.calico");
                }
            }
        });
    }

    @Test
    @Order(12)
    void dnsThroughAnAgentKilledMidLookup() throws Exception {
        step("DNS while the agent is killed", () -> {
            // the measurement issue 13 asks for first: a lookup loop in a task, the agent of its node killed
            // with SIGKILL (a crash or an OOM kill), then how many lookups failed and the longest gap.
            // busybox's nslookup does not use the search path, so the cluster name is given in full.
            String node = tasks("my-busybox").get(0).node();
            int seconds = 40;
            startDnsLoop(seconds, "/tmp/dns-gap.log");
            Thread.sleep(5000);
            String agent = agentPod(node);
            double killedAt = uptime();
            // hostPID: every JVM of the machine is visible; only the one in this container's cgroups is the agent
            String killed = kubectl("-n", NAMESPACE, "exec", agent, "-c", "agent", "--", "sh", "-c", "for p in $(pgrep java); do "
                    + "[ \"$(cat /proc/$p/cgroup 2>/dev/null)\" = \"$(cat /proc/self/cgroup)\" ] && kill -9 $p && echo killed $p; done; true");
            assertThat(killed).as("the agent's JVM on %s", node).contains("killed");
            Thread.sleep((seconds - 4) * 1000L);
            String log = inBusybox("cat", "/tmp/dns-gap.log");
            // the resolver is a container of its own beside the agent: it answers on while the agent is down
            assertDnsGoal(log, killedAt, String.format("DNS with the agent killed (SIGKILL at uptime %.2f)", killedAt), "after the kill",
                    "while the agent was killed");
            JsonNode pod = json(kubectl("-n", NAMESPACE, "get", "pod", agent, "-o", "json"));
            for (JsonNode container : pod.path("status").path("containerStatuses")) {
                System.out.println(container.path("name").asText() + " container restarts: " + container.path("restartCount").asInt());
                if (container.path("name").asText().equals("dns")) {
                    assertThat(container.path("restartCount").asInt()).as("restarts of the resolver container").isZero();
                } else {
                    assertThat(container.path("restartCount").asInt()).as("restarts of the agent container").isPositive();
                }
            }
        });
    }

    /**
     * One rollout of the agent DaemonSet under a lookup of each kind every 100 ms in the busybox task, and the DNS goal
     * checked over it.
     */
    private static void dnsThroughARolloutOfTheAgents(int rollout) throws Exception {
        double loopStarted = uptime();
        startDnsLoop(60, "/tmp/dns-replaced.log");
        Thread.sleep(3000);
        double replacedAt = uptime();
        List<String> before = List.of(kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "-o",
                "jsonpath={.items[*].metadata.name}").trim().split(" "));
        kubectl("-n", NAMESPACE, "rollout", "restart", "daemonset/swarmnet-agent");
        cluster.kubectl(Duration.ofMinutes(3), "-n", NAMESPACE, "rollout", "status", "daemonset/swarmnet-agent", "--timeout=150s").output();
        // the rollout is complete when the new pods are ready; the old ones may still be handing over
        awaitValue("the old agent pods gone", Duration.ofSeconds(60), () -> {
            String now = kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "-o",
                    "jsonpath={.items[*].metadata.name}");
            return before.stream().noneMatch(now::contains) ? Optional.of(true) : Optional.empty();
        });
        System.out.printf("agent rollout (surge) over, old pods gone, %.1f s after it began%n", uptime() - replacedAt);
        Thread.sleep((long) Math.max(0, (loopStarted + 62 - uptime()) * 1000)); // the loop's 60 s are over
        String dnsLog = inBusybox("cat", "/tmp/dns-replaced.log");
        assertDnsGoal(dnsLog, replacedAt, String.format("DNS through the agents' rollout %d of %d (from uptime %.2f)", rollout,
                ROLLOUTS, replacedAt), "after the agent pods were replaced", "while the agent pods were replaced");
    }

    /**
     * The goal for DNS while the agent is disturbed, from a {@link #startDnsLoop} log: cluster names never fail, swarm
     * names fail for at most 1 s, both answer at the end. Prints each kind's figures, and on any failed lookup the
     * failures with nslookup's words and what the resolvers logged, to tell a resolver's fault from the cluster DNS's.
     */
    /** The agents' last 60 lines (and, with {@code resolvers}, their resolvers' logs), for a failure's report. */
    private static void printAgentLogs(boolean resolvers) {
        for (String pod : kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "-o",
                "jsonpath={.items[*].metadata.name}").trim().split(" ")) {
            if (resolvers) {
                System.out.println("resolver " + pod + ":\n" + cluster.kubectl(SHORT, "-n", NAMESPACE, "logs", pod, "-c", "dns").stdout());
            }
            System.out.println("agent " + pod + ", its last 60 lines:\n" + cluster.kubectl(SHORT, "-n", NAMESPACE, "logs", pod, "-c", "agent",
                    "--tail=60").stdout());
        }
    }

    /**
     * What a service that did not become Ready shows: its conditions, each task pod's phase, conditions and container
     * states, the events and the wait-attached log of the pods not ready.
     */
    private static void explainNotReady(String service) throws IOException {
        System.out.println("swarmservice/" + service + " not Ready; its status: "
                + json(kubectl("get", "swarmservice", service, "-o", "json")).path("status").toPrettyString());
        System.out.println(cluster.kubectl(SHORT, "get", "pods", "-l", "swarmnet.io/service=" + service, "-o", "wide").stdout());
        for (JsonNode pod : json(kubectl("get", "pods", "-l", "swarmnet.io/service=" + service, "-o", "json")).path("items")) {
            JsonNode readyCondition = condition(pod, "Ready");
            if (readyCondition != null && "True".equals(readyCondition.path("status").asText())) {
                continue;
            }
            String name = pod.path("metadata").path("name").asText();
            System.out.println("pod " + name + " on " + pod.path("spec").path("nodeName").asText() + ": phase "
                    + pod.path("status").path("phase").asText() + ", conditions " + pod.path("status").path("conditions")
                    + ", init containers " + pod.path("status").path("initContainerStatuses")
                    + ", containers " + pod.path("status").path("containerStatuses"));
            System.out.println("  events: " + cluster.kubectl(SHORT, "get", "events", "--field-selector", "involvedObject.name=" + name,
                    "-o", "custom-columns=TIME:.lastTimestamp,REASON:.reason,MESSAGE:.message").stdout());
            System.out.println("  wait-attached: " + cluster.kubectl(SHORT, "logs", name, "-c", "swarmnet-wait-attached").stdout()
                    + cluster.kubectl(SHORT, "logs", name, "-c", "swarmnet-wait-attached").stderr());
        }
        // the operator's and the agents' last lines follow from step(), as for every failed step
    }

    private static void assertDnsGoal(String log, double since, String what, String after, String during) throws IOException {
        if (log.contains(" fail")) {
            System.out.println("failed lookups, " + what + ":\n" + log.lines().filter(l -> l.contains(" fail"))
                    .collect(java.util.stream.Collectors.joining("\n")));
            printAgentLogs(true);
            System.out.println("a cluster lookup now: " + inBusybox("sh", "-c", "nslookup kubernetes.default.svc.cluster.local 2>&1; true"));
        }
        for (String kind : List.of("cluster", "swarm")) {
            DnsGap gap = DnsGap.read(log, kind, since);
            System.out.printf("%s: %s names %s%n", what, kind, gap);
            assertThat(gap.lookups()).as("%s lookups made", kind).isGreaterThan(50);
            assertThat(gap.answeringAgain()).as("%s names answered again %s (%s)", kind, after, gap).isTrue();
            if (kind.equals("cluster")) {
                assertThat(gap.failed()).as("cluster names failed %s (%s)", during, gap).isZero();
            } else {
                assertThat(gap.longestGap()).as("longest gap of swarm names %s (%s)", during, gap).isLessThanOrEqualTo(1.0);
            }
        }
    }

    /** In the busybox task, a lookup of a cluster name and of a swarm name every 100 ms for {@code seconds}, logged with the uptime. */
    private static void startDnsLoop(int seconds, String log) throws IOException {
        // busybox's nslookup does not use the search path, so the cluster name is given in full
        inBusybox("sh", "-c", "(end=$(( $(cut -d. -f1 /proc/uptime) + " + seconds + " )); "
                + "while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do "
                // a failure keeps what nslookup said, on one line
                + "t=$(cut -d' ' -f1 /proc/uptime); o=$(nslookup kubernetes.default.svc.cluster.local 2>&1); "
                + "if echo \"$o\" | grep -q 'Address: 10.96.0.1'; "
                + "then echo \"cluster $t ok\"; else echo \"cluster $t fail\" $o; fi; "
                + "t=$(cut -d' ' -f1 /proc/uptime); o=$(nslookup my-web 2>&1); if echo \"$o\" | grep -q 'Address: 10.0.9.'; "
                + "then echo \"swarm $t ok\"; else echo \"swarm $t fail\" $o; fi; "
                + "usleep 100000; done) < /dev/null > " + log + " 2>&1 & echo started");
    }

    /**
     * One name kind's lookups around the kill: how many, how many failed, the longest run of failures
     * (from the first failed lookup to the next answered one) and when lookups answered again.
     */
    private record DnsGap(int lookups, int failed, double longestGap, double firstFailureAfterKill, double answeredAgainAfterKill,
                          boolean answeringAgain) {
        static DnsGap read(String log, String kind, double killedAt) {
            int lookups = 0;
            int failed = 0;
            double longest = 0;
            double failingSince = Double.NaN;
            double firstFailure = Double.NaN;
            double again = Double.NaN;
            boolean lastOk = false;
            for (String line : log.lines().toList()) {
                String[] f = line.trim().split(" ");
                if (f.length < 3 || !f[0].equals(kind)) {
                    continue;
                }
                double t = Double.parseDouble(f[1]);
                boolean ok = f[2].equals("ok");
                lookups++;
                if (!ok) {
                    failed++;
                    if (Double.isNaN(failingSince)) {
                        failingSince = t;
                    }
                    if (t >= killedAt && Double.isNaN(firstFailure)) {
                        firstFailure = t - killedAt;
                    }
                } else {
                    if (!Double.isNaN(failingSince)) {
                        longest = Math.max(longest, t - failingSince);
                        if (failingSince >= killedAt - 1 && Double.isNaN(again)) {
                            again = t - killedAt;
                        }
                    }
                    failingSince = Double.NaN;
                }
                lastOk = ok;
            }
            return new DnsGap(lookups, failed, longest, firstFailure, again, lastOk);
        }

        @Override
        public String toString() {
            return String.format("%d lookups, %d failed, longest gap %.2f s, first failure %.2f s and answered again %.2f s after the"
                    + " kill", lookups, failed, longestGap, firstFailureAfterKill, answeredAgainAfterKill);
        }
    }

    @Test
    @Order(13)
    void aTaskMayServeDnsOnPort53ItselfAnd127_0_0_11KeepsAnswering() throws Exception {
        step("a task on port 53", () -> {
            // a swarm service that is itself a DNS server: it binds UDP and TCP 0.0.0.0:53 in its own pod
            applyYaml("port-53", """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: own-dns}
                    spec:
                      networks: [{name: my-network}]
                      template:
                        spec:
                          containers:
                            # busybox has no UDP server; the Debian base of the nginx image has perl
                            - name: server
                              image: nginx:1.27
                              command: [perl, -MIO::Socket::INET, -e, '$|=1;
                                my $u = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 53, Proto => "udp") or die "udp 53: $!";
                                my $t = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 53, Proto => "tcp", Listen => 5) or die "tcp 53: $!";
                                print "listening on 0.0.0.0:53\\n"; sleep 3000;']
                            - name: busybox
                              image: busybox:1.36
                              command: [sleep, "3000"]
                    """);
            cluster.kubectl(Duration.ofMinutes(4), "wait", "--for=condition=Ready", "swarmservice/own-dns", "--timeout=180s").output();
            String pod = tasks("own-dns").get(0).pod();
            String vip = json(kubectl("get", "swarmservice", "my-web", "-o", "json")).path("status").path("virtualIPs").get(0)
                    .path("address").asText();
            assertThat(kubectl("exec", pod, "-c", "busybox", "--", "nslookup", "my-web")).as("127.0.0.11 beside the task's own :53")
                    .contains("127.0.0.11").contains(vip);
            // Ready means the containers started, not that perl has bound its sockets yet
            String server = awaitValue("the task's server up", Duration.ofSeconds(30), () -> {
                HostCommand.Result log = cluster.kubectl(SHORT, "logs", pod, "-c", "server");
                return Optional.of(log.stdout() + log.stderr()).filter(l -> l.contains("listening") || l.contains(" 53: "));
            });
            assertThat(server).as("the task's own server").contains("listening on 0.0.0.0:53");
            // the task's own sockets on 0.0.0.0:53 (0035 in /proc/net), UDP and a TCP listener (state 0A)
            String udp = kubectl("exec", pod, "-c", "busybox", "--", "cat", "/proc/net/udp");
            String tcp = kubectl("exec", pod, "-c", "busybox", "--", "cat", "/proc/net/tcp");
            assertThat(udp).as("UDP sockets of the task").contains(" 00000000:0035 ");
            assertThat(tcp.lines().filter(l -> l.contains(" 00000000:0035 ") && l.contains(" 0A ")).count()).as("TCP listeners on 0.0.0.0:53")
                    .isEqualTo(1);
            kubectl("delete", "swarmservice", "own-dns", "--wait=false");
        });
    }

    @Test
    @Order(14)
    void aBulkDownloadAcrossTheEncryptedNetworkGoesAsWholeSuperPackets() throws Exception {
        step("bulk over userspace ESP", () -> {
            // 8 MiB from a my-web task on the other node, over my-network (encrypted: userspace ESP on this kernel)
            String busyboxNode = tasks("my-busybox").get(0).node();
            Task remote = tasks("my-web").stream().filter(t -> !t.node().equals(busyboxNode) && t.ready()).findFirst().orElseThrow();
            String written = kubectl("exec", remote.pod(), "--", "sh", "-c",
                    "f=/tmp/my-web-$HOSTNAME/www/bulk.bin; head -c 8388608 /dev/urandom > $f && sha256sum $f").trim();
            String digest = written.split("\\s+")[0];
            assertThat(digest).as("sha256sum in %s: %s", remote.pod(), written).hasSize(64);
            long sentBefore = agentCounter(remote.node(), "swarmnet_esp_super_packets_total{direction=\"out\"}");
            long openedBefore = agentCounter(busyboxNode, "swarmnet_esp_super_packets_total{direction=\"in\"}");

            String received = inBusybox("sh", "-c", "timeout 60 wget -q -O- http://" + remote.address() + "/bulk.bin | sha256sum").trim();

            long sent = agentCounter(remote.node(), "swarmnet_esp_super_packets_total{direction=\"out\"}") - sentBefore;
            long opened = agentCounter(busyboxNode, "swarmnet_esp_super_packets_total{direction=\"in\"}") - openedBefore;
            System.out.printf("8 MiB %s (%s) -> my-busybox (%s): %d super-packets sealed whole, %d opened whole%n", remote.pod(),
                    remote.node(), busyboxNode, sent, opened);
            assertThat(received).as("8 MiB across the encrypted network, byte for byte").startsWith(digest);
            String agentLog = kubectl("-n", NAMESPACE, "logs", agentPod(remote.node()), "-c", "agent");
            if (agentLog.contains("offers no UDP tunnel segmentation")) {
                System.out.println("the nodes' kernel hands over no super-packets (Linux 6.17+ needed): they went cut, as before");
            } else {
                assertThat(sent).as("super-packets %s's agent sealed whole for the download", remote.node()).isPositive();
                assertThat(opened).as("super-packets %s's agent opened whole", busyboxNode).isPositive();
            }
            kubectl("exec", remote.pod(), "--", "sh", "-c", "rm -f /tmp/my-web-$HOSTNAME/www/bulk.bin");
        });
    }

    /** A counter from the /metrics of the agent on {@code node} (host network, the chart's agent.httpPort). */
    private static long agentCounter(String node, String series) {
        HostCommand.Result metrics = cluster.onNode(node, "curl", "-s", "--max-time", "5", "http://127.0.0.1:9642/metrics");
        return metrics.stdout().lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no " + series + " in the metrics of " + node + "'s agent: " + metrics.stdout()
                        + metrics.stderr()));
    }

    /** The name of the agent's pod on {@code node}. */
    private static String agentPod(String node) {
        return kubectl("-n", NAMESPACE, "get", "pod", "-l", "app.kubernetes.io/component=agent", "--field-selector", "spec.nodeName=" + node,
                "-o", "jsonpath={.items[0].metadata.name}").trim();
    }

    @Test
    @Order(15)
    void anUpdateWhoseTasksExitRollsBackToTheTemplateThatRan() throws Exception {
        step("update failure and rollback", () -> {
            // docker service create --replicas 2 --update-failure-action rollback --update-monitor 5s busybox sleep
            applyYaml("rollback", """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: rollme}
                    spec:
                      replicas: 2
                      networks: [{name: my-network}]
                      updateConfig: {parallelism: 1, failureAction: rollback, monitor: 5s}
                      template:
                        spec:
                          containers:
                            - name: main
                              image: busybox:1.36
                              command: [sleep, "3000"]
                    """);
            cluster.kubectl(Duration.ofMinutes(4), "wait", "--for=condition=Ready", "swarmservice/rollme", "--timeout=180s").output();
            JsonNode before = json(kubectl("get", "swarmservice", "rollme", "-o", "json"));
            String good = before.path("status").path("currentTemplate").path("hash").asText();
            assertThat(good).as("the template hash in status").isNotEmpty();
            List<String> goodPods = tasks("rollme").stream().map(Task::pod).sorted().toList();

            // docker service update --args 'sh -c "exit 1"': every new task exits at once
            double patched = uptime();
            kubectl("patch", "swarmservice", "rollme", "--type", "merge", "-p",
                    "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\","
                            + "\"command\":[\"sh\",\"-c\",\"exit 1\"]}]}}}}");
            JsonNode rolledBack = awaitValue("the update rolled back", Duration.ofSeconds(150), () -> {
                JsonNode now = json(kubectl("get", "swarmservice", "rollme", "-o", "json"));
                return "rollback_completed".equals(now.path("status").path("updateStatus").path("state").asText()) ? Optional.of(now)
                        : Optional.empty();
            });
            System.out.printf("update to a failing template rolled back %.1f s after the patch: %s%n", uptime() - patched,
                    rolledBack.path("status").path("updateStatus").path("message").asText());
            cluster.kubectl(Duration.ofMinutes(3), "wait", "--for=condition=Ready", "swarmservice/rollme", "--timeout=120s").output();
            JsonNode after = json(kubectl("get", "swarmservice", "rollme", "-o", "json"));
            assertThat(after.path("status").path("currentTemplate").path("hash").asText()).as("the template running after the rollback")
                    .isEqualTo(good);
            // every task on the template that ran before (a task the update stopped may still be in its grace period)
            int ready = 0;
            for (JsonNode task : after.path("status").path("tasks")) {
                assertThat(task.path("templateHash").asText()).as("task %s (%s)", task.path("name").asText(), task.path("state").asText())
                        .isEqualTo(good);
                ready += "Ready".equals(task.path("state").asText()) ? 1 : 0;
            }
            assertThat(ready).as("ready tasks after the rollback: %s", after.path("status").path("tasks")).isEqualTo(2);
            assertThat(after.path("status").path("taskHistory").toString()).as("the failed task in the history").contains("Failed");
            String events = kubectl("get", "events", "--field-selector", "involvedObject.name=rollme", "-o",
                    "jsonpath={range .items[*]}{.reason}{\"\\n\"}{end}");
            assertThat(events).as("events of rollme").contains("UpdateStarted", "RollbackStarted", "RollbackCompleted");
            System.out.printf("tasks before the update %s, after the rollback %s%n", goodPods,
                    tasks("rollme").stream().map(Task::pod).sorted().toList());
            kubectl("delete", "swarmservice", "rollme", "--wait=false");
        });
    }

    @Test
    @Order(16)
    void aPublishedPortAnswersOnEveryNodeAndSpreadsOverTheTasks() throws Exception {
        step("published port", () -> {
            // docker service update --publish-add published=30080,target=80 my-web: kube-proxy routes every node's 30080
            kubectl("patch", "swarmservice", "my-web", "--type", "merge", "-p",
                    "{\"spec\":{\"publish\":[{\"targetPort\":80,\"publishedPort\":30080}]}}");
            JsonNode endpoint = awaitValue("my-web's published endpoint in status", Duration.ofSeconds(60), () -> {
                JsonNode endpoints = json(kubectl("get", "swarmservice", "my-web", "-o", "json")).path("status").path("endpoints");
                return endpoints.size() == 1 ? Optional.of(endpoints.get(0)) : Optional.empty();
            });
            assertThat(endpoint.path("publishedPort").asInt()).isEqualTo(30080);
            assertThat(endpoint.path("mode").asText()).isEqualTo("ingress");
            java.util.Set<String> answeredBy = new java.util.TreeSet<>();
            for (String node : List.of("node-1", "node-2")) {
                String address = internalIp(node);
                for (String from : List.of("node-1", "node-2")) {
                    for (int i = 0; i < 6; i++) {
                        String answer = awaitValue("an answer on " + address + ":30080 from " + from, Duration.ofSeconds(30), () -> {
                            HostCommand.Result r = cluster.onNode(from, "curl", "-s", "--max-time", "3", "http://" + address + ":30080/");
                            return r.stdout().contains("Hello from task") ? Optional.of(r.stdout().strip()) : Optional.empty();
                        });
                        answeredBy.add(answer);
                    }
                }
            }
            System.out.println("published port 30080 answered by: " + answeredBy);
            assertThat(answeredBy).as("tasks answering on the published port of both nodes").hasSizeGreaterThanOrEqualTo(2);

            // docker service create --publish 30080:80 for a second service: the port is taken
            applyYaml("port-taken", """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: SwarmService
                    metadata: {name: port-taken}
                    spec:
                      networks: [{name: my-network}]
                      publish: [{targetPort: 80, publishedPort: 30080}]
                      template:
                        spec:
                          containers:
                            - {name: web, image: nginx:1.27}
                    """);
            JsonNode published = awaitValue("port-taken's Published condition", Duration.ofSeconds(60), () ->
                    Optional.ofNullable(condition(json(kubectl("get", "swarmservice", "port-taken", "-o", "json")), "Published"))
                            .filter(c -> "False".equals(c.path("status").asText())));
            System.out.println("a second service on 30080: " + published.path("reason").asText() + ": " + published.path("message").asText());
            assertThat(published.path("reason").asText()).isEqualTo("PortInUse");
            assertThat(published.path("message").asText()).contains("30080");
            kubectl("delete", "swarmservice", "port-taken", "--wait=false");

            // docker service update --publish-rm 30080: the Service goes
            kubectl("patch", "swarmservice", "my-web", "--type", "json", "-p", "[{\"op\":\"remove\",\"path\":\"/spec/publish\"}]");
            awaitValue("the published port's Service removed", Duration.ofSeconds(60), () ->
                    cluster.kubectl(SHORT, "get", "service", "my-web", "--ignore-not-found", "-o", "name").stdout().isBlank()
                            ? Optional.of(true) : Optional.empty());
        });
    }

    @Test
    @Order(17)
    void aDeploymentAndAJobJoinAnAttachableNetworkLikeTasks() throws Exception {
        step("attachable network", () -> {
            // docker network create --attachable, then docker run --network my-network (a Deployment's pod and a Job's)
            kubectl("patch", "overlaynetwork", "my-network", "--type", "merge", "-p", "{\"spec\":{\"attachable\":true}}");
            String podSpec = """
                        metadata:
                          labels: {app: NAME}
                          annotations:
                            swarmnet.io/networks: '[{"name":"my-network","aliases":["ALIAS"]}]'
                        spec:
                          restartPolicy: RESTART
                          readinessGates: [{conditionType: swarmnet.io/attached}]
                          nodeSelector: {swarmnet.io/agent: "true"}
                          dnsPolicy: None
                          dnsConfig:
                            nameservers: ["127.0.0.11"]
                            searches: [default.svc.cluster.local, svc.cluster.local, cluster.local]
                            options: [{name: ndots, value: "5"}]
                          containers:
                            - name: main
                              image: busybox:1.36
                              command: ["sh", "-c", "COMMAND"]
                    """;
            applyYaml("attached-client", """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: attached-client}
                    spec:
                      replicas: 1
                      selector: {matchLabels: {app: attached-client}}
                      template:
                    """ + podSpec.replace("NAME", "attached-client").replace("ALIAS", "helper").replace("RESTART", "Always")
                    .replace("COMMAND", "sleep 3600"));
            // the Job's pod reaches my-web by its name and VIP and exits 0; 60 tries at most
            applyYaml("attached-job", """
                    apiVersion: batch/v1
                    kind: Job
                    metadata: {name: attached-job}
                    spec:
                      backoffLimit: 0
                      template:
                    """ + podSpec.replace("NAME", "attached-job").replace("ALIAS", "batch").replace("RESTART", "Never")
                    .replace("COMMAND", "for i in $(seq 60); do timeout 3 wget -qO- http://my-web/ | grep -q 'Hello from task' && exit 0; sleep 1; done; exit 1"));
            cluster.kubectl(Duration.ofMinutes(3), "wait", "--for=condition=Ready", "pod", "-l", "app=attached-client", "--timeout=150s").output();
            cluster.kubectl(Duration.ofMinutes(3), "wait", "--for=condition=complete", "job/attached-job", "--timeout=150s").output();

            JsonNode pod = json(kubectl("get", "pods", "-l", "app=attached-client", "-o", "json")).path("items").get(0);
            String address = json(pod.path("metadata").path("annotations").path("swarmnet.io/addresses").asText("{}"))
                    .path("my-network").asText();
            assertThat(address).as("the Deployment's pod got an address on my-network").startsWith("10.0.9.");
            String name = pod.path("metadata").path("name").asText();
            // a task finds the pod by its alias and its pod name, and reaches it
            String byAlias = awaitValue("the alias helper resolved from a task", Duration.ofSeconds(30), () -> {
                String answer = inBusybox("nslookup", "helper");
                return answer.contains(address) ? Optional.of(answer) : Optional.empty();
            });
            System.out.println("nslookup helper from my-busybox: " + byAlias.replace('\n', ' '));
            assertThat(inBusybox("nslookup", name)).contains(address);
            assertThat(inBusybox("ping", "-c", "1", "-W", "2", address)).contains("1 packets received");
            // the pod reaches the service through its name and VIP, as a task does
            assertThat(kubectl("exec", name, "--", "wget", "-qO-", "http://my-web/")).contains("Hello from task");

            kubectl("delete", "deployment", "attached-client", "--wait=true");
            kubectl("delete", "job", "attached-job", "--cascade=foreground", "--wait=true");
            kubectl("patch", "overlaynetwork", "my-network", "--type", "merge", "-p", "{\"spec\":{\"attachable\":false}}");
        });
    }

    /** Applies one manifest given as text. */
    private static void applyYaml(String name, String yaml) throws IOException {
        java.nio.file.Path manifest = java.nio.file.Files.createTempFile(name, ".yaml");
        try {
            java.nio.file.Files.writeString(manifest, yaml);
            kubectl("apply", "-f", manifest.toString());
        } finally {
            java.nio.file.Files.deleteIfExists(manifest);
        }
    }

    private static JsonNode condition(JsonNode object, String type) {
        for (JsonNode condition : object.path("status").path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition;
            }
        }
        return null;
    }

    @Test
    @Order(14)
    void anUpgradeKeepsEveryNetworkAddressAndTaskAndTheOperatorRefusesOlderCrds() throws Exception {
        step("helm upgrade", () -> {
            JsonNode network = json(kubectl("get", "overlaynetwork", "my-network", "-o", "json")).path("status");
            JsonNode web = json(kubectl("get", "swarmservice", "my-web", "-o", "json")).path("status");
            Map<String, String> tasksBefore = taskPods("default");
            // Helm leaves crds/ alone on upgrade: the documented step applies them first, over the ones helm installed
            kubectl("apply", "--server-side", "--force-conflicts", "-f", repo.chart().resolve("crds").toString());
            cluster.helm(Duration.ofMinutes(6), "upgrade", "swarmnet", repo.chart().toString(), "--namespace", NAMESPACE,
                    "--reuse-values", "--set", "logLevel=DEBUG", "--wait", "--timeout", "5m").output();
            cluster.kubectl(Duration.ofMinutes(4), "-n", NAMESPACE, "rollout", "status", "daemonset/swarmnet-agent", "--timeout=200s").output();
            cluster.kubectl(Duration.ofMinutes(4), "-n", NAMESPACE, "rollout", "status", "deployment/swarmnet-operator", "--timeout=200s").output();
            assertThat(json(kubectl("-n", NAMESPACE, "get", "daemonset", "swarmnet-agent", "-o", "json")).path("metadata")
                    .path("generation").asInt()).as("the agents were rolled (a new configuration)").isGreaterThan(1);
            // the components rolled; every network, address and task stayed as it was
            assertThat(json(kubectl("get", "overlaynetwork", "my-network", "-o", "json")).path("status").path("vxlanId"))
                    .isEqualTo(network.path("vxlanId"));
            assertThat(json(kubectl("get", "overlaynetwork", "my-network", "-o", "json")).path("status").path("subnet"))
                    .isEqualTo(network.path("subnet"));
            assertThat(json(kubectl("get", "swarmservice", "my-web", "-o", "json")).path("status").path("virtualIPs"))
                    .isEqualTo(web.path("virtualIPs"));
            assertThat(taskPods("default")).as("task pods (uid and address) after the upgrade").isEqualTo(tasksBefore);
            awaitValue("my-web answering through its VIP after the upgrade", Duration.ofSeconds(60), () -> Optional.of(
                    inBusybox("sh", "-c", "timeout 5 wget -q -O- http://my-web/ 2>&1; true")).filter(o -> o.contains("Hello from task")));
        });
        step("the operator refuses CRDs older than it needs", () -> {
            kubectl("annotate", "crd", "swarmservices.swarmnet.io", "--overwrite", "swarmnet.io/schema-revision=0");
            try {
                kubectl("-n", NAMESPACE, "delete", "pod", "-l", "app.kubernetes.io/component=operator", "--wait=false");
                String refusal = awaitValue("an operator pod refusing the CRDs", Duration.ofSeconds(120), () -> {
                    for (JsonNode pod : json(kubectl("-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/component=operator",
                            "-o", "json")).path("items")) {
                        // the container exits at once and is restarted: its message is in the current or the previous run's log
                        for (String which : List.of("--previous=false", "--previous=true")) {
                            HostCommand.Result log = cluster.kubectl(SHORT, "-n", NAMESPACE, "logs", pod.path("metadata").path("name").asText(),
                                    which);
                            if (log.stdout().contains("has schema revision 0")) {
                                return Optional.of(log.stdout());
                            }
                        }
                    }
                    return Optional.empty();
                });
                System.out.println("operator against an older CRD: " + refusal.lines().filter(l -> l.contains("schema revision")).findFirst().orElse(""));
                assertThat(refusal).contains("CustomResourceDefinition swarmservices.swarmnet.io has schema revision 0, this operator needs "
                        + io.swarmnet.api.SchemaRevision.CURRENT)
                        .contains("kubectl apply --server-side");
            } finally {
                kubectl("apply", "--server-side", "--force-conflicts", "-f", repo.chart().resolve("crds").toString());
                kubectl("-n", NAMESPACE, "delete", "pod", "-l", "app.kubernetes.io/component=operator", "--wait=false");
            }
            cluster.kubectl(Duration.ofMinutes(4), "-n", NAMESPACE, "rollout", "status", "deployment/swarmnet-operator", "--timeout=200s").output();
        });
    }

    /** Every task pod of a namespace: name → uid, addresses and restarts, from the API. */
    private static Map<String, String> taskPods(String namespace) throws IOException {
        Map<String, String> pods = new java.util.TreeMap<>();
        for (JsonNode pod : json(kubectl("-n", namespace, "get", "pods", "-l", "swarmnet.io/service", "-o", "json")).path("items")) {
            if (!pod.path("metadata").path("deletionTimestamp").isMissingNode()) {
                continue;
            }
            int restarts = 0;
            for (JsonNode c : pod.path("status").path("containerStatuses")) {
                restarts += c.path("restartCount").asInt();
            }
            pods.put(pod.path("metadata").path("name").asText(), pod.path("metadata").path("uid").asText() + " "
                    + pod.path("metadata").path("annotations").path("swarmnet.io/addresses").asText() + " restarts " + restarts);
        }
        return pods;
    }

    /** The share of examples/shared-networks/proxy.yaml, as a merge patch that sets it again. */
    private static final String PROXY_SHARE_WITH =
            "{\"spec\":{\"shareWith\":{\"namespaceSelector\":{\"matchLabels\":{\"swarmnet.io/proxy\":\"true\"}}}}}";

    @Test
    @Order(18)
    void aNetworkSharedAcrossNamespacesCarriesTheirTrafficUntilItsOwnerStopsSharingIt() throws Exception {
        step("networks shared across namespaces", () -> {
            // docker network create --driver overlay proxy, and the stacks infra and shop declaring it external
            String example = repo.examples().resolve("shared-networks/proxy.yaml").toString();
            kubectl("apply", "-f", example);
            awaitReady("infra", "overlaynetwork/proxy");
            awaitReady("shop", "swarmservice/web");
            awaitReady("infra", "swarmservice/edge");
            Cidr subnet = Cidr.parse(json(kubectl("-n", "infra", "get", "overlaynetwork", "proxy", "-o", "json")).path("status")
                    .path("subnet").asText());
            List<Task> web = tasks("shop", "web", "infra/proxy");
            List<Task> edges = tasks("infra", "edge", "proxy");
            assertThat(web).as("shop's web tasks").hasSize(2);
            assertThat(edges).as("infra's edge tasks").hasSize(1);
            Task edge = edges.get(0);
            String webVip = virtualIp("shop", "web", "infra/proxy");
            String edgeVip = virtualIp("infra", "edge", "proxy");
            System.out.printf("proxy of infra, %s: shop's web VIP %s, tasks %s; infra's edge VIP %s, task %s%n", subnet, webVip, web,
                    edgeVip, edge);
            List<String> addresses = new ArrayList<>(List.of(webVip, edgeVip, edge.address()));
            web.forEach(t -> addresses.add(t.address()));
            assertThat(addresses).as("VIPs and task addresses of both namespaces on proxy, from its one ledger").doesNotHaveDuplicates()
                    .allSatisfy(a -> assertThat(!a.isEmpty() && subnet.contains(IpAddress.parse(a))).as("%s in %s", a, subnet).isTrue());
            assertThat(json(kubectl("-n", "shop", "get", "swarmservice", "web", "-o", "json")).path("status").path("networkNames").asText())
                    .as("web's NETWORKS column").isEqualTo("infra/proxy");
            awaitValue("proxy's status.attachedServices naming edge and shop/web", Duration.ofSeconds(60), () -> Optional.of(
                    json(kubectl("-n", "infra", "get", "overlaynetwork", "proxy", "-o", "json")).path("status").path("attachedServices")
                            .toString()).filter(s -> s.contains("\"edge\"") && s.contains("\"shop/web\"")));
            // the operator may have seen the network before shop's labels: the condition's message is awaited too
            awaitCondition("infra", "overlaynetwork/proxy", "Shared", "True", "NamespacesSelected", "selects namespaces shop");

            // each namespace's service and each ready task reach every node's resolver in a round of their own: all awaited first
            Set<String> webTasks = new java.util.TreeSet<>(web.stream().map(Task::address).toList());
            Task shopTask = web.get(0);
            awaitValue("edge resolving web.shop, tasks.web.shop and web, and shop's web resolving edge", Duration.ofSeconds(60), () ->
                    resolved("infra", edge.pod(), "web.shop").equals(Set.of(webVip))
                            && resolved("infra", edge.pod(), "tasks.web.shop").equals(webTasks)
                            && resolved("infra", edge.pod(), "web").equals(Set.of(webVip))
                            && resolved("shop", shopTask.pod(), "edge").equals(Set.of(edgeVip)) ? Optional.of(true) : Optional.empty());
            String pointer = inPod("infra", edge.pod(), "nslookup " + webVip);
            System.out.println("from edge, nslookup " + webVip + ": " + pointer.replace('\n', ' '));
            assertThat(pointer).as("the PTR of shop's web VIP from infra").contains("web.shop");

            // through web's VIP on port 8080, across the nodes; the VIP's backends may be programmed just after the names
            Set<String> pages = new java.util.TreeSet<>(web.stream().map(t -> "shop's web, task " + t.pod()).toList());
            Set<String> answeredBy = new java.util.TreeSet<>();
            awaitValue("both of web's tasks answering edge's fetches of http://web.shop:8080/", Duration.ofSeconds(60), () -> {
                answeredBy.add(fetch("infra", edge.pod(), "http://web.shop:8080/").trim());
                return answeredBy.containsAll(pages) ? Optional.of(true) : Optional.empty();
            });
            System.out.printf("edge (on %s) fetched http://web.shop:8080/, answers: %s (web's tasks on %s)%n", edge.node(), answeredBy,
                    web.stream().map(Task::node).toList());
            for (int i = 0; i < 6; i++) {
                assertThat(fetch("infra", edge.pod(), "http://web.shop:8080/").trim()).as("a further fetch of http://web.shop:8080/")
                        .isIn(pages);
            }
            assertThat(fetch("infra", edge.pod(), "http://web:8080/")).as("edge fetching the plain name web (only shop has a web)")
                    .startsWith("shop's web, task web-");
            String edgeLog = awaitValue("the example's own loop in edge printing shop's page", Duration.ofSeconds(30), () -> Optional.of(
                    kubectl("-n", "infra", "logs", edge.pod(), "--tail=1")).filter(l -> l.startsWith("shop's web, task web-")));
            System.out.println("kubectl logs -n infra " + edge.pod() + ": " + edgeLog.trim());

            // the administrator takes shop's label away: what runs keeps running, nothing new attaches
            Map<String, String> webPods = taskPods("shop");
            kubectl("label", "namespace", "shop", "swarmnet.io/proxy-");
            String notSelected = awaitCondition("shop", "swarmservice/web", "Ready", "False", "NetworkNotShared").path("message").asText();
            String outside = awaitCondition("infra", "overlaynetwork/proxy", "Shared", "False", "AttachedOutsideSelector").path("message")
                    .asText();
            System.out.println("shop unlabelled, web: " + notSelected + "\nproxy: " + outside);
            assertThat(notSelected).as("web's Ready message").contains("spec.networks[0]").contains("OverlayNetwork infra/proxy")
                    .contains("(swarmnet.io/proxy=true) does not select namespace shop").contains("running tasks keep their addresses");
            assertThat(outside).as("proxy's Shared message").contains("SwarmService shop/web").contains("keep their addresses");
            awaitEvent("shop", "web", "NetworkNotShared");
            awaitEvent("infra", "proxy", "AttachedOutsideSelector");
            for (int i = 0; i < 3; i++) {
                assertThat(fetch("infra", edge.pod(), "http://web.shop:8080/")).as("edge fetching web.shop with shop unlabelled")
                        .startsWith("shop's web, task ");
            }
            for (Task t : web) {
                assertThat(condition(json(kubectl("-n", "shop", "get", "pod", t.pod(), "-o", "json")), "swarmnet.io/attached")
                        .path("status").asText()).as("attached condition of %s with shop unlabelled", t.pod()).isEqualTo("True");
            }
            // docker service scale web=3 meanwhile: the operator sees it (observedGeneration) and starts nothing
            kubectl("-n", "shop", "scale", "swarmservice/web", "--replicas=3");
            JsonNode scaled = awaitValue("web's status for the scale to 3, still NetworkNotShared", Duration.ofSeconds(60), () -> {
                JsonNode now = json(kubectl("-n", "shop", "get", "swarmservice", "web", "-o", "json"));
                JsonNode ready = condition(now, "Ready");
                return now.path("status").path("observedGeneration").asLong() == now.path("metadata").path("generation").asLong()
                        && ready != null && "NetworkNotShared".equals(ready.path("reason").asText()) ? Optional.of(now) : Optional.empty();
            });
            assertThat(scaled.path("status").path("tasksReady").asText()).as("web's tasks ready, scaled to 3 while not admitted")
                    .isEqualTo("2/3");
            assertThat(taskPods("shop")).as("shop's task pods (uid, addresses, restarts), unlabelled and scaled to 3").isEqualTo(webPods);

            // labelled again: the service resumes at once and starts its third task
            kubectl("label", "namespace", "shop", "swarmnet.io/proxy=true");
            awaitReady("shop", "swarmservice/web");
            awaitCondition("infra", "overlaynetwork/proxy", "Shared", "True", "NamespacesSelected");
            List<Task> resumed = tasks("shop", "web", "infra/proxy");
            assertThat(resumed).as("web's tasks once shop is labelled again").hasSize(3)
                    .allSatisfy(t -> assertThat(!t.address().isEmpty() && subnet.contains(IpAddress.parse(t.address())))
                            .as("%s's address %s in %s", t.pod(), t.address(), subnet).isTrue());

            // the owner removes spec.shareWith: the agents detach shop's tasks at once, infra's stay
            Map<String, String> held = taskPods("shop");
            kubectl("-n", "infra", "patch", "overlaynetwork", "proxy", "--type", "json", "-p", "[{\"op\":\"remove\",\"path\":\"/spec/shareWith\"}]");
            for (Task t : resumed) {
                System.out.println(t.pod() + " after spec.shareWith was removed: "
                        + awaitCondition("shop", "pod/" + t.pod(), "swarmnet.io/attached", "False", "NetworkNotShared").path("message").asText());
            }
            String cutOff = awaitCondition("infra", "overlaynetwork/proxy", "Shared", "False", "AttachedOutsideSelector").path("message")
                    .asText();
            System.out.println("proxy without spec.shareWith: " + cutOff);
            assertThat(cutOff).as("proxy's Shared message").contains("SwarmService shop/web").contains("spec.shareWith is not set")
                    .contains("detached");
            assertThat(awaitCondition("shop", "swarmservice/web", "Ready", "False", "NetworkNotShared").path("message").asText())
                    .as("web's Ready message").contains("is not shared with other namespaces");
            awaitValue("web.shop no longer resolving from edge", Duration.ofSeconds(30), () ->
                    resolved("infra", edge.pod(), "web.shop").isEmpty() ? Optional.of(true) : Optional.empty());
            awaitValue("web's VIP no longer answering edge", Duration.ofSeconds(30), () ->
                    fetch("infra", edge.pod(), "http://" + webVip + ":8080/").contains("shop's web") ? Optional.empty() : Optional.of(true));
            for (Task t : resumed) {
                awaitValue(t.pod() + "'s address no longer answering edge", Duration.ofSeconds(30), () ->
                        fetch("infra", edge.pod(), "http://" + t.address() + ":8080/").contains("shop's web") ? Optional.empty() : Optional.of(true));
            }
            assertThat(condition(json(kubectl("-n", "infra", "get", "pod", edge.pod(), "-o", "json")), "swarmnet.io/attached")
                    .path("status").asText()).as("edge's attached condition without spec.shareWith").isEqualTo("True");
            assertThat(resolved("infra", edge.pod(), "edge")).as("edge resolving its own service without spec.shareWith")
                    .isEqualTo(Set.of(edgeVip));
            assertThat(taskPods("shop")).as("shop's task pods (uid, addresses held, restarts) without spec.shareWith").isEqualTo(held);

            // set again, it reattaches them as they were
            kubectl("-n", "infra", "patch", "overlaynetwork", "proxy", "--type", "merge", "-p", PROXY_SHARE_WITH);
            for (Task t : resumed) {
                awaitCondition("shop", "pod/" + t.pod(), "swarmnet.io/attached", "True", null);
            }
            awaitReady("shop", "swarmservice/web");
            awaitValue("edge fetching http://web.shop:8080/ once proxy is shared again", Duration.ofSeconds(60), () -> Optional.of(
                    fetch("infra", edge.pod(), "http://web.shop:8080/")).filter(a -> a.startsWith("shop's web, task ")));
            assertThat(taskPods("shop")).as("shop's task pods (uid, addresses, restarts) once proxy is shared again").isEqualTo(held);

            cluster.kubectl(Duration.ofMinutes(5), "delete", "-f", example, "--ignore-not-found", "--wait=true", "--timeout=240s").output();
            assertThat(kubectl("get", "namespace", "infra", "shop", "--ignore-not-found", "-o", "name")).as("namespaces left").isBlank();
        });
    }

    @Test
    @Order(19)
    void eachTaskGetsTheHostnameAndEnvironmentItsTemplateResolvesTo() throws Exception {
        step("task templates", () -> {
            // docker service create --hostname "{{.Service.Name}}-{{.Task.Slot}}" --env NODE={{.Node.Hostname}} ... on my-network
            kubectl("apply", "-f", repo.examples().resolve("task-templates/my-peers.yaml").toString());
            awaitReady("default", "swarmservice/my-peers");
            List<Task> peers = tasks("my-peers");
            assertThat(peers).as("my-peers' tasks").hasSize(3)
                    .allSatisfy(t -> assertThat(t.address()).as("%s's address on my-network", t.pod()).startsWith("10.0.9."));
            Set<String> slots = new java.util.TreeSet<>();
            for (Task peer : peers) {
                JsonNode pod = json(kubectl("get", "pod", peer.pod(), "-o", "json"));
                String slot = pod.path("metadata").path("labels").path("swarmnet.io/slot").asText();
                slots.add(slot);
                String hostname = "my-peers-" + slot;
                assertThat(peer.pod()).as("name of the task of slot %s", slot).startsWith(hostname + "-");
                assertThat(pod.path("spec").path("hostname").asText()).as("spec.hostname of %s", peer.pod()).isEqualTo(hostname);
                // what the container sees; NODE is the kubelet's (the scheduler placed the task), the rest the operator's
                String seen = kubectl("exec", peer.pod(), "--", "sh", "-c", "echo \"$(hostname) $NODE $SLOT $PEERS $ROLE\"").trim();
                System.out.println(peer.pod() + ": hostname NODE SLOT PEERS ROLE = " + seen);
                assertThat(seen).as("hostname, NODE, SLOT, PEERS and ROLE inside %s, scheduled on %s", peer.pod(), peer.node())
                        .isEqualTo(String.join(" ", hostname, peer.node(), slot, "tasks.my-peers", "cache"));
                String line = "task " + slot + " of tasks.my-peers (cache) on node " + peer.node() + ", hostname " + hostname;
                awaitValue("the example's line in the log of " + peer.pod() + ": " + line, Duration.ofSeconds(30), () -> Optional.of(
                        kubectl("logs", peer.pod(), "-c", "peer")).filter(l -> l.contains(line)));
            }
            assertThat(slots).as("slots of my-peers' tasks").containsExactly("1", "2", "3");
            // PEERS names the service's tasks: each task finds all three by it (the variable is expanded in the task's shell)
            Set<String> addresses = new java.util.TreeSet<>(peers.stream().map(Task::address).toList());
            for (Task peer : peers) {
                awaitValue("$PEERS resolving to " + addresses + " in " + peer.pod(), Duration.ofSeconds(30), () ->
                        resolved("default", peer.pod(), "\"$PEERS\"").equals(addresses) ? Optional.of(true) : Optional.empty());
            }
            assertThat(json(kubectl("get", "swarmservice", "my-peers", "-o", "json")).path("spec").path("template").path("spec")
                    .path("hostname").asText()).as("the SwarmService's template, kept as written").isEqualTo("{{.Service.Name}}-{{.Task.Slot}}");
            kubectl("delete", "swarmservice", "my-peers", "--wait=true", "--timeout=90s");
            awaitTaskPodsGone("my-peers");
        });
    }

    /**
     * The network of the step below, internal, with two tasks pinned to the nodes: one that routes (privileged, to turn
     * forwarding on in its pod; its own pod network leads out), serving a page on 80 and two echo servers of one
     * connection each, and a client holding NET_ADMIN, to add a route through it as any task holding it may.
     */
    private static final String INNER = """
            apiVersion: swarmnet.io/v1alpha1
            kind: OverlayNetwork
            metadata: {name: inner}
            spec: {subnet: 10.0.39.0/24, internal: true}
            """ + busyboxService("inner-router", "inner", "nodeSelector: {kubernetes.io/hostname: node-2}, terminationGracePeriodSeconds: 1, ",
            "[sh, -c, 'sysctl -w net.ipv4.ip_forward=1; mkdir -p /tmp/www; echo \"router task $HOSTNAME\" > /tmp/www/index.html;"
                    + " httpd -p 80 -h /tmp/www; nc -l -p 7000 -e cat & nc -l -p 7001 -e cat & sleep 3000']", "{privileged: true}")
            + busyboxService("inner-client", "inner", "nodeSelector: {kubernetes.io/hostname: node-1}, terminationGracePeriodSeconds: 1, ",
            "[sleep, \"3000\"]", "{capabilities: {add: [NET_ADMIN]}}");

    @Test
    @Order(20)
    void anInternalNetworkCarriesItsTasksTrafficAndNothingThroughATaskThatRoutes() throws Exception {
        step("internal network", () -> {
            // docker network create --driver overlay --internal inner: a task that routes on node-2, a client on node-1
            applyYaml("inner", INNER);
            awaitReady("default", "overlaynetwork/inner", "swarmservice/inner-router", "swarmservice/inner-client");
            JsonNode network = json(kubectl("get", "overlaynetwork", "inner", "-o", "json")).path("status");
            String subnet = network.path("subnet").asText();
            String gateway = network.path("gateway").asText();
            Task router = tasks("inner-router", "inner").get(0);
            Task client = tasks("inner-client", "inner").get(0);
            String vip = virtualIp("default", "inner-router", "inner");
            System.out.printf("inner %s, gateway %s: inner-router's VIP %s, task %s; inner-client's task %s%n", subnet, gateway, vip, router,
                    client);
            assertThat(List.of(gateway, vip, router.address(), client.address())).as("gateway, VIP and task addresses on inner")
                    .allSatisfy(a -> assertThat(!a.isEmpty() && Cidr.parse(subnet).contains(IpAddress.parse(a))).as("%s in %s", a, subnet).isTrue());
            assertThat(client.node()).as("inner-client's node, inner-router's being %s", router.node()).isNotEqualTo(router.node());
            String internalGroup = String.valueOf(KernelNames.INTERNAL_GROUP);
            for (Task t : List.of(router, client)) {
                assertThat(deviceGroup(t.pod())).as("device group of %s's interface on inner", t.pod()).isEqualTo(internalGroup);
            }

            // the tasks reach each other, by name, through the VIP and straight, across the nodes
            awaitValue("inner-router and tasks.inner-router resolving from inner-client", Duration.ofSeconds(60), () ->
                    resolved("default", client.pod(), "inner-router").equals(Set.of(vip))
                            && resolved("default", client.pod(), "tasks.inner-router").equals(Set.of(router.address()))
                            ? Optional.of(true) : Optional.empty());
            String page = awaitValue("inner-router's page through its VIP", Duration.ofSeconds(60), () -> Optional.of(
                    fetch("default", client.pod(), "http://inner-router/")).filter(p -> p.startsWith("router task ")));
            assertThat(page.trim()).as("the page fetched from http://inner-router/").isEqualTo("router task " + router.pod());
            assertThat(pings(client.pod(), router.address())).as("inner-client pinging inner-router's task").isTrue();

            // the pod's own network is untouched: its default route, the cluster's names, the API, the nodes
            String routes = inPod("default", client.pod(), "ip route");
            System.out.println("inner-client's routes:\n" + routes.strip());
            String overlay = DesiredDatapath.interfaceName(0);
            assertThat(routes.lines().filter(l -> l.contains(" dev " + overlay)).toList()).as("inner-client's routes over inner")
                    .satisfiesExactly(l -> assertThat(l).startsWith(subnet + " "));
            assertThat(routes.lines().filter(l -> l.startsWith("default ")).toList()).as("inner-client's default route")
                    .satisfiesExactly(l -> assertThat(l).contains(" dev eth0"));
            Set<String> api = awaitValue("kubernetes.default.svc.cluster.local resolving from inner-client", Duration.ofSeconds(60), () ->
                    Optional.of(resolved("default", client.pod(), "kubernetes.default.svc.cluster.local")).filter(a -> !a.isEmpty()));
            // busybox's TLS shares no cipher with the API server (handshake failure, alert 40), so plain HTTP to its port:
            // Go's server answers that with "400 Bad Request", which is the API server answering over the pod network
            String answer = inPod("default", client.pod(), "timeout 10 wget -q -O- http://" + api.iterator().next() + ":443/ 2>&1; true");
            System.out.println("inner-client asking http://" + api.iterator().next() + ":443/: " + answer.replaceAll("\\s+", " "));
            assertThat(answer).as("the API server's answer to plain HTTP, from inner-client").contains("400 Bad Request");
            String nodeIp = internalIp(router.node());
            assertThat(pings(client.pod(), nodeIp)).as("inner-client pinging %s's address %s over its pod network", router.node(), nodeIp)
                    .isTrue();

            // two connections held open across the switches below, one straight to the task, one through the VIP
            Map<String, String> connections = Map.of("direct", router.address() + " 7000", "vip", "inner-router 7001");
            for (Map.Entry<String, String> c : connections.entrySet()) {
                inPod("default", client.pod(), "(for i in $(seq 240); do echo line $i; sleep 1; done) < /dev/null 2>/dev/null | nc "
                        + c.getValue() + " > /tmp/conn-" + c.getKey() + ".out 2>&1 & echo started");
            }
            for (String name : connections.keySet()) {
                awaitValue("lines echoed on the " + name + " connection", Duration.ofSeconds(20), () ->
                        linesBack(client.pod(), name) >= 3 ? Optional.of(true) : Optional.empty());
            }

            // as in InternalNetworkEndToEndTest, with the router's own pod network for the outside: the router forwards,
            // the client routes the node's address through it, the node routes the subnet back through the router's pod
            assertThat(inPod("default", router.pod(), "cat /proc/sys/net/ipv4/ip_forward").trim()).as("forwarding in inner-router's pod")
                    .isEqualTo("1");
            String routerPodIp = json(kubectl("get", "pod", router.pod(), "-o", "json")).path("status").path("podIP").asText();
            cluster.onNode(router.node(), "ip", "route", "add", subnet, "via", routerPodIp).output();
            try {
                // the network's own gateway leads nowhere beyond the subnet
                kubectl("exec", client.pod(), "--", "ip", "route", "add", nodeIp + "/32", "via", gateway, "dev", overlay);
                assertThat(pings(client.pod(), nodeIp)).as("inner-client reaching %s through inner's gateway %s", nodeIp, gateway).isFalse();
                kubectl("exec", client.pod(), "--", "ip", "route", "replace", nodeIp + "/32", "via", router.address(), "dev", overlay);
                assertThat(pings(client.pod(), nodeIp)).as("internal: inner-client reaching %s through inner-router", nodeIp).isFalse();
                assertThat(pingsFromNode(router.node(), nodeIp, client.address()))
                        .as("internal: %s reaching inner-client through inner-router", router.node()).isFalse();

                long opening = System.nanoTime();
                setInternal("inner", false);
                double regrouped = awaitSeconds("inner-router's and inner-client's interfaces back in the default group", opening,
                        Duration.ofSeconds(30), () -> deviceGroup(router.pod()).equals("0") && deviceGroup(client.pod()).equals("0"));
                double opened = awaitSeconds("inner-client reaching " + nodeIp + " through inner-router once inner is not internal", opening,
                        Duration.ofSeconds(30), () -> pings(client.pod(), nodeIp));
                System.out.printf("spec.internal false: both interfaces in the default group %.2f s, the way out open %.2f s"
                        + " after the patch%n", regrouped, opened);
                assertThat(pingsFromNode(router.node(), nodeIp, client.address()))
                        .as("not internal: %s reaching inner-client through inner-router", router.node()).isTrue();

                long closing = System.nanoTime();
                setInternal("inner", true);
                regrouped = awaitSeconds("inner-router's and inner-client's interfaces in the group again", closing, Duration.ofSeconds(30),
                        () -> deviceGroup(router.pod()).equals(internalGroup) && deviceGroup(client.pod()).equals(internalGroup));
                double closed = awaitSeconds("inner-client no longer reaching " + nodeIp + " through inner-router", closing,
                        Duration.ofSeconds(30), () -> !pings(client.pod(), nodeIp));
                System.out.printf("spec.internal true again: both interfaces in the group %.2f s, the way out closed %.2f s"
                        + " after the patch%n", regrouped, closed);
                for (int i = 0; i < 3; i++) {
                    assertThat(pings(client.pod(), nodeIp)).as("internal again: inner-client reaching %s through inner-router", nodeIp)
                            .isFalse();
                }
                assertThat(pingsFromNode(router.node(), nodeIp, client.address()))
                        .as("internal again: %s reaching inner-client through inner-router", router.node()).isFalse();
            } finally {
                cluster.onNode(router.node(), "ip", "route", "del", subnet, "via", routerPodIp);
            }

            // and the tasks kept reaching each other: the same connections still carry, new ones and the VIP answer
            for (String name : connections.keySet()) {
                int before = linesBack(client.pod(), name);
                awaitValue("further lines on the " + name + " connection opened before both switches", Duration.ofSeconds(20), () ->
                        linesBack(client.pod(), name) >= before + 3 ? Optional.of(true) : Optional.empty());
                System.out.println("lines echoed on the " + name + " connection: " + linesBack(client.pod(), name));
            }
            assertThat(pings(client.pod(), router.address())).as("inner-client pinging inner-router's task after both switches").isTrue();
            assertThat(fetch("default", client.pod(), "http://inner-router/").trim()).as("http://inner-router/ after both switches")
                    .isEqualTo("router task " + router.pod());
            // without its route, the client reaches the node over its pod network again, its routes as they were
            kubectl("exec", client.pod(), "--", "ip", "route", "del", nodeIp + "/32");
            assertThat(pings(client.pod(), nodeIp)).as("inner-client pinging %s over its pod network again", nodeIp).isTrue();
            assertThat(inPod("default", client.pod(), "ip route")).as("inner-client's routes at the end").isEqualTo(routes);

            kubectl("delete", "swarmservice", "inner-router", "inner-client", "--wait=true", "--timeout=90s");
            awaitTaskPodsGone("inner-router", "inner-client");
            kubectl("delete", "overlaynetwork", "inner", "--wait=true", "--timeout=90s");
        });
    }

    /** Awaits the end of every task pod of these services of the default namespace, 90 s at most. */
    private static void awaitTaskPodsGone(String... services) throws Exception {
        String selector = "swarmnet.io/service in (" + String.join(",", services) + ")";
        awaitValue("the task pods of " + String.join(", ", services) + " gone", Duration.ofSeconds(90), () ->
                kubectl("get", "pods", "-l", selector, "-o", "name").isBlank() ? Optional.of(true) : Optional.empty());
    }

    /** A node's InternalIP. */
    private static String internalIp(String node) {
        return kubectl("get", "node", node, "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}").trim();
    }

    private static void setInternal(String network, boolean internal) {
        kubectl("patch", "overlaynetwork", network, "--type", "merge", "-p", "{\"spec\":{\"internal\":" + internal + "}}");
    }

    /** The device group of a task's interface on its (only) network, from its pod's sysfs: busybox's ip does not print it. */
    private static String deviceGroup(String pod) throws IOException {
        return inPod("default", pod, "cat /sys/class/net/" + DesiredDatapath.interfaceName(0) + "/netdev_group").trim();
    }

    /** Whether one ping from a task of the default namespace is answered within 2 s. */
    private static boolean pings(String pod, String address) throws IOException {
        return inPod("default", pod, "ping -c 1 -W 2 " + address).contains(", 1 packets received");
    }

    /** Whether one ping from a node, from its address {@code source}, is answered within 2 s (the machine's busybox: nodes have no ping). */
    private static boolean pingsFromNode(String node, String source, String address) {
        return cluster.onNode(node, "busybox", "ping", "-c", "1", "-W", "2", "-I", source, address).succeeded();
    }

    /** Lines echoed back so far on a connection the step above opened in a pod. */
    private static int linesBack(String pod, String name) throws IOException {
        return Integer.parseInt(inPod("default", pod, "grep -c '^line ' /tmp/conn-" + name + ".out").trim());
    }

    /** kubectl wait until these objects of a namespace are Ready, 3 minutes at most. */
    private static void awaitReady(String namespace, String... objects) {
        List<String> args = new ArrayList<>(List.of("-n", namespace, "wait", "--for=condition=Ready"));
        args.addAll(List.of(objects));
        args.add("--timeout=180s");
        cluster.kubectl(Duration.ofMinutes(4), args.toArray(String[]::new)).output();
    }

    /** Awaits a condition of {@code object} ({@code kind/name}) with this status and reason (any, if null), 60 s at most. */
    private static JsonNode awaitCondition(String namespace, String object, String type, String status, String reason) throws Exception {
        return awaitCondition(namespace, object, type, status, reason, "");
    }

    /** The same, its message containing {@code message}. */
    private static JsonNode awaitCondition(String namespace, String object, String type, String status, String reason, String message)
            throws Exception {
        Probe<JsonNode> current = () -> condition(json(kubectl("-n", namespace, "get", object, "-o", "json")), type);
        try {
            return awaitValue(namespace + "/" + object + " with " + type + "=" + status + (reason == null ? "" : " " + reason)
                    + (message.isEmpty() ? "" : " saying \"" + message + "\""), Duration.ofSeconds(60), () -> Optional.ofNullable(current.get())
                    .filter(c -> status.equals(c.path("status").asText()) && (reason == null || reason.equals(c.path("reason").asText()))
                            && c.path("message").asText().contains(message)));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; it has " + current.get(), e);
        }
    }

    /** Awaits an event of this reason about the object named {@code name} in a namespace, 30 s at most. */
    private static void awaitEvent(String namespace, String name, String reason) throws Exception {
        awaitValue("a " + reason + " event about " + namespace + "/" + name, Duration.ofSeconds(30), () -> Optional.of(kubectl("-n",
                namespace, "get", "events", "--field-selector", "involvedObject.name=" + name, "-o",
                "jsonpath={range .items[*]}{.reason}{\"\\n\"}{end}")).filter(r -> r.lines().anyMatch(reason::equals)));
    }

    /** A service's virtual IP on one network, as its namespace writes the network. */
    private static String virtualIp(String namespace, String service, String network) throws IOException {
        for (JsonNode vip : json(kubectl("-n", namespace, "get", "swarmservice", service, "-o", "json")).path("status").path("virtualIPs")) {
            if (network.equals(vip.path("network").asText())) {
                return vip.path("address").asText();
            }
        }
        throw new AssertionError("no virtual IP of " + namespace + "/" + service + " on " + network);
    }

    /** A shell command in a pod's first container, with what it wrote to both streams; its failure is not one of kubectl exec. */
    private static String inPod(String namespace, String pod, String command) throws IOException {
        return kubectl("-n", namespace, "exec", pod, "--", "sh", "-c", command + " 2>&1; true");
    }

    /** A page fetched by busybox wget in a pod, or wget's complaint (each fetch bounded by timeout(1), as wget -T crashes here). */
    private static String fetch(String namespace, String pod, String url) throws IOException {
        return inPod(namespace, pod, "timeout 10 wget -q -O- " + url);
    }

    private static final java.util.regex.Pattern ANSWER = java.util.regex.Pattern.compile("(?m)^Address:\\s*(\\d+\\.\\d+\\.\\d+\\.\\d+)\\s*$");

    /**
     * The IPv4 addresses busybox nslookup in a pod answers for a name, written as the pod's shell reads it (the server's own
     * line, with its port, left out).
     */
    private static Set<String> resolved(String namespace, String pod, String name) throws IOException {
        Set<String> addresses = new java.util.TreeSet<>();
        java.util.regex.Matcher answer = ANSWER.matcher(inPod(namespace, pod, "nslookup " + name));
        while (answer.find()) {
            addresses.add(answer.group(1));
        }
        return addresses;
    }

    @Test
    @Order(21)
    void uninstallLeavesNothingOnTheNodes() throws Exception {
        step("helm uninstall", () -> {
            for (String node : List.of("node-1", "node-2")) {
                assertThat(cluster.onNode(node, "ip", "-o", "link").output()).as("links on %s before", node).contains("swn");
            }
            kubectl("delete", "-f", repo.examples().toString(), "--wait=true", "--timeout=180s");
            // the services are gone at once, their task pods only after their grace period; the agents
            // clean up after the last task on their node, and are not to be removed before that
            cluster.kubectl(Duration.ofMinutes(3), "wait", "--for=delete", "pod", "-l", "swarmnet.io/service", "--timeout=150s").output();
            long cleaning = System.nanoTime();
            awaitValue("no swn object left on either node", Duration.ofSeconds(30),
                    () -> agentObjects("node-1").isEmpty() && agentObjects("node-2").isEmpty() ? Optional.of(true) : Optional.empty());
            System.out.printf("the agents removed their kernel objects %.2f s after the last task pod was gone%n",
                    (System.nanoTime() - cleaning) / 1e9);
            cluster.helm(Duration.ofMinutes(4), "uninstall", "swarmnet", "--namespace", NAMESPACE, "--wait", "--timeout", "3m").output();
            for (String node : List.of("node-1", "node-2")) {
                assertThat(agentObjects(node)).as("the agent's kernel objects on %s after helm uninstall", node).isEmpty();
                if (SOCKET) {
                    // the tasks went first, so the agents stopped routing no VIP: each unpinned its balancer on its way
                    // out (pins stay only while they balance something), and nothing of it is left on the node
                    // (the agents' pods may still be stopping when helm returns)
                    awaitValue("no pin left on " + node + " after helm uninstall", Duration.ofSeconds(45), () -> {
                        String pins = cluster.onNode(node, "sh", "-c", "ls -A " + BPF_PINS + " 2>&1; true").output();
                        return pins.contains("swn_") ? Optional.empty() : Optional.of(pins);
                    });
                    if (EXPLICIT_SOCKET) {
                        cluster.onNode(node, "umount", BPF_FS).output();
                    }
                }
            }
        });
    }
}
