package io.swarmnet.operator.network;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.OperatorMetrics;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.ClusterRanges;
import io.swarmnet.operator.ipam.NetworkAllocations;
import io.swarmnet.operator.ipam.NetworkDecision;
import io.swarmnet.operator.ipam.NetworkRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles OverlayNetworks: allocates subnet, gateway and VXLAN id (through
 * {@link NetworkAllocations}, which serializes the decisions), reports them with Ready, Degraded and
 * Encrypted conditions, aggregates what the node agents report, and holds deletion with the
 * {@code swarmnet.io/network-in-use} finalizer while SwarmServices still attach to the network. A network shared with other
 * namespaces ({@code spec.shareWith}) also gets a {@code Shared} condition ({@link SharingStatus}), and counts the services and
 * pods of those namespaces among its users.
 */
@ControllerConfiguration(name = OverlayNetworkReconciler.NAME, finalizerName = SwarmnetKeys.FINALIZER_NETWORK,
        informer = @Informer(informerListLimit = KubernetesClients.LIST_PAGE))
public final class OverlayNetworkReconciler implements Reconciler<OverlayNetwork>, Cleaner<OverlayNetwork> {

    public static final String NAME = "overlaynetwork";
    private static final Logger LOG = LoggerFactory.getLogger(OverlayNetworkReconciler.class);
    /** A refused network is looked at again this often: what it collided with may have gone away. */
    static final long REJECTED_RETRY_SECONDS = 10;
    /** Deletion of a network in use is re-checked this often (besides on every service change). */
    static final long IN_USE_RETRY_SECONDS = 5;
    /** A network about to get a subnet reads the cluster's ranges afresh: a range that just appeared is avoided. */
    static final Duration RANGES_FRESH_FOR_ALLOCATION = Duration.ZERO;
    /** Otherwise the ranges are read again this often, to notice a range that appeared over an allocated network. */
    static final Duration RANGES_FRESH_FOR_STATUS = Duration.ofSeconds(30);

    private final NetworkAllocations allocations;
    private final AddressLedger ledger;
    private final OperatorConfig config;
    private final ClusterEvents events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final ClusterRangeReader clusterRanges;

    private volatile InformerEventSource<Node, OverlayNetwork> nodes;
    /** The services naming a network, from the service reconciler's cache ({@code SwarmServiceReconciler#naming}). */
    private final Function<NetworkReference, Stream<SwarmService>> servicesNaming;
    /** Wakes the networks a service names or named: {@link #servicesChanged}. */
    private final SimpleInboundEventSource<OverlayNetwork> serviceChanges = new SimpleInboundEventSource<>("swarmservices");
    private volatile InformerEventSource<Namespace, OverlayNetwork> namespaces;

    public OverlayNetworkReconciler(NetworkAllocations allocations, AddressLedger ledger, OperatorConfig config, ClusterEvents events,
                                    OperatorMetrics metrics, Clock clock, ClusterRangeReader clusterRanges,
                                    Function<NetworkReference, Stream<SwarmService>> servicesNaming) {
        this.servicesNaming = Objects.requireNonNull(servicesNaming, "servicesNaming");
        this.allocations = allocations;
        this.ledger = ledger;
        this.config = config;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.clusterRanges = clusterRanges;
    }

