package io.swarmnet.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.swarmnet.operator.startup.StartupCheck;
import io.swarmnet.operator.startup.StartupRefused;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One operator replica: takes the coordination Lease (when leader election is on) and only then
 * starts {@link SwarmnetOperator}, so that the IPAM state is read from the cluster at the moment
 * this replica becomes the only one acting. (java-operator-sdk's built-in election starts event
 * processing itself, with no hook that runs first; a standby that had read the IPAM state at its
 * own start would act on stale numbers.) A replica that loses the Lease stops acting at once and
 * reports it through {@code onLostLeadership}; the process then exits and restarts as a standby.
 */
public final class OperatorProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorProcess.class);

    /** What the replica is doing, as /readyz and the logs say it. */
    public enum Phase { STARTING, STANDBY, LEADING, STOPPED, FAILED }

    /** Timings of the Lease; Kubernetes' usual controller-manager values by default. */
    public record LeaseTimings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        public static final LeaseTimings DEFAULT = new LeaseTimings(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final LeaseTimings timings;
    private final Runnable onLostLeadership;
    private final String identity;
    private final ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "swarmnet-leader-election");
        t.setDaemon(true);
        return t;
    });

    private volatile Phase phase = Phase.STARTING;
    private volatile SwarmnetOperator operator;
    private volatile String leader;
    private volatile CompletableFuture<?> election;

    public OperatorProcess(KubernetesClient client, OperatorConfig config, OperatorMetrics metrics, LeaseTimings timings,
                           Runnable onLostLeadership) {
        this.client = client;
        this.config = config;
        this.metrics = metrics;
        this.timings = timings;
        this.onLostLeadership = onLostLeadership;
        this.identity = defaultIdentity();
    }

    /**
     * Checks the cluster ({@link StartupCheck}: permissions, CRD revisions), then starts acting now (no leader
     * election) or as soon as the Lease is ours; returns at once in the latter case.
     *
     * @throws StartupRefused when the cluster lacks what the operator needs; nothing has been started then
     */
    public void start() {
        try {
            StartupCheck.verify(client, config);
        } catch (StartupRefused e) {
            phase = Phase.FAILED;
            throw e;
        }
        if (!config.leaderElection()) {
            lead();
            return;
        }
        phase = Phase.STANDBY;
        LOG.info("waiting for Lease {}/{} as {}", config.operatorNamespace(), config.leaseName(), identity);
        LeaderElector elector = new LeaderElector(client, new LeaderElectionConfigBuilder()
                .withName(config.leaseName())
                .withLock(new LeaseLock(config.operatorNamespace(), config.leaseName(), identity))
                .withLeaseDuration(timings.leaseDuration())
                .withRenewDeadline(timings.renewDeadline())
                .withRetryPeriod(timings.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::lead, this::lostLeadership, this::newLeader))
                .build(), callbacks);
        election = elector.start();
    }

    private void lead() {
        try {
            LOG.info("{} is the active operator; rebuilding IPAM state from the cluster", identity);
            operator = SwarmnetOperator.start(client, config, metrics);
            phase = Phase.LEADING;
        } catch (RuntimeException e) {
            phase = Phase.FAILED;
            LOG.error("operator failed to start: {}", e.getMessage(), e);
            onLostLeadership.run();
        }
    }

    private void lostLeadership() {
        if (phase == Phase.STOPPED) {
            return;
        }
        LOG.warn("{} lost Lease {}/{}; stopping so that only the new leader acts", identity, config.operatorNamespace(), config.leaseName());
        stopOperator();
        phase = Phase.STOPPED;
        onLostLeadership.run();
    }

    private void newLeader(String who) {
        leader = who;
        // null: the Lease was released (a leader shut down); the next holder is announced when it takes it
        if (who != null && !Objects.equals(who, identity)) {
            LOG.info("active operator is {}", who);
        }
    }

    public Phase phase() {
        return phase;
    }

    /** The running operator while this replica leads, else null. */
    public SwarmnetOperator operator() {
        return operator;
    }

    public String identity() {
        return identity;
    }

    /** Liveness: false only when something is broken that a restart may fix. */
    public boolean live() {
        SwarmnetOperator op = operator;
        return phase != Phase.FAILED && (phase != Phase.LEADING || op == null || op.healthy());
    }

    /** Readiness: leading with synced informers, or a healthy standby waiting for the Lease. */
    public boolean ready() {
        SwarmnetOperator op = operator;
        return (phase == Phase.LEADING && op != null && op.healthy()) || phase == Phase.STANDBY;
    }

    public String describe() {
        return "phase=" + phase + " identity=" + identity + (leader == null ? "" : " leader=" + leader);
    }

    private void stopOperator() {
        SwarmnetOperator op = operator;
        operator = null;
        if (op != null) {
            try {
                op.close();
            } catch (RuntimeException e) {
                LOG.warn("error while stopping the operator: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        phase = Phase.STOPPED;
        stopOperator();
        CompletableFuture<?> e = election;
        if (e != null) {
            // cancelling releases the Lease (releaseOnCancel), so a standby takes over without waiting for expiry
            e.cancel(true);
        }
        callbacks.shutdown();
    }

    private static String defaultIdentity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return InetAddress.getLocalHost().getHostName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        } catch (UnknownHostException e) {
            return "swarmnet-operator-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
