package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigBuilder;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.service.template.NodeFacts;
import io.swarmnet.operator.service.template.TaskFacts;
import io.swarmnet.operator.service.template.TaskTemplates;
import io.swarmnet.operator.service.template.TemplateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The Pod that runs one task: its name, and everything the operator adds to the service's
 * template. Decides only; the reconciler creates it.
 */
public final class TaskPod {

    /** Pod names double as the task's hostname, which must be a DNS label. */
    static final int MAX_NAME = 63;
    static final int SUFFIX_LENGTH = 5;
    /** The alphabet Kubernetes uses for generated name suffixes: no vowels (no words), no look-alikes. */
    private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    /** Longest part of a node name kept in a global task's pod name. */
    private static final int MAX_NODE_PART = 24;

    private TaskPod() {
    }

    /** A random suffix that keeps two generations of one slot's task apart. */
    public static String randomSuffix(RandomGenerator random) {
        StringBuilder suffix = new StringBuilder(SUFFIX_LENGTH);
        for (int i = 0; i < SUFFIX_LENGTH; i++) {
            suffix.append(SUFFIX_ALPHABET.charAt(random.nextInt(SUFFIX_ALPHABET.length())));
        }
        return suffix.toString();
    }

    /**
     * {@code <service>-<slot>-<suffix>} (replicated) or {@code <service>-<node>-<suffix>} (global),
     * at most 63 characters, a valid DNS label: the service part is shortened when needed, never the
     * slot, so tasks of one service stay apart.
     */
    public static String name(String serviceName, TaskSlot slot, String suffix) {
        String slotPart = slot.isGlobal() ? dnsLabelPart(slot.node(), MAX_NODE_PART) : Integer.toString(slot.number());
        int room = MAX_NAME - slotPart.length() - suffix.length() - 2;
        String servicePart = dnsLabelPart(serviceName, room);
        return servicePart + "-" + slotPart + "-" + suffix;
    }

    /** Lower-case letters, digits and inner dashes only, at most {@code max} characters. */
    private static String dnsLabelPart(String text, int max) {
        String cleaned = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        if (cleaned.length() > max) {
            cleaned = cleaned.substring(0, max);
        }
        cleaned = cleaned.replaceAll("^-+", "").replaceAll("-+$", "");
        return cleaned.isEmpty() ? "x" : cleaned;
    }

    /** The {@code <ns>.svc.<domain>, svc.<domain>, <domain>} search path a Kubernetes pod normally gets. */
    static List<String> clusterSearchPath(String namespace, String clusterDomain) {
        return List.of(namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain);
    }

    /**
     * The task's pod.
     *
     * @param service       the owner
     * @param slot          the slot it fills
     * @param node          the node it is pinned to (a global task's, or one the operator chose because the
     *                      template names the node); null to leave the choice to the scheduler
     * @param podName       from {@link #name}
     * @param templateHash  from {@link TemplateHash}
     * @param addresses     its address on every network, already allocated
     * @param clusterDomain for the DNS search path
     * @throws TemplateException when the template's hostname does not resolve to a DNS label for this task
     */
    public static Pod desired(SwarmService service, TaskSlot slot, NodeFacts node, String podName, String templateHash,
                              TaskAddresses addresses, String clusterDomain) throws TemplateException {
        return desired(service, slot, node, podName, templateHash, addresses, clusterDomain, AttachWait.OFF);
    }

