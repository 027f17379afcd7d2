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
 * The agent's one reconcile thread: observe → compute → apply → publish. Cluster changes mark the state dirty;
 * a burst of changes is coalesced for {@link AgentConfig#debounce()} and then handled by one round. A round whose
 * datapath report or publishing has failures is retried with exponential backoff; every
 * {@link AgentConfig#resync()} the datapath is re-applied even when nothing changed, to repair drift.
 * Nothing is applied before every informer has synced: an unsynced cache looks like an empty cluster and
 * would tear the node's datapath down.
 */
final class ReconcileLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    /** Poll interval while the informers have not synced yet (an empty cluster sends no event once synced). */
    private static final long SYNC_POLL_NANOS = Duration.ofMillis(20).toNanos();

    private final AgentConfig config;
    private final ClusterWatch watch;
    private final Datapath datapath;
    private final ClusterPublisher publisher;
    /** Null when this agent does not encrypt (see {@link AgentConfig#encryption()}). */
    private final NodeEncryption encryption;
    /** Null when this agent runs no resolver (see {@link AgentConfig#dns()}). */
    private final NodeDns dns;
    private final Object lock = new Object();
    private boolean dirty = true;
    private volatile boolean stopped;

    private volatile AgentStatus status = new AgentStatus(false, 0, 0, Optional.empty(), Optional.empty(), List.of());
    /** System.nanoTime() when the running round started, or 0 when idle; for the liveness check. */
    private volatile long roundStartedNanos;

    ReconcileLoop(AgentConfig config, ClusterWatch watch, Datapath datapath, ClusterPublisher publisher, NodeEncryption encryption,
            NodeDns dns) {
        this.encryption = encryption;
        this.dns = dns;
        this.config = config;
        this.watch = watch;
        this.datapath = datapath;
        this.publisher = publisher;
    }

    void markDirty() {
        synchronized (lock) {
            dirty = true;
            lock.notifyAll();
        }
    }

    void stop() {
        stopped = true;
        markDirty();
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
        long backoffNanos = config.minBackoff().toNanos();
        long retryAt = Long.MAX_VALUE;
        long resyncAt = System.nanoTime() + config.resync().toNanos();
        NodeDatapath lastApplied = null;
        ApplyReport lastReport = null;
        EncryptionPlan lastPlan = null;
        EncryptionDatapath.Report lastEncryption = new EncryptionDatapath.Report(Map.of(), Map.of());
        long rounds = 0;
        long applies = 0;
        try {
            while (!stopped) {
                boolean wasDirty;
                synchronized (lock) {
                    while (!dirty && !stopped) {
                        long now = System.nanoTime();
                        long wakeAt = Math.min(retryAt, resyncAt);
                        if (now - wakeAt >= 0) {
                            break;
                        }
                        long waitNanos = wakeAt - now;
                        lock.wait(Math.max(1, waitNanos / 1_000_000), 0);
                    }
                    wasDirty = dirty;
                }
                if (stopped) {
                    break;
                }
                if (wasDirty && !config.debounce().isZero()) {
                    Thread.sleep(config.debounce().toMillis()); // let the rest of a burst arrive: one round for all of it
                }
                synchronized (lock) {
                    dirty = false;
                }
                if (!watch.synced()) {
                    retryAt = System.nanoTime() + SYNC_POLL_NANOS;
                    continue;
                }
                roundStartedNanos = System.nanoTime();
                boolean resyncDue = System.nanoTime() - resyncAt >= 0;
                boolean failed;
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
                        resyncAt = System.nanoTime() + config.resync().toNanos();
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
                if (failed) {
                    retryAt = System.nanoTime() + backoffNanos;
                    LOG.debug("node {}: retrying in {} ms", config.node().nodeName(), backoffNanos / 1_000_000);
                    backoffNanos = Math.min(backoffNanos * 2, config.maxBackoff().toNanos());
                } else {
                    retryAt = Long.MAX_VALUE;
                    backoffNanos = config.minBackoff().toNanos();
                }
                status = new AgentStatus(true, rounds, applies, Optional.ofNullable(lastApplied), Optional.ofNullable(lastReport),
                        state == null ? status.problems() : state.problems());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
