package io.swarmnet.operator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.UpdateState;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.service.template.TaskTemplates;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs each SwarmService's tasks as Pods. This class orchestrates one round per service; each part
 * is decided or done by a class of its own:
 * <ul>
 * <li>whether the service can work at all: {@link ServiceSpecCheck}, {@link ServiceNetworks};</li>
 * <li>addresses: {@link ServiceVirtualIps} holds its virtual IPs; {@link TaskAddressBook} allocates
 *     a task's addresses before its pod is created and releases them once the pod is gone from the
 *     cluster; {@link OrphanSweep} now and then (at most once a minute, and on service deletion)
 *     frees addresses on its networks whose task pod or service no longer exists;</li>
 * <li>tasks: {@link TaskNodes} says where they may go, {@link UpdateMonitor} which template they
 *     run, {@link TaskPlan} which pods to create and remove, and {@link TaskPlanExecutor} does it;</li>
 * <li>published ports: {@link IngressPublisher};</li>
 * <li>status: {@link ServiceHealth} and {@link ServiceStatusReport} build it,
 *     {@link ServiceStatusWriter} writes it when it changes.</li>
 * </ul>
 */
// not generation-aware: the swarmnet.io/rollback annotation must wake it too (ManualRollback filters the rest).
// SwarmServices and task pods are listed in one answer each, without a limit (ONE_ANSWER): the API server answers
// such a list from its watch cache, where it serves a list with a limit from etcd page by page — 3-8 times its CPU
// for these two, the largest lists of a cold start (docs/benchmarks.md, "Operator")
@ControllerConfiguration(name = SwarmServiceReconciler.NAME, generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = ManualRollback.class))
public final class SwarmServiceReconciler implements Reconciler<SwarmService>, Cleaner<SwarmService> {

    public static final String NAME = "swarmservice";

    /** No limit on an informer's list: the whole list in one answer (see the note on the class's configuration). */
    static final Long ONE_ANSWER = null;

    private static final String INDEX_NETWORK = "swarmnet.io/network";
    /** Services whose tasks are pinned to nodes the operator picks: global ones, and those whose template names the node. */
    private static final String INDEX_BY_NODE = "swarmnet.io/by-node";
    /** Services that attach to a network of another namespace, by their own namespace: its labels decide whether they may. */
    private static final String INDEX_SHARED_INTO = "swarmnet.io/shared-into";
    /** Task pods by the uid of their controller (the service that made them). */
    private static final String INDEX_CONTROLLER = "swarmnet.io/controller";
    /** When addresses ran out, look again now and then: other services' tasks may have gone meanwhile. */
    private static final Duration EXHAUSTED_RETRY = Duration.ofSeconds(30);
    /** While a deleted service's pods terminate, look again this often (their delete events also wake it). */
    private static final Duration CLEANUP_RETRY = Duration.ofSeconds(2);
    /** Services released more than this long ago are forgotten: the API server has long removed them. */
    private static final Duration RELEASED_KEPT = Duration.ofMinutes(10);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServiceVirtualIps virtualIps;
    private final TaskAddressBook taskAddresses;
    private final OrphanSweep sweep;
    private final ServiceStatusWriter statuses = new ServiceStatusWriter();
    /** Services whose task pods the API server refuses, and when to try again. */
    private final TaskRefusal refusals = new TaskRefusal();