    /** As above, with the init container that waits for the attachment first when {@code attachWait} is enabled. */
    public static Pod desired(SwarmService service, TaskSlot slot, NodeFacts node, String podName, String templateHash,
                              TaskAddresses addresses, String clusterDomain, AttachWait attachWait) throws TemplateException {
        ObjectMeta serviceMeta = service.getMetadata();
        var template = service.getSpec().getTemplate();
        ObjectMeta templateMeta = template.getMetadata() == null ? new ObjectMeta() : template.getMetadata();

        Map<String, String> labels = new LinkedHashMap<>();
        if (templateMeta.getLabels() != null) {
            labels.putAll(templateMeta.getLabels());
        }
        labels.put(SwarmnetKeys.LABEL_SERVICE, serviceMeta.getName());
        labels.put(SwarmnetKeys.LABEL_SLOT, slot.label());
        labels.put(SwarmnetKeys.LABEL_TEMPLATE_HASH, templateHash);

        Map<String, String> annotations = new LinkedHashMap<>();
        if (templateMeta.getAnnotations() != null) {
            annotations.putAll(templateMeta.getAnnotations());
        }
        // written before the pod exists, so the node agent never sees a task without its addresses
        annotations.put(SwarmnetKeys.ANNOTATION_ADDRESSES, addresses.format());

        PodSpec spec = template.getSpec() == null ? new PodSpec() : new PodSpecBuilder(template.getSpec()).build();
        TaskTemplates.resolve(serviceMeta.getName(), spec, facts(service, slot, node, podName));
        List<PodReadinessGate> gates = spec.getReadinessGates() == null ? new ArrayList<>() : new ArrayList<>(spec.getReadinessGates());
        if (gates.stream().noneMatch(g -> SwarmnetKeys.CONDITION_ATTACHED.equals(g.getConditionType()))) {
            // Ready only once the node agent has attached the pod to all its networks
            gates.add(new PodReadinessGate(SwarmnetKeys.CONDITION_ATTACHED));
        }
        spec.setReadinessGates(gates);
        spec.setNodeSelector(onAgentNodes(spec.getNodeSelector()));
        if (attachWait.enabled() && !addresses.byNetwork().isEmpty()) {
            // first of all init containers: the template's own may resolve or connect too
            List<Container> init = new ArrayList<>();
            init.add(attachWait.container(serviceMeta.getName(), addresses));
            if (spec.getInitContainers() != null) {
                spec.getInitContainers().stream().filter(c -> !AttachWait.CONTAINER_NAME.equals(c.getName())).forEach(init::add);
            }
            spec.setInitContainers(init);
        }
        spec.setDnsPolicy("None");
        spec.setDnsConfig(dnsConfig(spec.getDnsConfig(), serviceMeta.getNamespace(), clusterDomain));
        if (node != null) {
            pinToNode(spec, node.hostname());
        } else if (spec.getTopologySpreadConstraints() == null || spec.getTopologySpreadConstraints().isEmpty()) {
            spreadOverNodes(spec, serviceMeta.getName());
        }

        return new PodBuilder()
                .withNewMetadata()
                    .withName(podName)
                    .withNamespace(serviceMeta.getNamespace())
                    .withLabels(labels)
                    .withAnnotations(annotations)
                    .withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion(service.getApiVersion())
                            .withKind(service.getKind())
                            .withName(serviceMeta.getName())
                            .withUid(serviceMeta.getUid())
                            .withController(true)
                            .withBlockOwnerDeletion(true)
                            .build())
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    /**
     * What the task's templates are resolved with. {@code {{.Task.Slot}}} of a global task is its
     * node's ID, as swarm has it (a global task has no slot number).
     */
    public static TaskFacts facts(SwarmService service, TaskSlot slot, NodeFacts node, String podName) {
        ObjectMeta meta = service.getMetadata();
        String slotText = slot.isGlobal() ? (node == null ? "" : node.id()) : Integer.toString(slot.number());
        return new TaskFacts(meta.getUid(), meta.getName(), meta.getLabels(), podName, slotText, node);
    }

