package io.swarmnet.agent.simulation;

import static io.swarmnet.agent.ClusterObjects.address;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.service.AttachWait;
import io.swarmnet.operator.service.TaskPod;
import io.swarmnet.operator.service.TaskSlot;
import io.swarmnet.operator.service.TemplateHash;
import io.swarmnet.operator.service.template.TemplateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A cluster of many services in the embedded API as the operator and the kubelets leave it, for the agent's benchmarks:
 * Nodes, one allocated OverlayNetwork {@code net} (10.0.0.0/16), services {@code svc-S} with a VIP on it and the
 * template of examples/my-web.yaml, and each service's task pods as the operator creates them (the wait-attached init
 * container, readiness gate, DNS settings, the address annotation) with a running status as a kubelet writes it.
 * Addresses are numbered in order: a service's VIP, then its tasks' addresses.
 */
public final class OperatorShapedTasks {

    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final String IMAGE = "swarmnet/swarmnet:0.1.0";

    /** A Node of the cluster: its name and InternalIP. */
    public record Node(String name, String internalIp) {
    }

    /** Where task {@code task} (0-based) of service {@code service} runs: an index into the nodes. */
    @FunctionalInterface
    public interface Placement {
        int node(int service, int task);
    }

    /** One task pod as written: its pod (with the UID the API server gave it), service, node and overlay address. */
    public record Task(Pod pod, String service, Node node, IpAddress address) {
        public String name() {
            return pod.getMetadata().getName();
        }
    }

    /** What was written: each service's VIP on {@code net}, and the tasks in service order. */
    public record Written(Map<String, IpAddress> vips, List<Task> tasks, long millis) {
    }

    private OperatorShapedTasks() {
    }

    /** Writes the nodes, the network, {@code services} services and {@code tasks} tasks of each (8 writers in parallel). */
    public static Written write(KubernetesClient client, List<Node> nodes, int services, int tasks, Placement placement)
            throws IOException, InterruptedException, ExecutionException, TemplateException {
        long start = System.nanoTime();
        for (Node node : nodes) {
            client.resource(ClusterObjects.node(node.name(), node.internalIp())).create();
        }
        // a /16 holds 1,000 services of 10 tasks; more need a larger subnet
        String subnet = services * (tasks + 1L) + 2 < 65_000 ? "10.0.0.0/16" : "10.0.0.0/12";
        ClusterObjects.createWithStatus(client, ClusterObjects.network("net").allocated(subnet, "10.0.0.1", 4097).build());
        SwarmService example = Serialization.unmarshal(Files.readString(REPOSITORY.resolve("examples/my-web.yaml")), SwarmService.class);
        AttachWait attachWait = new AttachWait(IMAGE, "IfNotPresent", AttachWait.DEFAULT_TIMEOUT);
        ExecutorService writers = Executors.newFixedThreadPool(8);
        Map<String, IpAddress> vips = new LinkedHashMap<>();
        List<Future<Task>> writes = new ArrayList<>();
        try {
            int next = 2;
            for (int s = 0; s < services; s++) {
                String vip = address(next++);
                SwarmService built = ClusterObjects.service("svc-" + s).network("net").vip("net", vip).build();
                built.getSpec().setTemplate(example.getSpec().getTemplate());
                built.getSpec().setReplicas(tasks);
                SwarmService service = ClusterObjects.createWithStatus(client, built);
                vips.put(service.getMetadata().getName(), IpAddress.parse(vip));
                String hash = TemplateHash.of(service.getSpec().getTemplate(), List.of("net"));
                for (int t = 0; t < tasks; t++) {
                    String podName = "svc-" + s + "-" + (t + 1);
                    Node node = nodes.get(placement.node(s, t));
                    IpAddress address = IpAddress.parse(address(next++));
                    Pod pod = TaskPod.desired(service, TaskSlot.replicated(t + 1), null, podName, hash,
                            new TaskAddresses(Map.of("net", address)), "cluster.local", attachWait);
                    pod.getSpec().setNodeName(node.name());
                    pod.setStatus(kubeletStatus(podName, node.internalIp()));
                    String serviceName = service.getMetadata().getName();
                    writes.add(writers.submit(() -> new Task(ClusterObjects.createPod(client, pod), serviceName, node, address)));
                }
            }
            List<Task> written = new ArrayList<>();
            for (Future<Task> write : writes) {
                written.add(write.get());
            }
            return new Written(vips, written, (System.nanoTime() - start) / 1_000_000);
        } finally {
            writers.shutdownNow();
        }
    }

    /**
     * Writes a task's readiness as its kubelet does when a readiness probe flips: one status patch of the Ready and
     * ContainersReady conditions, merged on their type (so no conflict with the agent's own condition writes).
     */
    public static void reportReadiness(KubernetesClient client, String pod, boolean ready) {
        String status = ready ? "True" : "False";
        String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        client.pods().inNamespace(ClusterObjects.NS).withName(pod).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"status\":{\"conditions\":[{\"type\":\"ContainersReady\",\"status\":\"" + status + "\",\"lastTransitionTime\":\"" + now
                        + "\"},{\"type\":\"Ready\",\"status\":\"" + status + "\",\"lastTransitionTime\":\"" + now + "\"}]}}");
    }

    /** The status a kubelet writes for a running task: phase, conditions, addresses, both containers' states. */
    private static PodStatus kubeletStatus(String podName, String hostIp) {
        PodStatus status = ClusterObjects.task(podName, "unused").ready().build().getStatus();
        String podIp = "172.16." + (Math.abs(podName.hashCode()) % 250) + "." + (1 + Math.abs(podName.hashCode() / 250) % 250);
        status.setHostIP(hostIp);
        status.setPodIP(podIp);
        status.setPodIPs(List.of(new PodIP(podIp)));
        status.setQosClass("BestEffort");
        status.setStartTime("2026-12-05T10:00:00Z");
        status.setInitContainerStatuses(List.of(container(AttachWait.CONTAINER_NAME, IMAGE, false)));
        status.setContainerStatuses(List.of(container("nginx", "docker.io/library/nginx:1.27", true)));
        return status;
    }

    private static ContainerStatus container(String name, String image, boolean running) {
        ContainerStatusBuilder b = new ContainerStatusBuilder().withName(name).withImage(image)
                .withImageID(image + "@sha256:" + "0123456789abcdef".repeat(4))
                .withContainerID("containerd://" + "fedcba9876543210".repeat(4)).withRestartCount(0).withReady(running)
                .withStarted(running);
        if (running) {
            b.withNewState().withNewRunning().withStartedAt("2026-12-05T10:00:02Z").endRunning().endState();
        } else {
            b.withNewState().withNewTerminated().withExitCode(0).withReason("Completed").withStartedAt("2026-12-05T10:00:00Z")
                    .withFinishedAt("2026-12-05T10:00:01Z").withContainerID("containerd://" + "0123456789abcdef".repeat(4))
                    .endTerminated().endState();
        }
        return b.build();
    }
}
