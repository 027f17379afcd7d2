package io.swarmnet.agent;

import io.swarmnet.agent.cluster.ClusterPublisher;
import io.swarmnet.agent.cluster.ClusterWatch;
import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.dns.NodeDns;
import io.swarmnet.agent.encryption.EncryptionDatapath;
import io.swarmnet.agent.encryption.EncryptionPlan;
import io.swarmnet.agent.encryption.NodeEncryption;
import io.swarmnet.agent.datapath.Datapath;
import io.swarmnet.agent.desired.DesiredDatapath;
import io.swarmnet.agent.desired.DesiredState;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one reconcile thread, a round at a time: observe → compute → apply → publish. When rounds run is the
 * {@link RoundRunner}'s: cluster changes mark the state dirty; one that finds the loop idle starts a round at once,
 * and those arriving during a round or within {@link AgentConfig#debounce()} after it are coalesced into one round
 * when that window ends; a round whose datapath report or publishing has failures is retried with
 * exponential backoff; every {@link AgentConfig#resync()} the datapath is re-applied even when nothing changed, to
 * repair drift. No round runs before every informer has synced.
 */
final class ReconcileLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private final AgentConfig config;
    private final ClusterWatch watch;
    private final Datapath datapath;
    private final ClusterPublisher publisher;
    /** Null when this agent does not encrypt (see {@link AgentConfig#encryption()}). */
    private final NodeEncryption encryption;
    /** Null when this agent runs no resolver (see {@link AgentConfig#dns()}). */
    private final NodeDns dns;
    private final RoundRunner runner;

    private volatile AgentStatus status = new AgentStatus(false, 0, 0, Optional.empty(), Optional.empty(), List.of());
    /** System.nanoTime() when the running round started, or 0 when idle; for the liveness check. */
    private volatile long roundStartedNanos;

    // what the last rounds did: the reconcile thread's only
    private NodeDatapath lastApplied;
    private ApplyReport lastReport;
    private EncryptionPlan lastPlan;
    private EncryptionDatapath.Report lastEncryption = new EncryptionDatapath.Report(Map.of(), Map.of());
    private long rounds;
    private long applies;

    ReconcileLoop(AgentConfig config, ClusterWatch watch, Datapath datapath, ClusterPublisher publisher, NodeEncryption encryption,
            NodeDns dns) {
        this.encryption = encryption;
        this.dns = dns;
        this.config = config;
        this.watch = watch;
        this.datapath = datapath;
        this.publisher = publisher;
        this.runner = new RoundRunner(config.node().nodeName(), config.debounce(), config.resync(), config.minBackoff(),
                config.maxBackoff(), RoundRunner.Time.SYSTEM);
    }

    void markDirty() {
        runner.markDirty();
    }

    void stop() {
        runner.stop();
    }

    AgentStatus status() {
        return status;
    }

    /** How long the current round has been running, or zero when the loop is waiting. */
    Duration busyFor() {
        long started = roundStartedNanos;
        return started == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - started);
    }

    @Override
    public void run() {
        try {
            runner.run(watch::synced, this::round);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private RoundRunner.Result round(boolean resyncDue) {
        roundStartedNanos = System.nanoTime();
        boolean failed;
        boolean resynced = false;
        DesiredState state;
        try {
            long t0 = System.nanoTime();
            long cpu0 = CPU.isCurrentThreadCpuTimeSupported() ? CPU.getCurrentThreadCpuTime() : 0;
            ClusterSnapshot snapshot = watch.snapshot();
            long t1 = System.nanoTime();
            state = DesiredDatapath.compute(snapshot, config.node(), lastApplied);
            long t2 = System.nanoTime();
            long cpu2 = CPU.isCurrentThreadCpuTimeSupported() ? CPU.getCurrentThreadCpuTime() : 0;
            long applyNanos = 0;
            // encryption first and cleanup last: no VXLAN of an encrypted network can leave before its policies exist
            EncryptionPlan plan = encryption == null ? null : encryption.plan(state.datapath());
            boolean keysChanged = plan != null && !plan.equals(lastPlan);
            boolean lastFailed = lastReport != null && hasFailures(lastReport);
            if (lastApplied == null || lastFailed || resyncDue || keysChanged || !state.datapath().equals(lastApplied)) {
                if (dns != null && lastReport != null) {
                    // names first: a task that stopped being ready leaves every resolver now, not after the
                    // kernel programming below (which took 1-2 s on a loaded machine, against DNS's 1 s budget).
                    // Pods the last apply did not attach get no resolver yet; the update after the apply adds them.
                    dns.update(snapshot, state.datapath(), lastReport);
                }
                if (plan != null) {
                    lastEncryption = encryption.prepare(plan);
                }
                long applyStart = System.nanoTime();
                lastReport = apply(state.datapath());
                applyNanos = System.nanoTime() - applyStart;
                if (plan != null) {
                    encryption.finish(plan);
                    lastPlan = plan;
                }
                lastApplied = state.datapath();
                applies++;
            }
            // a pod whose resolver could not be set up is not attached (its tasks would start without DNS); it
            // is retried with backoff, and its attached condition says why meanwhile
            Map<PodRef, String> resolverFailures = dns == null ? Map.of() : dns.update(snapshot, state.datapath(), lastReport);
            if (resyncDue) {
                publisher.forgetWrites();
                resynced = true;
            }
            boolean published = publisher.publish(state, lastReport.withPodFailures(resolverFailures), lastEncryption);
            failed = hasFailures(lastReport) || !published || !resolverFailures.isEmpty();
            if (LOG.isDebugEnabled()) {
                // CPU time tells the work apart from waiting for a core on a busy machine
                LOG.debug("node {} round {}: snapshot {} ms, compute {} ms (together {} ms CPU), apply {} ms, total {} ms "
                        + "({} pods, {} networks)", config.node().nodeName(), rounds + 1, (t1 - t0) / 1_000_000,
                        (t2 - t1) / 1_000_000, (cpu2 - cpu0) / 1_000_000,
                        applyNanos / 1_000_000, (System.nanoTime() - t0) / 1_000_000, state.datapath().pods().size(),
                        state.datapath().networks().size());
            }
        } catch (RuntimeException e) {
            // a bug, not a cluster or kernel condition (those are reported, never thrown): keep the loop alive
            LOG.error("reconcile round on node {} failed; retrying", config.node().nodeName(), e);
            state = null;
            failed = true;
        } finally {
            roundStartedNanos = 0;
        }
        rounds++;
        status = new AgentStatus(true, rounds, applies, Optional.ofNullable(lastApplied), Optional.ofNullable(lastReport),
                state == null ? status.problems() : state.problems());
        return new RoundRunner.Result(failed, resynced);
    }

    /** Applies; a datapath that throws (it should report instead) fails every pod with the exception's message. */
    private ApplyReport apply(NodeDatapath desired) {
        try {
            return datapath.apply(desired);
        } catch (RuntimeException e) {
            LOG.error("datapath of node {} threw instead of reporting", config.node().nodeName(), e);
            Map<PodRef, String> failures = new HashMap<>();
            for (PodDatapath pod : desired.pods()) {
                failures.put(pod.pod(), "the node agent's datapath failed: " + e);
            }
            return new ApplyReport(Set.of(), Map.of(), failures, 0);
        }
    }

    private static boolean hasFailures(ApplyReport report) {
        return !report.podFailures().isEmpty() || !report.networkFailures().isEmpty();
    }
}
