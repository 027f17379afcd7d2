package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.service.UpdateMonitor.Notice;
import io.swarmnet.operator.service.template.NodeFacts;
import io.swarmnet.operator.service.template.TaskTemplates;
import io.swarmnet.operator.service.template.TemplateException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link TaskPlan} for one service, as the node agent's PlanExecutor carries out its
 * plan: deletes the task pods the plan removes, then creates those it adds, each with its addresses
 * ({@link TaskAddressBook}) and, where the template names its node, a node ({@link TaskNodes}), and
 * tells each as an Event. The first creation that cannot be made (no node may take it, no address
 * is left, the template does not fit the node, the API server refuses the pod) ends the round; the
 * outcome says why.
 */
final class TaskPlanExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(TaskPlanExecutor.class);

    /**
     * One service's round.
     *
     * @param runAs        the service with the template its tasks run (a rolled-back one, host-mode ports)
     * @param taskPods     the service's task pods as the cache shows them
     * @param nodeOfSlot   the node of each global slot, by slot label
     * @param templateHash the hash of that template
     * @param networks     the service's networks, allocated
     * @param subnets      their subnets, by network name
     */
    record Round(SwarmService service, SwarmService runAs, List<Pod> taskPods, Map<String, Node> nodeOfSlot, String templateHash,
                 List<AllocatableNetwork> networks, Map<String, Cidr> subnets, Instant now) {
    }

    /**
     * What carrying out the plan did.
     *
     * @param removed names of the task pods deleted
     * @param ended   their status.taskHistory rows (those the cache showed)
     * @param created the task pods created
     * @param failed  why a creation could not be made (InvalidSpec, AddressPoolExhausted), or null
     * @param refusal the API server's refusal being waited out or just received, or null
     */
    record Outcome(Set<String> removed, List<TaskStatus> ended, List<Pod> created, ServiceHealth.Blocker failed,
                   TaskRefusal.Refused refusal) {
    }

    private final OperatorConfig config;
    private final TaskAddressBook addresses;
    private final TaskNodes nodes;
    private final TaskRefusal refusals;
    /** Told of each pod created, so the pod cache shows it before its watch event arrives. */
    private final Consumer<Pod> createdSeen;
    private final RandomGenerator random = new SecureRandom();

    TaskPlanExecutor(OperatorConfig config, TaskAddressBook addresses, TaskNodes nodes, TaskRefusal refusals, Consumer<Pod> createdSeen) {
        this.config = Objects.requireNonNull(config, "config");
        this.addresses = Objects.requireNonNull(addresses, "addresses");
        this.nodes = Objects.requireNonNull(nodes, "nodes");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.createdSeen = Objects.requireNonNull(createdSeen, "createdSeen");
    }

    Outcome execute(KubernetesClient client, ClusterEvents events, TaskPlan plan, Round round) {
        SwarmService service = round.service();
        String namespace = service.getMetadata().getNamespace();
        Map<String, Pod> byName = new LinkedHashMap<>();
        round.taskPods().forEach(p -> byName.put(p.getMetadata().getName(), p));
        Set<String> removed = new HashSet<>();
        List<TaskStatus> ended = new ArrayList<>();
        for (TaskPlan.Removal removal : plan.removals()) {
            delete(client, namespace, removal.podName());
            removed.add(removal.podName());
            TaskEvents.tell(events, service, TaskEvents.removed(removal, byName.get(removal.podName())));
            if (byName.containsKey(removal.podName())) {
                ended.add(TaskHistory.row(byName.get(removal.podName()), removal, round.templateHash(), round.subnets(), round.now()));
            }
        }

        List<Pod> created = new ArrayList<>();
        List<Map.Entry<TaskPlan.Creation, Pod>> told = new ArrayList<>();
        Notice stopped = null;
        ServiceHealth.Blocker failed = null;
        TaskRefusal.Refused refusal = plan.creations().isEmpty() ? null : refusals.backingOff(service, System.nanoTime()).orElse(null);
        SwarmService runAs = round.runAs();
        boolean place = service.getSpec().effectiveMode() == ServiceMode.REPLICATED
                && TaskTemplates.needsNode(runAs.getSpec().getTemplate().getSpec());
        try {
            for (TaskPlan.Creation creation : refusal != null ? List.<TaskPlan.Creation>of() : plan.creations()) {
                try {
                    Node node = round.nodeOfSlot().get(creation.slot().label());
                    if (node == null && place) {
                        Optional<Node> chosen = nodes.place(runAs.getSpec().getTemplate().getSpec(), round.taskPods(), removed,
                                created);
                        if (chosen.isEmpty()) {
                            // no node may take it: the reconciler's NoEligibleNode check says so
                            break;
                        }
                        node = chosen.get();
                    }
                    Pod pod = create(client, runAs, creation.slot(), node == null ? null : NodeFacts.of(node), round.templateHash(),
                            round.networks());
                    created.add(pod);
                    told.add(Map.entry(creation, pod));
                } catch (TemplateException e) {
                    // the spec's template was checked; this is a rolled-back revision, or a node that came since
                    failed = ServiceHealth.Blocker.invalidSpec(e.getMessage());
                    stopped = new Notice(true, ServiceHealth.REASON_INVALID_SPEC, e.getMessage());
                    break;
                } catch (AddressPoolExhaustedException e) {
                    failed = new ServiceHealth.Blocker(ServiceHealth.REASON_ADDRESS_POOL_EXHAUSTED,
                            "cannot start the task for " + creation.slot() + ": " + e.getMessage());
                    stopped = new Notice(true, ServiceHealth.REASON_ADDRESS_POOL_EXHAUSTED, failed.message());
                    break;
                } catch (KubernetesClientException e) {
                    if (!TaskRefusal.isRefusal(e)) {
                        throw e;
                    }
                    refusal = refusals.refused(service, creation.slot(), e, System.nanoTime());
                    stopped = new Notice(true, ServiceHealth.REASON_TASK_REFUSED, refusal.message());
                    break;
                }
            }
        } finally {
            // the creations are told together, then why they stopped, if they did; also when a failure ends the round
            TaskEvents.created(told).forEach(n -> TaskEvents.tell(events, service, n));
            if (stopped != null) {
                TaskEvents.tell(events, service, stopped);
            }
        }
        if (refusal == null && !created.isEmpty()) {
            refusals.forget(service);
        }
        return new Outcome(removed, ended, created, failed, refusal);
    }

    /** Creates the task's pod with addresses allocated for it ({@link TaskAddressBook#create}). */
    private Pod create(KubernetesClient client, SwarmService service, TaskSlot slot, NodeFacts node, String templateHash,
                       List<AllocatableNetwork> serviceNetworks) throws AddressPoolExhaustedException, TemplateException {
        String namespace = service.getMetadata().getNamespace();
        String podName = TaskPod.name(service.getMetadata().getName(), slot, TaskPod.randomSuffix(random));
        return addresses.create(namespace, podName, serviceNetworks, taskAddresses -> {
            Pod pod = TaskPod.desired(service, slot, node, podName, templateHash, taskAddresses, config.clusterDomain(),
                    config.attachWait());
            Pod created = createOnce(client, pod);
            createdSeen.accept(created);
            return created;
        });
    }

    /**
     * Creates the pod; if the API server answers that it exists already, that is this very pod when it carries the
     * addresses just allocated for it (the names end in a random suffix): fabric8 sends a request again when the first got
     * no answer in time, and the first may have been carried out. Any other pod of that name is someone else's: the
     * conflict stands.
     */
    static Pod createOnce(KubernetesClient client, Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        try {
            return client.pods().inNamespace(namespace).resource(pod).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Pod existing = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
            String sent = pod.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES);
            if (existing == null || existing.getMetadata().getAnnotations() == null
                    || !Objects.equals(sent, existing.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES))) {
                throw e;
            }
            LOG.info("pod {}/{}: created by an earlier attempt of the same request, which got no answer in time", namespace,
                    pod.getMetadata().getName());
            return existing;
        }
    }

    /** Deletes a task pod; one already gone is fine. */
    static void delete(KubernetesClient client, String namespace, String podName) {
        try {
            client.pods().inNamespace(namespace).withName(podName).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