    @Override
    public List<EventSource<?, OverlayNetwork>> prepareEventSources(EventSourceContext<OverlayNetwork> context) {
        // A change must also wake the networks a node or service no longer names: those are found
        // through the networks' own status (nodes and attachedServices), so the mappers stay
        // functions of the cluster state (java-operator-sdk may call them more than once per event).
        var primaries = context.getPrimaryCache();
        nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, OverlayNetwork.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("nodes")
                .withSecondaryToPrimaryMapper(node -> {
                    Set<ResourceID> ids = new HashSet<>(networksNamedBy(node));
                    String nodeName = node.getMetadata().getName();
                    primaries.list(n -> n.getStatus() != null && n.getStatus().getNodes() != null
                                    && n.getStatus().getNodes().stream().anyMatch(x -> nodeName.equals(x.getName())))
                            .forEach(n -> ids.add(ResourceID.fromResource(n)));
                    return ids;
                })
                .build(), context);
        // a namespace's labels decide whether spec.shareWith admits it: shared networks, and those used from other
        // namespaces, say so in their Shared condition
        namespaces = new InformerEventSource<>(InformerEventSourceConfiguration.from(Namespace.class, OverlayNetwork.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("namespaces")
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(namespace -> {
                    Set<ResourceID> ids = new HashSet<>();
                    primaries.list(n -> n.getSpec() != null && n.getSpec().getShareWith() != null || n.getStatus() != null
                                    && n.getStatus().getAttachedServices() != null
                                    && n.getStatus().getAttachedServices().stream().anyMatch(a -> a.contains("/")))
                            .forEach(n -> ids.add(ResourceID.fromResource(n)));
                    return ids;
                })
                .withOnUpdateFilter((before, after) -> !Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels()))
                .build(), context);
        return List.of(nodes, serviceChanges, namespaces);
    }

    @Override
    public UpdateControl<OverlayNetwork> reconcile(OverlayNetwork network, Context<OverlayNetwork> context) {
        String namespace = network.getMetadata().getNamespace();
        String name = network.getMetadata().getName();
        var cache = context.getPrimaryCache();
        allocations.retainOnly(key -> {
            int slash = key.indexOf('/');
            return cache.get(new ResourceID(key.substring(slash + 1), key.substring(0, slash))).isPresent();
        });

        ClusterRanges ranges = clusterRanges(allocations.of(namespace, name).isEmpty()
                ? RANGES_FRESH_FOR_ALLOCATION : RANGES_FRESH_FOR_STATUS);
        NetworkDecision decision = allocations.decide(NetworkRequest.of(network), ranges.learnt());
        if (decision instanceof NetworkDecision.Allocated allocated && allocated.fresh()) {
            var a = allocated.allocation();
            LOG.info("OverlayNetwork {}/{}: allocated subnet {}, gateway {}, VXLAN id {}", namespace, name, a.subnet(), a.gateway(), a.vni());
            metrics.allocated("subnet");
            metrics.allocated("vni");
            events.normal(network, "Allocated", "subnet " + a.subnet() + ", gateway " + a.gateway() + ", VXLAN id " + a.vni()
                    + (a.range().equals(a.subnet()) ? "" : ", addresses from " + a.range()));
        } else if (decision instanceof NetworkDecision.Rejected rejected && !alreadyReported(network, rejected)) {
            // a refused network is retried every few seconds; log and count the refusal once, not on every retry
            LOG.info("OverlayNetwork {}/{}: {}: {}", namespace, name, rejected.reason(), rejected.message());
            metrics.rejected(rejected.reason());
            events.warning(network, rejected.reason(), rejected.message());
        }
        metrics.trackNetwork(namespace, name);

        Optional<Conditions.Desired> shared = SharingStatus.condition(network, foreignAttachers(namespace, name),
                this::namespaceLabels, selectedNamespaces(network));
        DesiredNetworkStatus.Observed observed = new DesiredNetworkStatus.Observed(attachedServices(namespace, name),
                NodeReports.of(namespace, name, nodes.list().toList()), ledger.inUse(namespace, name), config.addressWarningPercent(), ranges,
                shared);
        OverlayNetworkStatus status = DesiredNetworkStatus.of(network, decision, observed, clock.instant());
        reportSharingProblem(network, shared);
        UpdateControl<OverlayNetwork> control;
        if (sameStatus(network.getStatus(), status)) {
            control = UpdateControl.noUpdate();
        } else {
            network.setStatus(status);
            control = UpdateControl.patchStatus(network);
        }
        if (decision instanceof NetworkDecision.Rejected) {
            control.rescheduleAfter(REJECTED_RETRY_SECONDS, TimeUnit.SECONDS);
        }
        return control;
    }

    /**
     * Deletion: like {@code docker network rm}, refused while services or attached pods use the network,
     * except that here it waits rather than fails, and goes through once the last one lets go.
     */
    @Override
    public DeleteControl cleanup(OverlayNetwork network, Context<OverlayNetwork> context) {
        String namespace = network.getMetadata().getNamespace();
        String name = network.getMetadata().getName();
        List<String> holders = attachedServices(namespace, name);
        List<String> pods = attachedPods(namespace, name);
        if (!holders.isEmpty() || !pods.isEmpty()) {
            OverlayNetworkStatus status = DesiredNetworkStatus.terminating(network, holders, clock.instant());
            if (!holders.isEmpty() && !sameStatus(network.getStatus(), status)) {
                try {
                    context.getClient().resource(network).editStatus(n -> {
                        n.setStatus(status);
                        return n;
                    });
                } catch (RuntimeException e) {
                    LOG.debug("OverlayNetwork {}/{}: could not report the services holding it: {}", namespace, name, e.getMessage());
                }
            }
            events.warning(network, DesiredNetworkStatus.REASON_IN_USE, "deletion waits for "
                    + (holders.isEmpty() ? "" : "SwarmServices " + String.join(", ", holders) + (pods.isEmpty() ? "" : " and "))
                    + (pods.isEmpty() ? "" : "attached pods " + String.join(", ", pods)
                            + " (remove the network from their annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS + " or delete them)"));
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(TimeUnit.SECONDS.toMillis(IN_USE_RETRY_SECONDS));
        }
        allocations.release(namespace, name);
        events.forget(network);
        LOG.info("OverlayNetwork {}/{}: no service uses it any more; released its subnet and VXLAN id", namespace, name);
        return DeleteControl.defaultDelete();
    }

    /**
     * Pods that are no task and hold an address on the network (by name, sorted; {@code namespace/name} for a pod of another
     * namespace), as docker network rm refuses with endpoints.
     */
    private List<String> attachedPods(String namespace, String name) {
        return ledger.holders(namespace, name).values().stream().filter(h -> h.owner().kind() == AddressOwner.Kind.ATTACHED_POD)
                .map(h -> (h.namespace().equals(namespace) ? "" : h.namespace() + "/") + h.owner().name())
                .sorted().toList();
    }

    /**
     * Reconciles these networks: the service reconciler calls this with the networks a service names and named when those
     * change, when its status changes and when it is gone (the network reconciler keeps no informer of its own on every
     * SwarmService). A network that lists a service no longer naming it while the operator was down is put right by its own
     * reconcile when the operator starts.
     */
    public void servicesChanged(Set<NetworkReference> networks) {
        networks.forEach(n -> serviceChanges.propagateEvent(new ResourceID(n.name(), n.namespace())));
    }

    /**
     * SwarmServices (sorted) whose spec.networks name the network: by name in its namespace, {@code namespace/name} from
     * another.
     */
    private List<String> attachedServices(String namespace, String name) {
        NetworkReference network = new NetworkReference(namespace, name);
        return servicesNaming.apply(network).map(s -> serviceKey(s, namespace)).sorted().toList();
    }

    /** A service as the status of a network in {@code networkNamespace} lists it. */
    private static String serviceKey(SwarmService service, String networkNamespace) {
        String namespace = service.getMetadata().getNamespace();
        return (namespace.equals(networkNamespace) ? "" : namespace + "/") + service.getMetadata().getName();
    }

    /** The services and pods of other namespaces that hold the network. */
    private List<SharingStatus.Attacher> foreignAttachers(String namespace, String name) {
        NetworkReference network = new NetworkReference(namespace, name);
        List<SharingStatus.Attacher> foreign = new ArrayList<>();
        servicesNaming.apply(network).filter(s -> !s.getMetadata().getNamespace().equals(namespace))
                .sorted(java.util.Comparator.comparing((SwarmService s) -> s.getMetadata().getNamespace())
                        .thenComparing(s -> s.getMetadata().getName()))
                .forEach(s -> foreign.add(new SharingStatus.Attacher(s.getMetadata().getNamespace(), "SwarmService "
                        + s.getMetadata().getNamespace() + "/" + s.getMetadata().getName())));
        ledger.holders(namespace, name).values().stream()
                .filter(h -> !h.namespace().equals(namespace) && h.owner().kind() == AddressOwner.Kind.ATTACHED_POD)
                .map(h -> new SharingStatus.Attacher(h.namespace(), "pod " + h.namespace() + "/" + h.owner().name()))
                .sorted(java.util.Comparator.comparing(SharingStatus.Attacher::what))
                .forEach(foreign::add);
        return foreign;
    }

    private Optional<Map<String, String>> namespaceLabels(String namespace) {
        return namespaces.get(new ResourceID(namespace))
                .map(n -> Objects.requireNonNullElse(n.getMetadata().getLabels(), Map.of()));
    }

    /** The namespaces other than its own that the network's spec.shareWith selects now, sorted. */
    private List<String> selectedNamespaces(OverlayNetwork network) {
        if (!NetworkAccess.isShared(network)) {
            return List.of();
        }
        String own = network.getMetadata().getNamespace();
        return namespaces.list().map(n -> n.getMetadata().getName()).filter(n -> !n.equals(own))
                .filter(n -> NetworkAccess.refusal(network, n, namespaceLabels(n)).isEmpty()).sorted().toList();
    }

    /** A Warning event when the Shared condition turns False or changes its reason or message: the owner should act. */
    private void reportSharingProblem(OverlayNetwork network, Optional<Conditions.Desired> shared) {
        if (shared.isEmpty() || !Conditions.FALSE.equals(shared.get().status())) {
            return;
        }
        Condition before = network.getStatus() == null ? null
                : Conditions.find(network.getStatus().getConditions(), SharingStatus.CONDITION_SHARED);
        if (before == null || !Objects.equals(before.getReason(), shared.get().reason())
                || !Objects.equals(before.getMessage(), shared.get().message())) {
            events.warning(network, shared.get().reason(), shared.get().message());
        }
    }

    /**
     * The ranges of the cluster itself that no overlay may take: what the reader found, every
     * Node's pod CIDRs and addresses (an overlay covering a node address would blackhole the
     * underlay on nodes where it is attached), and the configured ones.
     */
    private ClusterRanges clusterRanges(Duration maxAge) {
        return ClusterRanges.learn(clusterRanges.sources(maxAge).withNodes(nodes.list().toList()), config.excludedCidrs());
    }

    private static Set<ResourceID> networksNamedBy(Node node) {
        var annotations = node.getMetadata().getAnnotations();
        if (annotations == null) {
            return Set.of();
        }
        Set<ResourceID> ids = new HashSet<>();
        for (String key : NodeNetworkStates.parse(annotations.get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS)).byNetwork().keySet()) {
            int slash = key.indexOf('/');
            if (slash > 0) {
                ids.add(new ResourceID(key.substring(slash + 1), key.substring(0, slash)));
            }
        }
        return ids;
    }

    private static boolean alreadyReported(OverlayNetwork network, NetworkDecision.Rejected rejected) {
        var ready = network.getStatus() == null ? null
                : Conditions.find(network.getStatus().getConditions(), DesiredNetworkStatus.CONDITION_READY);
        return ready != null && Conditions.FALSE.equals(ready.getStatus())
                && rejected.reason().equals(ready.getReason()) && rejected.message().equals(ready.getMessage());
    }

    /**
     * Whether a status write would change anything. Field by field, because the node entries have
     * no equals(); condition timestamps take part, and Conditions.merge keeps them stable.
     */
    private static boolean sameStatus(OverlayNetworkStatus a, OverlayNetworkStatus b) {
        if (a == null) {
            return false;
        }
        return Objects.equals(a.getSubnet(), b.getSubnet()) && Objects.equals(a.getGateway(), b.getGateway())
                && Objects.equals(a.getVxlanId(), b.getVxlanId()) && Objects.equals(a.getIpRange(), b.getIpRange())
                && Objects.equals(a.getNodeCount(), b.getNodeCount()) && Objects.equals(a.getAttachedServices(), b.getAttachedServices())
                && Objects.equals(a.getAddressUsage(), b.getAddressUsage()) && Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && Objects.equals(a.getConditions(), b.getConditions()) && nodesEqual(a, b);
    }

    private static boolean nodesEqual(OverlayNetworkStatus a, OverlayNetworkStatus b) {
        List<String> x = a.getNodes() == null ? List.of() : a.getNodes().stream().map(OverlayNetworkReconciler::describe).toList();
        List<String> y = b.getNodes() == null ? List.of() : b.getNodes().stream().map(OverlayNetworkReconciler::describe).toList();
        return x.equals(y);
    }

    private static String describe(io.swarmnet.api.network.NetworkNodeStatus n) {
        return n.getName() + "|" + n.getLocalTasks() + "|" + n.getPeers() + "|" + n.getEncryption() + "|" + n.getMessage();
    }
}