    private volatile InformerEventSource<Pod, SwarmService> pods;
    private volatile InformerEventSource<OverlayNetwork, SwarmService> networks;
    private volatile InformerEventSource<Node, SwarmService> nodes;
    private volatile InformerEventSource<Namespace, SwarmService> namespaces;
    private volatile InformerEventSource<Service, SwarmService> ingressServices;
    private final TaskNodes taskNodes = new TaskNodes(() -> nodes.list());
    private final TaskPlanExecutor executor;
    /** The task pods known to exist, which one read of the informer's index can miss: a round would create them twice. */
    private final KnownTaskPods knownTaskPods = new KnownTaskPods(System::nanoTime);
    private final IngressPublisher publisher = new IngressPublisher(service -> ingressServices.get(ResourceID.fromResource(service)));
    private volatile IndexerResourceCache<SwarmService> services;
    /** One recorder for the reconciler's life (it remembers what it said, to not repeat itself). */
    private final ClusterEvents events;
    private final AddressLedger ledger;
    /**
     * The networks each service (by uid) named when last reconciled: the network reconciler is told of a service's networks
     * when these change, when its status changes, or when the service is gone.
     */
    private final Map<String, Set<NetworkReference>> namedNetworks = new ConcurrentHashMap<>();
    /** Services (uid, with when) whose deletion is done here, though the API server may still show them a moment. */
    private final Map<String, Long> released = new ConcurrentHashMap<>();
    /**
     * Told of a service whose networks changed, whose status changed (its tasks, so the addresses in use on its networks), that
     * came or that is gone: the network reconciler's wake-up.
     */
    private volatile Consumer<Set<NetworkReference>> networkUseChanged = networks -> { };

    public SwarmServiceReconciler(AddressLedger ledger, OperatorConfig config, ClusterEvents events) {
        this.events = events;
        this.ledger = ledger;
        this.virtualIps = new ServiceVirtualIps(ledger);
        this.sweep = new OrphanSweep(ledger, System::nanoTime);
        this.taskAddresses = new TaskAddressBook(ledger, (namespace, pod) -> pods.get(new ResourceID(pod, namespace)).isPresent());
        this.executor = new TaskPlanExecutor(config, taskAddresses, taskNodes, refusals, pod -> {
            pods.handleRecentResourceCreate(ResourceID.fromResource(pod), pod);
            knownTaskPods.created(pod);
        });
    }