    /** The node {@link #pinToNode} pinned the pod to, if it did. */
    public static Optional<String> pinnedNode(Pod pod) {
        var affinity = pod.getSpec() == null ? null : pod.getSpec().getAffinity();
        if (affinity == null || affinity.getNodeAffinity() == null
                || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return Optional.empty();
        }
        for (var term : affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()) {
            for (var field : term.getMatchFields() == null ? List.<NodeSelectorRequirement>of()
                    : term.getMatchFields()) {
                if ("metadata.name".equals(field.getKey()) && "In".equals(field.getOperator()) && field.getValues() != null
                        && field.getValues().size() == 1) {
                    return Optional.of(field.getValues().get(0));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The embedded DNS server first, then the cluster's search path, so {@code my-web} resolves on
     * the overlay and {@code kubernetes.default} still resolves through the cluster resolver the
     * embedded server forwards to. A template's own searches and options are kept after ours; its
     * nameservers are not, since anything but 127.0.0.11 would bypass overlay names.
     */
    private static PodDNSConfig dnsConfig(PodDNSConfig fromTemplate, String namespace, String clusterDomain) {
        LinkedHashSet<String> searches = new LinkedHashSet<>(clusterSearchPath(namespace, clusterDomain));
        List<PodDNSConfigOption> options = new ArrayList<>();
        options.add(new PodDNSConfigOption("ndots", "5"));
        if (fromTemplate != null) {
            if (fromTemplate.getSearches() != null) {
                searches.addAll(fromTemplate.getSearches());
            }
            if (fromTemplate.getOptions() != null) {
                for (PodDNSConfigOption option : fromTemplate.getOptions()) {
                    if (!Objects.equals(option.getName(), "ndots")) {
                        options.add(option);
                    } else {
                        options.set(0, option);
                    }
                }
            }
        }
        return new PodDNSConfigBuilder()
                .withNameservers(SwarmnetKeys.EMBEDDED_DNS_ADDRESS)
                .withSearches(new ArrayList<>(searches))
                .withOptions(options)
                .build();
    }

    /**
     * The template's nodeSelector, plus: only Linux nodes where a swarmnet agent runs (it labels its
     * node). Without it the scheduler could place a task where nothing attaches it, and the task
     * would wait for its readiness gate forever.
     */
    static Map<String, String> onAgentNodes(Map<String, String> fromTemplate) {
        Map<String, String> selector = fromTemplate == null ? new LinkedHashMap<>() : new LinkedHashMap<>(fromTemplate);
        selector.put(SwarmnetKeys.LABEL_NODE_AGENT, SwarmnetKeys.NODE_AGENT_PRESENT);
        selector.putIfAbsent(SwarmnetKeys.LABEL_NODE_OS, "linux");
        return selector;
    }

    /**
     * Pins a global task to its node through required node affinity on the node's name, as the
     * DaemonSet controller does, rather than spec.nodeName: the scheduler still checks resources,
     * so an overcommitted node leaves the task Pending instead of failing it in a loop.
     */
    /**
     * Swarm spreads a service's replicas over the nodes; the Kubernetes scheduler does not on its own
     * (three tasks created together landed on one node of two). A soft constraint, as swarm's spread is
     * a preference: a task still runs when only one node can take it. A template's own constraints win.
     */
    private static void spreadOverNodes(PodSpec spec, String service) {
        spec.setTopologySpreadConstraints(List.of(new TopologySpreadConstraintBuilder()
                .withMaxSkew(1)
                .withTopologyKey("kubernetes.io/hostname")
                .withWhenUnsatisfiable("ScheduleAnyway")
                .withNewLabelSelector().addToMatchLabels(SwarmnetKeys.LABEL_SERVICE, service).endLabelSelector()
                .build()));
    }

    private static void pinToNode(PodSpec spec, String nodeName) {
        var pin = new NodeSelectorTermBuilder()
                .withMatchFields(new NodeSelectorRequirementBuilder()
                        .withKey("metadata.name").withOperator("In").withValues(nodeName).build())
                .build();
        var affinity = spec.getAffinity() == null ? new AffinityBuilder() : new AffinityBuilder(spec.getAffinity());
        spec.setAffinity(affinity
                .withNewNodeAffinity()
                    .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                        .withNodeSelectorTerms(pin)
                    .endRequiredDuringSchedulingIgnoredDuringExecution()
                    .withPreferredDuringSchedulingIgnoredDuringExecution(
                            spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? List.of()
                                    : spec.getAffinity().getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
                .endNodeAffinity()
                .build());
    }
}
