package io.swarmnet.sandbox.kubelet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.swarmnet.agent.desired.PodRef;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod on a simulated node: its network namespace and its containers' processes, restarted per the
 * pod's restartPolicy with back-off. Not thread-safe: the kubelet drives it from its one thread.
 */
final class PodRun {

    private static final Logger LOG = LoggerFactory.getLogger(PodRun.class);
    private static final Duration MAX_GRACE = Duration.ofSeconds(5);

    private final PodRef ref;
    private final String node;
    private final String netns;
    private final RestartPolicy restartPolicy;
    private final Duration grace;
    private final List<Slot> slots = new ArrayList<>();
    private final Path logsDir;

    /** One container: its launch (or why it cannot launch), its current process and its restart history. */
    private static final class Slot {
        final String name;
        final ContainerLaunch launch;
        final String launchError;
        ContainerProcess process;
        ContainerState state;
        int restarts;
        int backoffLevel;
        Instant nextStart = Instant.MIN;

        Slot(String name, ContainerLaunch launch, String launchError) {
            this.name = name;
            this.launch = launch;
            this.launchError = launchError;
            this.state = launchError == null ? ContainerState.creating(name)
                    : new ContainerState(name, ContainerState.Phase.Waiting, "RunContainerError", launchError, null, null, null, 0, null);
        }
    }

    private PodRun(PodRef ref, String node, String netns, RestartPolicy restartPolicy, Duration grace, Path logsDir) {
        this.ref = ref;
        this.node = node;
        this.netns = netns;
        this.restartPolicy = restartPolicy;
        this.grace = grace;
        this.logsDir = logsDir;
    }