    @Override
    public List<EventSource<?, SwarmService>> prepareEventSources(EventSourceContext<SwarmService> context) {
        services = context.getPrimaryCache();
        services.addIndexers(Map.of(
                INDEX_NETWORK, service -> ServiceNetworks.references(service).stream().map(NetworkReference::toString).toList(),
                INDEX_SHARED_INTO, service -> ServiceNetworks.references(service).stream()
                        .anyMatch(n -> n.isForeignTo(service.getMetadata().getNamespace()))
                        ? List.of(service.getMetadata().getNamespace()) : List.of(),
                INDEX_BY_NODE, service -> placedByNode(service) ? List.of("by-node") : List.of()));

        pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, SwarmService.class)
                .withInformerListLimit(ONE_ANSWER)
                .withName("task-pods")
                .withLabelSelector(SwarmnetKeys.LABEL_SERVICE)
                .withItemStore(io.swarmnet.operator.attach.CachedPods.store())
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SwarmService.class))
                .build(), context);
        pods.addIndexers(Map.of(INDEX_CONTROLLER, SwarmServiceReconciler::controllerUid));

        networks = new InformerEventSource<>(InformerEventSourceConfiguration.from(OverlayNetwork.class, SwarmService.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("service-networks")
                .withSecondaryToPrimaryMapper(network -> idsOf(services.byIndex(INDEX_NETWORK,
                        network.getMetadata().getNamespace() + "/" + network.getMetadata().getName())))
                // a network's node list changes often; services only care whether it is usable
                .withOnUpdateFilter((before, after) -> !usability(before).equals(usability(after)))
                .build(), context);

        nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, SwarmService.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("global-nodes")
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(node -> idsOf(services.byIndex(INDEX_BY_NODE, "by-node")))
                // heartbeats update nodes every few seconds; placement depends only on labels and taints
                .withOnUpdateFilter((before, after) -> !placement(before).equals(placement(after)))
                .build(), context);
        // the ingress Services of spec.publish: one changed or deleted behind the operator's back is put right
        ingressServices = new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, SwarmService.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("ingress-services")
                .withLabelSelector(SwarmnetKeys.LABEL_SERVICE)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SwarmService.class))
                .build(), context);
        // a namespace's labels decide whether its services may use networks other namespaces share (spec.shareWith)
        namespaces = new InformerEventSource<>(InformerEventSourceConfiguration.from(Namespace.class, SwarmService.class)
                .withInformerListLimit(KubernetesClients.LIST_PAGE)
                .withName("sharing-namespaces")
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(ns -> idsOf(services.byIndex(INDEX_SHARED_INTO, ns.getMetadata().getName())))
                .withOnUpdateFilter((before, after) -> !Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels()))
                .build(), context);
        return List.of(pods, networks, nodes, ingressServices, namespaces);
    }

    /**
     * The SwarmServices whose {@code spec.networks} name the network, from this reconciler's own cache (the network reconciler
     * keeps no second informer of every service: at 10,000 services that was a second paged list for the API server to
     * serve and the operator to parse). Waits until the operator's informers have synced; a service whose deletion is done
     * here is left out, though the API server may still show it a moment.
     */
    public Stream<SwarmService> naming(NetworkReference network) {
        ledger.awaitLoaded();
        return services.byIndex(INDEX_NETWORK, network.toString()).stream()
                .filter(service -> !released.containsKey(service.getMetadata().getUid()));
    }

    /** Who is told of a service whose networks or status changed, that came or that is gone (the network reconciler). */
    public void tellNetworkUse(Consumer<Set<NetworkReference>> listener) {
        this.networkUseChanged = Objects.requireNonNull(listener, "listener");
    }

    /** Tells the network reconciler of the service if the networks it names changed since its last reconcile. */
    private void noteNetworks(SwarmService service) {
        Set<NetworkReference> now = Set.copyOf(ServiceNetworks.references(service));
        Set<NetworkReference> before = namedNetworks.put(service.getMetadata().getUid(), now);
        if (!now.equals(before)) {
            tellNetworks(now, before);
        }
    }

    /** Wakes the networks named now and before (a network no longer named drops the service from its status). */
    private void tellNetworks(Set<NetworkReference> now, Set<NetworkReference> before) {
        Set<NetworkReference> networks = new HashSet<>(now);
        if (before != null) {
            networks.addAll(before);
        }
        networkUseChanged.accept(networks);
    }

    /** Wakes the networks the service names, and those it named at its last reconcile. */
    private void tellNetworks(SwarmService service) {
        tellNetworks(Set.copyOf(ServiceNetworks.references(service)), namedNetworks.get(service.getMetadata().getUid()));
    }

    /** The task pods and the SwarmServices in the informers' caches: what the address ledger is loaded from once they synced. */
    public Stream<Pod> cachedTaskPods() {
        return pods.list();
    }

    public Stream<SwarmService> cachedServices() {
        return services.list();
    }

    /**
     * The ledger is being loaded from {@link #cachedTaskPods()} and {@link #cachedServices()}: no network needs an orphan
     * sweep before an interval has passed ({@link OrphanSweep#countAllSwept}). Called before the load lets reconciles in.
     */
    public void ledgerLoading() {
        sweep.countAllSwept();
    }

    private static boolean placedByNode(SwarmService service) {
        SwarmServiceSpec spec = service.getSpec();
        if (spec == null) {
            return false;
        }
        if (spec.effectiveMode() == ServiceMode.GLOBAL) {
            return true;
        }
        PodSpec podSpec = spec.getTemplate() == null ? null : spec.getTemplate().getSpec();
        return podSpec != null && TaskTemplates.needsNode(podSpec);
    }

    private static Set<ResourceID> idsOf(List<SwarmService> list) {
        Set<ResourceID> ids = new HashSet<>();
        list.forEach(s -> ids.add(ResourceID.fromResource(s)));
        return ids;
    }

    private static List<Object> usability(OverlayNetwork network) {
        var status = network.getStatus();
        var ready = status == null ? null : Conditions.find(status.getConditions(), ServiceHealth.READY);
        return Arrays.asList(network.getMetadata().getDeletionTimestamp(),
                ready == null ? null : ready.getStatus(), ready == null ? null : ready.getReason(),
                status == null ? null : status.getSubnet(), status == null ? null : status.getGateway(),
                status == null ? null : status.getIpRange(),
                network.getSpec() == null ? null : JSON.valueToTree(network.getSpec().getShareWith()));
    }

    private static List<Object> placement(Node node) {
        return Arrays.asList(node.getMetadata().getLabels(), node.getSpec() == null ? null : node.getSpec().getTaints(),
                node.getMetadata().getDeletionTimestamp());
    }

    // ---------------------------------------------------------------- reconcile

    @Override
    public UpdateControl<SwarmService> reconcile(SwarmService service, Context<SwarmService> context) {
        noteNetworks(service);
        String namespace = service.getMetadata().getNamespace();
        SwarmServiceSpec spec = service.getSpec();
        List<Pod> taskPods = taskPods(service);

        taskAddresses.releaseVanished(context.getClient(), service, taskPods);
        sweepNetworks(context.getClient(), namespace, networksInUse(service, taskPods), false);

        ServiceHealth.Blocker problem = ServiceSpecCheck.problem(service);
        if (problem != null) {
            // each new mistake is told, not only the first one after a working spec (the same one is said once)
            warnOfChange(events, service, problem);
        }
        ServiceNetworks resolved = problem != null ? null
                : ServiceNetworks.resolve(namespace, spec.getNetworks(), n -> networks.get(new ResourceID(n.name(), n.namespace())),
                        ns -> namespaces.get(new ResourceID(ns)).map(n -> Objects.requireNonNullElse(n.getMetadata().getLabels(), Map.of())));
        if (problem == null && !resolved.usable()) {
            problem = resolved.blocker();
        }
        if (problem != null) {
            // nothing is created or removed while the service cannot work: running tasks keep running
            return blocked(context.getClient(), service, taskPods, problem, events, ServiceVirtualIps.inStatus(service), Optional.empty());
        }
        List<AllocatableNetwork> serviceNetworks = resolved.networks();

        List<VirtualIP> virtualIPs;
        try {
            virtualIPs = virtualIps.hold(service, serviceNetworks);
        } catch (AddressPoolExhaustedException e) {
            return blocked(context.getClient(), service, taskPods, new ServiceHealth.Blocker(ServiceHealth.REASON_ADDRESS_POOL_EXHAUSTED,
                    "no virtual IP for this service: " + e.getMessage()), events, ServiceVirtualIps.inStatus(service), Optional.of(EXHAUSTED_RETRY));
        }

        // host-mode ports are part of what the tasks run: a change rolls them, as in Docker
        PodTemplateSpec template = HostPorts.template(spec);
        String specHash = TemplateHash.of(template, networkNames(service));
        Map<String, Node> nodeOfSlot = new HashMap<>();
        List<TaskSlot> slots = spec.effectiveMode() == ServiceMode.GLOBAL ? taskNodes.globalSlots(spec, taskPods, nodeOfSlot)
                : DesiredTasks.replicatedSlots(spec.effectiveReplicas());
        Optional<String> badHostname = taskNodes.hostnameProblem(service, template, slots, nodeOfSlot);
        if (badHostname.isPresent()) {
            // before the update is even considered: no task is stopped for one that could not start
            ServiceHealth.Blocker invalid = ServiceHealth.Blocker.invalidSpec(badHostname.get());
            warnOfChange(events, service, invalid);
            return blocked(context.getClient(), service, taskPods, invalid, events, virtualIPs, Optional.empty());
        }
        Instant now = Instant.now();
        UpdateMonitor.Outcome update = UpdateMonitor.decide(new UpdateMonitor.Input(specHash, JSON.valueToTree(template),
                Objects.requireNonNullElse(service.getMetadata().getGeneration(), 0L), ManualRollback.requested(service),
                statuses.last(service), UpdatePolicy.of(spec.getUpdateConfig()), UpdatePolicy.ofRollback(spec.getRollbackConfig()),
                taskPods.stream().map(p -> new ObservedTask(p).watched()).toList(), new HashSet<>(slots), now));
        update.notices().forEach(n -> TaskEvents.tell(events, service, n));
        String templateHash = update.current().getHash();
        // after a rollback the tasks run the template rolled back to, not the one spec.template holds
        SwarmService runAs = update.runsOtherThanSpec(specHash) ? withTemplate(service, update.current().getTemplate())
                : template != spec.getTemplate() ? withTemplate(service, template) : service;
        DesiredTasks desired = new DesiredTasks(slots, templateHash, update.policy(), update.hold(), update.status() == null
                ? Set.of() : new HashSet<>(update.status().getFailedTasks()));
        List<ExistingTask> existing = taskPods.stream().map(ObservedTask::new).map(ObservedTask::existing)
                .flatMap(Optional::stream).toList();
        TaskPlan plan = TaskPlan.decide(desired, existing, now);

        Map<String, Cidr> subnets = subnets(serviceNetworks);
        TaskPlanExecutor.Outcome done = executor.execute(context.getClient(), events, plan, new TaskPlanExecutor.Round(
                service, runAs, taskPods, nodeOfSlot, templateHash, serviceNetworks, subnets, now));
        List<Pod> created = done.created();
        Set<String> removed = done.removed();
        ServiceHealth.Blocker exhausted = done.failed();
        TaskRefusal.Refused refusal = done.refusal();
        taskAddresses.remember(service, created, serviceNetworks);

        int failed = (int) existing.stream().filter(t -> t.lifecycle() == ExistingTask.Lifecycle.FINISHED).count();
        List<Pod> shown = ServiceStatusReport.shown(taskPods, removed, created, now);
        int readySlots = desired.readySlots(existing, removed);
        ServiceHealth.Blocker blocker = exhausted != null ? exhausted : refusal != null ? refusal.blocker() : null;
        if (blocker == null && readySlots < desiredCount(spec, desired)) {
            blocker = taskNodes.noEligibleNode(spec).orElse(null);
            if (blocker != null) {
                // said once: the same reason and message for the same service is not written again
                warnOfChange(events, service, blocker);
            }
        }
        var updateState = update.status() == null ? null : update.status().getState();
        boolean updateStands = update.hold() || update.runsOtherThanSpec(specHash) || updateState == UpdateState.ROLLBACK_STARTED;
        ServiceHealth.Assessment assessment = new ServiceHealth.Assessment(desired.slots().size(), readySlots, plan.rollout(),
                blocker, failed, ServiceHealth.notReadyHint(shown), updateStands ? update.status() : null);
        // published ports never hold the tasks up, nor do the tasks hold them
        IngressPublisher.Outcome published = publisher.publish(context.getClient(), service, events);
        List<Conditions.Desired> conditions = new ArrayList<>(ServiceHealth.conditions(assessment));
        published.condition().ifPresent(conditions::add);
        SwarmServiceStatus status = ServiceStatusReport.of(service, networkNames(service), shown, virtualIPs, subnets,
                desired.slots().size(), readySlots, conditions, now);
        status.setEndpoints(PublishedPorts.endpoints(spec, published.ingress()));
        if (published.condition().isEmpty()) {
            status.getConditions().removeIf(c -> IngressPublisher.PUBLISHED.equals(c.getType()));
        }
        status.setUpdateStatus(update.status());
        status.setCurrentTemplate(update.current());
        status.setPreviousTemplate(update.previous());
        status.setHandledRollback(update.handledRollback());
        Set<String> wanted = new HashSet<>();
        slots.forEach(slot -> wanted.add(slot.label()));
        SwarmServiceStatus last = statuses.last(service);
        status.setTaskHistory(TaskHistory.merge(last == null ? null : last.getTaskHistory(), done.ended(), wanted));

        Optional<Duration> recheck = earliest(earliest(plan.recheckAfter(), update.recheckAfter()), published.retry());
        if (exhausted != null) {
            recheck = Optional.of(EXHAUSTED_RETRY);
        } else if (refusal != null) {
            recheck = Optional.of(refusal.retryAfter());
        }
        return withStatus(context.getClient(), service, status, recheck);
    }

    private static Optional<Duration> earliest(Optional<Duration> a, Optional<Duration> b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isPresent() && b.get().compareTo(a.get()) < 0 ? b : a;
    }

    /**
     * The service as it would be with {@code template}: what its tasks are made from during and after a
     * rollback (a revision's template), and with host-mode ports.
     */
    private static SwarmService withTemplate(SwarmService service, Object template) {
        SwarmService copy = new SwarmService();
        copy.setMetadata(service.getMetadata());
        SwarmServiceSpec spec = JSON.convertValue(service.getSpec(), SwarmServiceSpec.class);
        spec.setTemplate(JSON.convertValue(template, PodTemplateSpec.class));
        copy.setSpec(spec);
        return copy;
    }

    /** Slots wanted: a global service with no eligible node still wants one task somewhere. */
    private static int desiredCount(SwarmServiceSpec spec, DesiredTasks desired) {
        return spec.effectiveMode() == ServiceMode.GLOBAL ? Math.max(1, desired.slots().size()) : desired.slots().size();
    }

    /**
     * A Warning event for the blocker, unless the service's status says it already: its Ready condition has the same reason
     * and message. An event is for a change; the status outlives the operator, so an operator that starts again and finds
     * the same problem (with 10,000 services that had no eligible node, a warning each) does not say it again. The
     * recorder's own memory ({@link ClusterEvents}) keeps one operator from repeating itself before the status is written.
     */
    private static void warnOfChange(ClusterEvents events, SwarmService service, ServiceHealth.Blocker blocker) {
        var ready = service.getStatus() == null ? null : Conditions.find(service.getStatus().getConditions(), ServiceHealth.READY);
        if (ready != null && Conditions.FALSE.equals(ready.getStatus()) && blocker.reason().equals(ready.getReason())
                && blocker.message().equals(ready.getMessage())) {
            return;
        }
        events.warning(service, blocker.reason(), blocker.message());
    }

    private UpdateControl<SwarmService> blocked(KubernetesClient client, SwarmService service, List<Pod> taskPods, ServiceHealth.Blocker blocker,
                                                ClusterEvents events, List<VirtualIP> virtualIPs, Optional<Duration> recheck) {
        var previous = service.getStatus() == null ? null
                : Conditions.find(service.getStatus().getConditions(), ServiceHealth.READY);
        if (previous == null || !blocker.reason().equals(previous.getReason())) {
            // once per transition, not on every reconcile
            events.warning(service, blocker.reason(), blocker.message());
        }
        Map<String, Cidr> subnets = new HashMap<>();
        for (NetworkReference network : ServiceNetworks.references(service)) {
            networks.get(new ResourceID(network.name(), network.namespace()))
                    .filter(n -> n.getStatus() != null && n.getStatus().getSubnet() != null)
                    .ifPresent(n -> subnets.put(network.relativeTo(service.getMetadata().getNamespace()),
                            Cidr.parse(n.getStatus().getSubnet())));
        }
        SwarmServiceStatus status = ServiceStatusReport.blocked(service, networkNames(service), taskPods, blocker, virtualIPs,
                subnets, statuses.last(service), Instant.now());
        return withStatus(client, service, status, recheck);
    }

    private UpdateControl<SwarmService> withStatus(KubernetesClient client, SwarmService service, SwarmServiceStatus status,
                                                   Optional<Duration> recheck) {
        if (statuses.write(client, service, status)) {
            // tasks came, went or changed, and with them the addresses in use on its networks, which their status counts
            tellNetworks(service);
        }
        UpdateControl<SwarmService> control = UpdateControl.noUpdate();
        recheck.ifPresent(d -> control.rescheduleAfter(Math.max(1, d.toMillis())));
        return control;
    }

    // ---------------------------------------------------------------- tasks

    /**
     * The service's task pods, by name: those whose controller is the service, from the pod informer's index by controller
     * (java-operator-sdk's secondary resources come as a Set, which hashes every pod whole: a third of an adoption
     * reconcile at 100,000 tasks), and those known to exist that this read of the index missed ({@link KnownTaskPods}:
     * a pod just created, or one the informer is updating).
     */
    private List<Pod> taskPods(SwarmService service) {
        List<Pod> indexed = pods.byIndex(INDEX_CONTROLLER, service.getMetadata().getUid()).stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        return knownTaskPods.tasks(service.getMetadata().getUid(), indexed, (namespace, name) -> pods.get(new ResourceID(name, namespace)));
    }

    /** The uid of the pod's controller (its owner reference with {@code controller: true}), if any. */
    private static List<String> controllerUid(Pod pod) {
        var owners = pod.getMetadata().getOwnerReferences();
        if (owners == null) {
            return List.of();
        }
        return owners.stream().filter(o -> Boolean.TRUE.equals(o.getController()) && o.getUid() != null).map(o -> o.getUid())
                .limit(1).toList();
    }

    // ---------------------------------------------------------------- addresses

    /** Sweeps the networks for addresses whose task pod or service is gone ({@link OrphanSweep}). */
    private void sweepNetworks(KubernetesClient client, String namespace, Collection<String> networkNames, boolean now) {
        sweep.sweep(namespace, networkNames, now, pod -> taskAddresses.podGone(client, namespace, pod),
                service -> services.get(new ResourceID(service, namespace)).isEmpty());
    }

    private static Set<String> networksInUse(SwarmService service, List<Pod> taskPods) {
        Set<String> names = new LinkedHashSet<>(networkNames(service));
        ServiceVirtualIps.inStatus(service).forEach(v -> names.add(v.getNetwork()));
        for (Pod pod : taskPods) {
            names.addAll(new ObservedTask(pod).addresses().byNetwork().keySet());
        }
        return names;
    }

    private static List<String> networkNames(SwarmService service) {
        return ServiceNetworks.keys(service);
    }

    private static Map<String, Cidr> subnets(List<AllocatableNetwork> serviceNetworks) {
        Map<String, Cidr> subnets = new HashMap<>();
        serviceNetworks.forEach(n -> subnets.put(n.name(), n.subnet()));
        return subnets;
    }

    // ---------------------------------------------------------------- deletion

    /**
     * A deleted service first loses its task pods; once none is left, its virtual IPs and task
     * addresses are released and the finalizer goes, so no address is reused while a task of the
     * service might still answer on it.
     */
    @Override
    public DeleteControl cleanup(SwarmService service, Context<SwarmService> context) {
        String namespace = service.getMetadata().getNamespace();
        List<Pod> taskPods = taskPods(service);
        List<Pod> remaining = new ArrayList<>();
        for (Pod pod : taskPods) {
            remaining.add(pod);
            if (pod.getMetadata().getDeletionTimestamp() == null) {
                TaskPlanExecutor.delete(context.getClient(), namespace, pod.getMetadata().getName());
            }
        }
        Set<String> networkNames = networksInUse(service, taskPods);
        publisher.remove(context.getClient(), service);
        if (!remaining.isEmpty()) {
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(CLEANUP_RETRY.toMillis());
        }
        virtualIps.release(service, networkNames);
        taskAddresses.releaseVanished(context.getClient(), service, List.of());
        sweepNetworks(context.getClient(), namespace, networkNames, true);
        taskAddresses.forget(service);
        knownTaskPods.forget(service.getMetadata().getUid());
        statuses.forget(service);
        events.forget(service);
        refusals.forget(service);
        // the service is gone as far as its networks are concerned: one waiting to be deleted need not wait for the API server
        long now = System.nanoTime();
        released.values().removeIf(at -> now - at > RELEASED_KEPT.toNanos());
        released.put(service.getMetadata().getUid(), now);
        tellNetworks(service);
        namedNetworks.remove(service.getMetadata().getUid());
        return DeleteControl.defaultDelete();
    }
}
