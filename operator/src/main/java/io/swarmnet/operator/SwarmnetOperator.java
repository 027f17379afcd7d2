package io.swarmnet.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.attach.AttachablePods;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.keys.KeyRotation;
import io.swarmnet.operator.ipam.NetworkAllocations;
import io.swarmnet.operator.ipam.NetworkPlanner;
import io.swarmnet.operator.ipam.SubnetAllocator;
import io.swarmnet.operator.network.ClusterRangeReader;
import io.swarmnet.operator.network.OverlayNetworkReconciler;
import io.swarmnet.operator.service.SwarmServiceReconciler;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running operator: rebuilds the network allocations from the cluster, registers and starts both
 * reconcilers, then loads the address ledger from their informers' caches (reconciles wait for it). Leader election
 * happens before this (see {@link OperatorMain}): whoever calls {@link #start} must be the only active operator, because
 * the IPAM state is read once here.
 */
public final class SwarmnetOperator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SwarmnetOperator.class);
    /** Even without events every network is looked at this often (node reports, address usage). */
    static final Duration RESYNC = Duration.ofSeconds(60);
    /** How often the key Secret is checked for a due rotation step. */
    static final Duration KEY_CHECK_PERIOD = Duration.ofSeconds(10);
    /** How long {@link #close} waits for Events said but not yet written. */
    static final Duration EVENTS_GRACE = Duration.ofSeconds(1);

    private final Operator operator;
    private final AddressLedger ledger;
    private final NetworkAllocations allocations;
    private final OperatorMetrics metrics;

    private final KeyRotation keys;
    private final AttachablePods attachable;
    private final ClusterEvents events;

    private SwarmnetOperator(Operator operator, AddressLedger ledger, NetworkAllocations allocations, OperatorMetrics metrics,
            KeyRotation keys, AttachablePods attachable, ClusterEvents events) {
        this.events = events;
        this.keys = keys;
        this.attachable = attachable;
        this.operator = operator;
        this.ledger = ledger;
        this.allocations = allocations;
        this.metrics = metrics;
    }

    /** Registers both reconcilers, starts, loads the ledger from the informers' caches; returns once informers are synced. */
    public static SwarmnetOperator start(KubernetesClient client, OperatorConfig config) {
        return start(client, config, new OperatorMetrics());
    }

    public static SwarmnetOperator start(KubernetesClient client, OperatorConfig config, OperatorMetrics metrics) {
        long begin = System.nanoTime();
        // loaded from the informers' caches once they have synced (below); until then every reconcile that asks it waits
        AddressLedger ledger = AddressLedger.loading();
        NetworkPlanner planner = new NetworkPlanner(new SubnetAllocator(config.addressPools(), config.poolSubnetSize(), config.excludedCidrs()),
                config.vxlanIdRange());
        List<OverlayNetwork> networks = config.watchNamespaces().isEmpty()
                ? KubernetesClients.listInPages(client.resources(OverlayNetwork.class).inAnyNamespace()::list)
                : config.watchNamespaces().stream()
                        .flatMap(ns -> KubernetesClients.listInPages(client.resources(OverlayNetwork.class).inNamespace(ns)::list).stream()).toList();
        NetworkAllocations allocations = NetworkAllocations.fromNetworks(planner, networks);
        metrics.watch(ledger);

        Operator operator = new Operator(o -> o.withKubernetesClient(client)
                // fabric8's mock API answers server-side apply with 415 and the operator would retry forever;
                // merge/JSON patches work on every API server.
                .withUseSSAToPatchPrimaryResource(false)
                .withCloseClientOnStop(false)
                .withConcurrentReconciliationThreads(config.reconcileThreads())
                .withMetrics(metrics));
        ClusterEvents events = new ClusterEvents(client);
        SwarmServiceReconciler services = new SwarmServiceReconciler(ledger, config, events);
        // the network reconciler reads the services from the service reconciler's cache, which tells it of their changes
        OverlayNetworkReconciler networkReconciler = new OverlayNetworkReconciler(allocations, ledger, config, events, metrics,
                Clock.systemUTC(), new ClusterRangeReader(client, Clock.systemUTC()), services::naming);
        services.tellNetworkUse(networkReconciler::servicesChanged);
        operator.register(networkReconciler, o -> {
            o.withReconciliationMaxInterval(RESYNC);
            if (!config.watchNamespaces().isEmpty()) {
                o.settingNamespaces(new HashSet<>(config.watchNamespaces()));
            }
        });
        operator.register(services, o -> {
            if (!config.watchNamespaces().isEmpty()) {
                o.settingNamespaces(new HashSet<>(config.watchNamespaces()));
            }
        });
        AttachablePods attachable = null;
        try {
            operator.start();
            attachable = new AttachablePods(client, ledger, events, config.watchNamespaces());
            attachable.start();
        } catch (RuntimeException e) {
            // the ledger will never be loaded: stop the reconciles that wait for it
            if (attachable != null) {
                attachable.close();
            }
            operator.stop();
            events.close(Duration.ZERO);
            throw e;
        }
        // every informer has listed what it watches: the ledger learns the addresses of tasks, VIPs and attached pods alike
        // from their caches (no list of its own) before any reconcile may allocate, so none is handed out twice; as every
        // address it learns has its owner in those caches, no network needs an orphan sweep before an interval has passed
        services.ledgerLoading();
        ledger.load(Stream.concat(services.cachedTaskPods(), attachable.cachedAttachedPods()), services.cachedServices());
        LOG.info("IPAM state rebuilt: {} networks allocated, {} addresses held", allocations.all().size(),
                ledger.usageByNetwork().values().stream().mapToInt(Integer::intValue).sum());
        KeyRotation keys = new KeyRotation(client, config.operatorNamespace(), config.keyRotationInterval(), KeyRotation.DEFAULT_SETTLE,
                Clock.systemUTC(), events);
        keys.start(KEY_CHECK_PERIOD);
        LOG.info("swarmnet operator started in {} ms", (System.nanoTime() - begin) / 1_000_000);
        return new SwarmnetOperator(operator, ledger, allocations, metrics, keys, attachable, events);
    }

    public AddressLedger ledger() {
        return ledger;
    }

    public NetworkAllocations networkAllocations() {
        return allocations;
    }

    public OperatorMetrics metrics() {
        return metrics;
    }

    public AttachablePods attachablePods() {
        return attachable;
    }

    /** True while every informer is connected and the operator runs: the liveness answer. */
    public boolean healthy() {
        return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    @Override
    public void close() {
        attachable.close();
        keys.close();
        operator.stop();
        // a stopped operator (or one that lost its lease) writes no more Events: at most a second for those said already
        events.close(EVENTS_GRACE);
    }
}