    static PodRun create(Pod pod, String node, PodNetworkNamespaces namespaces, String hostIp, String podIp, Path logsDir,
                         String hostResolvConf) {
        PodRef ref = new PodRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid());
        String netns = namespaces.create(ref, node);
        applySysctls(pod, netns);
        NetnsFiles.write(netns, Map.of("resolv.conf", PodFiles.resolvConf(pod, hostResolvConf), "hosts", PodFiles.hosts(pod, podIp)));
        long graceSeconds = pod.getSpec().getTerminationGracePeriodSeconds() == null ? 30 : pod.getSpec().getTerminationGracePeriodSeconds();
        Duration grace = Duration.ofSeconds(Math.min(Math.max(graceSeconds, 0), MAX_GRACE.toSeconds()));
        PodRun run = new PodRun(ref, node, netns, RestartPolicy.of(pod.getSpec().getRestartPolicy()), grace, logsDir);
        for (Container container : pod.getSpec().getContainers()) {
            try {
                run.slots.add(new Slot(container.getName(), ContainerLaunch.of(pod, container, podIp, hostIp), null));
            } catch (IllegalArgumentException e) {
                run.slots.add(new Slot(container.getName(), null, e.getMessage()));
            }
        }
        return run;
    }

    /** Pod sysctls in the net.* family are per network namespace, so the sandbox can honour them as a node would. */
    private static void applySysctls(Pod pod, String netns) {
        if (pod.getSpec().getSecurityContext() == null || pod.getSpec().getSecurityContext().getSysctls() == null) {
            return;
        }
        for (Sysctl sysctl : pod.getSpec().getSecurityContext().getSysctls()) {
            if (!sysctl.getName().startsWith("net.")) {
                LOG.warn("pod {}: sysctl {} is not per network namespace; the sandbox ignores it", pod.getMetadata().getName(), sysctl.getName());
                continue;
            }
            HostPrograms.Result result = HostPrograms.run(List.of(HostPrograms.IP, "netns", "exec", netns,
                    "sysctl", "-qw", sysctl.getName() + "=" + sysctl.getValue()));
            if (!result.ok()) {
                LOG.warn("pod {}: sysctl {}={} failed: {}", pod.getMetadata().getName(), sysctl.getName(), sysctl.getValue(), result.output().trim());
            }
        }
    }

    PodRef ref() {
        return ref;
    }

    String node() {
        return node;
    }

    String netns() {
        return netns;
    }

    String uid() {
        return ref.uid();
    }

    /** The first container's launch and process, for the task record. */
    ContainerLaunch firstLaunch() {
        return slots.isEmpty() ? null : slots.get(0).launch;
    }

    long firstPid() {
        return slots.isEmpty() || slots.get(0).process == null || !slots.get(0).process.alive() ? 0 : slots.get(0).process.pid();
    }

    /** Starts containers that are due, notices ended ones and decides their restart. Returns true when something changed. */
    boolean step(Instant now, Runnable onExit) {
        boolean changed = false;
        for (Slot slot : slots) {
            if (slot.launchError != null) {
                continue;
            }
            if (slot.process != null && !slot.process.alive()) {
                changed = true;
                int exit = slot.process.exitCode();
                Instant started = slot.process.startedAt();
                slot.process = null;
                ContainerState.Termination end = new ContainerState.Termination(exit, ContainerState.terminationReason(exit), started, now);
                if (Duration.between(started, now).compareTo(RestartPolicy.RESET_AFTER) > 0) {
                    slot.backoffLevel = 0;
                }
                if (restartPolicy.restarts(exit)) {
                    Duration delay = RestartPolicy.backoff(slot.backoffLevel++);
                    slot.nextStart = now.plus(delay);
                    slot.state = new ContainerState(slot.name, ContainerState.Phase.Waiting, "CrashLoopBackOff",
                            "back-off " + delay.toSeconds() + "s restarting failed container=" + slot.name + " pod=" + ref.name(),
                            null, null, null, slot.restarts, end);
                } else {
                    slot.nextStart = Instant.MAX;
                    slot.state = new ContainerState(slot.name, ContainerState.Phase.Terminated, end.reason(), null, started, now, exit,
                            slot.restarts, slot.state.lastTermination());
                }
            }
            if (slot.process == null && slot.state.phase() == ContainerState.Phase.Waiting && !now.isBefore(slot.nextStart)) {
                changed = true;
                boolean restart = slot.state.lastTermination() != null;
                if (restart) {
                    slot.restarts++;
                }
                try {
                    slot.process = ContainerProcess.start(netns, ref.name(), slot.launch,
                            logsDir.resolve(ref.namespace() + "_" + ref.name() + "_" + slot.name + ".log"), now);
                    slot.process.process().onExit().thenRun(onExit);
                    slot.state = new ContainerState(slot.name, ContainerState.Phase.Running, null, null, now, null, null,
                            slot.restarts, slot.state.lastTermination());
                } catch (IOException e) {
                    slot.nextStart = now.plus(RestartPolicy.backoff(slot.backoffLevel++));
                    slot.state = new ContainerState(slot.name, ContainerState.Phase.Waiting, "RunContainerError",
                            "cannot start the container's process: " + e.getMessage(), null, null, null, slot.restarts,
                            slot.state.lastTermination());
                }
            }
        }
        return changed;
    }

    List<ContainerState> states() {
        return slots.stream().map(s -> s.state).toList();
    }

    /** Stops every container (SIGTERM to each process group, SIGKILL after the grace period) and whatever else still runs in the namespace. */
    void stopProcesses() {
        // a thread per container rather than a parallel stream: stopping blocks for up to the grace period, and the common
        // pool's few threads also carry the API clients' responses in this JVM
        List<CompletableFuture<Void>> stopping = slots.stream().map(s -> s.process).filter(Objects::nonNull)
                .map(process -> CompletableFuture.runAsync(() -> process.stop(grace), task -> {
                    Thread thread = new Thread(task, "swarmnet-sandbox-stop");
                    thread.setDaemon(true);
                    thread.start();
                })).toList();
        // join waits out an interrupt and keeps it; a container that could not be stopped costs only itself
        stopping.forEach(stop -> stop.exceptionally(e -> {
            LOG.warn("pod {}: stopping a container failed: {}", ref, e.toString());
            return null;
        }).join());
        NetnsFiles.killRemaining(netns);
    }
}
