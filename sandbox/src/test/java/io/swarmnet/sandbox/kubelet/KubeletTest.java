package io.swarmnet.sandbox.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.sandboxapi.SandboxApiServer;
import io.swarmnet.sandbox.scheduling.Scheduler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet and scheduler against an API server, with real namespaces and processes (needs root). */
@Tag("kernel")
class KubeletTest {

    private SandboxApiServer server;
    private KubernetesClient client;
    private TestNamespaces namespaces;
    private Scheduler scheduler;
    private Kubelet kubelet;
    private TaskRecords records;
    @TempDir
    Path state;

    @BeforeEach
    void start() {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root to create network namespaces");
        server = SandboxApiServer.start();
        client = server.client();
        for (String node : List.of("node-1", "node-2")) {
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
                    .addToLabels("kubernetes.io/hostname", node).endMetadata().build()).create();
        }
        namespaces = new TestNamespaces("kt" + Long.toString(ProcessHandle.current().pid() % 1000, 36));
        records = new TaskRecords(state.resolve("tasks"));
        scheduler = new Scheduler(client, Clock.systemUTC()).start();
        kubelet = new Kubelet(client, Map.of("node-1", "192.0.2.11", "node-2", "192.0.2.12"), namespaces, records,
                state.resolve("containers"), Clock.systemUTC()).start();
    }

    @AfterEach
    void stop() {
        if (kubelet != null) {
            kubelet.close();
        }
        if (scheduler != null) {
            scheduler.close();
        }
        if (namespaces != null) {
            namespaces.removeLeftovers();
        }
        if (server != null) {
            server.close();
        }
    }

    private static Pod pod(String name, String... command) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
                .addToLabels("swarmnet.io/service", "svc").addToLabels("swarmnet.io/slot", name.substring(name.length() - 1))
                .addToAnnotations("swarmnet.io/addresses", "{\"net\":\"10.0.9.7\"}").endMetadata()
                .withNewSpec().addNewContainer().withName("main").withImage("busybox").withCommand(command)
                .addNewEnv().withName("GREETING").withValue("hello").endEnv().endContainer()
                .addNewReadinessGate().withConditionType("swarmnet.io/attached").endReadinessGate()
                .withNewDnsConfig().withNameservers("127.0.0.11").withSearches("default.svc.cluster.local").endDnsConfig()
                .withDnsPolicy("None").endSpec().build();
    }

    private Pod await(String name, Predicate<Pod> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Pod pod = null;
        while (System.nanoTime() < deadline) {
            pod = client.pods().inNamespace("default").withName(name).get();
            if (pod != null && condition.test(pod)) {
                return pod;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("pod " + name + " did not reach the expected state; last seen: " + pod);
    }

    private static String condition(Pod pod, String type) {
        return pod.getStatus() == null || pod.getStatus().getConditions() == null ? "absent"
                : pod.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).map(PodCondition::getStatus)
                .findFirst().orElse("absent");
    }

    @Test
    void runsABoundPodsCommandInItsOwnNamespaceAndIsReadyOnceAttached() throws Exception {
        client.pods().resource(pod("svc-1", "sleep", "300")).create();
        Pod running = await("svc-1", p -> "Running".equals(p.getStatus() == null ? null : p.getStatus().getPhase()));
        assertThat(running.getSpec().getNodeName()).isIn("node-1", "node-2");
        assertThat(running.getStatus().getPodIP()).isEqualTo("10.0.9.7");
        assertThat(condition(running, "Ready")).as("the readiness gate is not yet True").isEqualTo("False");

        TaskRecord record = TaskRecords.find("svc.1", records.all());
        assertThat(record.pod()).isEqualTo("svc-1");
        assertThat(namespaces.existing()).contains(record.netns());
        String pids = HostPrograms.run(List.of(HostPrograms.IP, "netns", "pids", record.netns())).output().trim();
        assertThat(pids).isNotEmpty();
        String environ = new String(Files.readAllBytes(Path.of("/proc", pids.split("\\s+")[0], "environ")), StandardCharsets.UTF_8);
        assertThat(environ.split("\0")).contains("HOSTNAME=svc-1", "GREETING=hello");
        assertThat(Files.readString(Path.of("/etc/netns", record.netns(), "resolv.conf")))
                .contains("nameserver 127.0.0.11\n").contains("search default.svc.cluster.local")
                .as("dnsPolicy None: only the pod's nameserver").containsOnlyOnce("nameserver");
        String hostname = HostPrograms.run(List.of(HostPrograms.NSENTER, "--uts=/proc/" + pids.split("\\s+")[0] + "/ns/uts", "hostname")).output().trim();
        assertThat(hostname).isEqualTo("svc-1");

        // what the node agent does once the pod is attached
        Pod attached = client.pods().inNamespace("default").withName("svc-1").get();
        List<PodCondition> conditions = new ArrayList<>(attached.getStatus().getConditions());
        conditions.add(new PodConditionBuilder().withType("swarmnet.io/attached").withStatus("True").build());
        attached.getStatus().setConditions(conditions);
        client.pods().inNamespace("default").resource(attached).updateStatus();
        await("svc-1", p -> condition(p, "Ready").equals("True") && condition(p, "swarmnet.io/attached").equals("True"));

        client.pods().inNamespace("default").withName("svc-1").delete();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && namespaces.existing().contains(record.netns())) {
            Thread.sleep(100);
        }
        assertThat(namespaces.existing()).doesNotContain(record.netns());
        assertThat(Path.of("/proc", pids.split("\\s+")[0])).doesNotExist();
        assertThat(Path.of("/etc/netns", record.netns())).doesNotExist();
        assertThat(records.all()).isEmpty();
    }

    @Test
    void restartsAFailingContainerWithBackOffAndReportsTheLastExit() throws Exception {
        client.pods().resource(pod("svc-2", "sh", "-c", "exit 3")).create();
        Pod restarted = await("svc-2", p -> p.getStatus() != null && p.getStatus().getContainerStatuses() != null
                && !p.getStatus().getContainerStatuses().isEmpty() && p.getStatus().getContainerStatuses().get(0).getRestartCount() >= 2
                && p.getStatus().getContainerStatuses().get(0).getState().getWaiting() != null);
        assertThat(restarted.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("CrashLoopBackOff");
        assertThat(restarted.getStatus().getContainerStatuses().get(0).getLastState().getTerminated().getExitCode()).isEqualTo(3);
        assertThat(condition(restarted, "ContainersReady")).isEqualTo("False");
    }

    @Test
    void saysWhyAContainerWithoutCommandCannotRun() throws Exception {
        Pod imageOnly = pod("svc-3");
        imageOnly.getSpec().getContainers().get(0).setCommand(List.of());
        client.pods().resource(imageOnly).create();
        Pod waiting = await("svc-3", p -> p.getStatus() != null && p.getStatus().getContainerStatuses() != null
                && !p.getStatus().getContainerStatuses().isEmpty());
        assertThat(waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("RunContainerError");
        assertThat(waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getMessage()).contains("has no command");
    }

    @Test
    void spreadsTasksAndLeavesUnplaceablePodsPendingWithTheReason() throws Exception {
        client.pods().resource(pod("svc-4", "sleep", "300")).create();
        client.pods().resource(pod("svc-5", "sleep", "300")).create();
        Pod first = await("svc-4", p -> p.getSpec().getNodeName() != null);
        Pod second = await("svc-5", p -> p.getSpec().getNodeName() != null);
        assertThat(first.getSpec().getNodeName()).isNotEqualTo(second.getSpec().getNodeName());

        Pod picky = pod("svc-6", "sleep", "300");
        picky.getSpec().setNodeSelector(Map.of("disk", "ssd"));
        client.pods().resource(picky).create();
        Pod pending = await("svc-6", p -> condition(p, "PodScheduled").equals("False"));
        assertThat(pending.getStatus().getConditions()).filteredOn(c -> c.getType().equals("PodScheduled")).singleElement()
                .satisfies(c -> assertThat(c.getMessage()).isEqualTo(
                        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."));
    }
}
