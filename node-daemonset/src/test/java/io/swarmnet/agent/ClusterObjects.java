package io.swarmnet.agent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.api.service.EndpointMode;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.VirtualIP;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Small builders for the cluster objects the node agent reads: Nodes, OverlayNetworks, SwarmServices, task Pods. */
public final class ClusterObjects {

    public static final String NS = "default";

    private ClusterObjects() {
    }

    /** Creates a network or service in the API together with the status the operator would have written. */
    public static <T extends HasMetadata> T createWithStatus(KubernetesClient client, T object) {
        Object status = object instanceof OverlayNetwork n ? n.getStatus() : ((SwarmService) object).getStatus();
        T created = client.resource(object).create();
        if (created instanceof OverlayNetwork n) {
            n.setStatus((OverlayNetworkStatus) status);
        } else {
            ((SwarmService) created).setStatus((SwarmServiceStatus) status);
        }
        return client.resource(created).updateStatus();
    }

    /** Creates a pod built here, then writes its status (the API server assigns the uid; the builders' made-up one is not sent). */
    public static Pod createPod(KubernetesClient client, Pod pod) {
        pod.getMetadata().setUid(null);
        Pod created = client.resource(pod).create();
        if (pod.getStatus() == null) {
            return created;
        }
        created.setStatus(pod.getStatus());
        return client.resource(created).updateStatus();
    }

    /** The {@code index}-th address of 10.0.0.0/12, for benchmarks that number thousands of tasks and VIPs. */
    public static String address(int index) {
        return "10." + (index >> 16) + "." + ((index >> 8) & 255) + "." + (index & 255);
    }

    public static Node node(String name, String internalIp) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).withUid("uid-node-" + name).endMetadata();
        if (internalIp != null) {
            b.withNewStatus().addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
                    .addNewAddress().withType("Hostname").withAddress(name).endAddress().endStatus();
        }
        return b.build();
    }

    public static NetworkBuilder network(String name) {
        return new NetworkBuilder(name);
    }

    public static ServiceBuilder service(String name) {
        return new ServiceBuilder(name);
    }

    public static TaskBuilder task(String name, String service) {
        return new TaskBuilder(name, service);
    }

    /**
     * A pod that is no task, joined to attachable networks as the operator leaves it: label swarmnet.io/attached-pod, its
     * addresses, and the networks it asked for in order (those of {@link TaskBuilder#address}, with {@link TaskBuilder#aliases}).
     */
    public static TaskBuilder attachedPod(String name) {
        return new TaskBuilder(name, null);
    }

    public static final class NetworkBuilder {
        private final OverlayNetwork network = new OverlayNetwork();
        private final OverlayNetworkSpec spec = new OverlayNetworkSpec();
        private OverlayNetworkStatus status;

        NetworkBuilder(String name) {
            network.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withUid("uid-net-" + name).build());
        }

        public NetworkBuilder namespace(String namespace) {
            network.getMetadata().setNamespace(namespace);
            return this;
        }

        /** Allocated: status subnet, gateway and VXLAN id, as the operator writes them. */
        public NetworkBuilder allocated(String subnet, String gateway, int vxlanId) {
            status = new OverlayNetworkStatus();
            status.setSubnet(subnet);
            status.setGateway(gateway);
            status.setVxlanId(vxlanId);
            return this;
        }

        public NetworkBuilder created(String timestamp) {
            network.getMetadata().setCreationTimestamp(timestamp);
            return this;
        }

        public NetworkBuilder encrypted() {
            spec.setEncrypted(true);
            return this;
        }

        public NetworkBuilder internal(boolean internal) {
            spec.setInternal(internal);
            return this;
        }

        /** Shared with every namespace (spec.shareWith.namespaceSelector: {}). */
        public NetworkBuilder shared() {
            spec.setShareWith(new io.swarmnet.api.network.NetworkSharing(new io.swarmnet.api.network.NamespaceSelector()));
            return this;
        }

        public NetworkBuilder mtu(int mtu) {
            spec.setMtu(mtu);
            return this;
        }

        public OverlayNetwork build() {
            network.setSpec(spec);
            network.setStatus(status);
            return network;
        }
    }

    public static final class ServiceBuilder {
        private final SwarmService service = new SwarmService();
        private final SwarmServiceSpec spec = new SwarmServiceSpec();
        private final SwarmServiceStatus status = new SwarmServiceStatus();

        ServiceBuilder(String name) {
            service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withUid("uid-svc-" + name).build());
            spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
                    .withContainers(new ContainerBuilder().withName("main").withImage("busybox").build()).endSpec().build());
        }

        public ServiceBuilder namespace(String namespace) {
            service.getMetadata().setNamespace(namespace);
            return this;
        }

        public ServiceBuilder network(String network, String... aliases) {
            NetworkAttachment attachment = new NetworkAttachment(network);
            attachment.setAliases(new ArrayList<>(List.of(aliases)));
            spec.getNetworks().add(attachment);
            return this;
        }

        /** A network another namespace shares with the service's (spec.networks[].namespace). */
        public ServiceBuilder sharedNetwork(String namespace, String network, String... aliases) {
            NetworkAttachment attachment = new NetworkAttachment(namespace, network);
            attachment.setAliases(new ArrayList<>(List.of(aliases)));
            spec.getNetworks().add(attachment);
            return this;
        }

        public ServiceBuilder vip(String network, String address) {
            status.getVirtualIPs().add(new VirtualIP(network, address));
            return this;
        }

        public ServiceBuilder dnsrr() {
            spec.setEndpointMode(EndpointMode.DNSRR);
            return this;
        }

        public SwarmService build() {
            service.setSpec(spec);
            service.setStatus(status);
            return service;
        }
    }

    public static final class TaskBuilder {
        private final String name;
        private final String service;
        private String namespace = NS;
        private String node;
        private final Map<String, String> addresses = new LinkedHashMap<>();
        private String rawAnnotation;
        private String phase;
        private boolean containersReady;
        private Boolean attached;
        private boolean deleting;
        private String podIp;
        private final Map<String, List<String>> aliases = new LinkedHashMap<>();

        TaskBuilder(String name, String service) {
            this.name = name;
            this.service = service;
        }

        public TaskBuilder namespace(String namespace) {
            this.namespace = namespace;
            return this;
        }

        public TaskBuilder on(String node) {
            this.node = node;
            return this;
        }

        public TaskBuilder address(String network, String address) {
            addresses.put(network, address);
            return this;
        }

        /** Replaces the address annotation with raw text, e.g. to make it malformed. */
        public TaskBuilder annotation(String raw) {
            this.rawAnnotation = raw;
            return this;
        }

        public TaskBuilder phase(String phase) {
            this.phase = phase;
            return this;
        }

        /** Running, containers ready, swarmnet.io/attached True: a task that receives traffic. */
        public TaskBuilder ready() {
            phase = "Running";
            containersReady = true;
            attached = true;
            return this;
        }

        /** Running with ready containers, but not (yet) attached by its node's agent. */
        public TaskBuilder runningUnattached() {
            phase = "Running";
            containersReady = true;
            attached = false;
            return this;
        }

        public TaskBuilder containersReady(boolean ready) {
            containersReady = ready;
            return this;
        }

        public TaskBuilder attached(boolean attached) {
            this.attached = attached;
            return this;
        }

        /** An attached pod's own DNS aliases on one of its networks. */
        public TaskBuilder aliases(String network, String... names) {
            aliases.put(network, List.of(names));
            return this;
        }

        /** The kubelet has reported the pod's sandbox: status.podIP (the primary network's address), phase Pending unless set. */
        public TaskBuilder sandbox(String podIp) {
            this.podIp = podIp;
            return this;
        }

        public TaskBuilder deleting() {
            deleting = true;
            return this;
        }

        public Pod build() {
            Map<String, String> annotations = new LinkedHashMap<>();
            if (rawAnnotation != null) {
                annotations.put(SwarmnetKeys.ANNOTATION_ADDRESSES, rawAnnotation);
            } else if (!addresses.isEmpty()) {
                annotations.put(SwarmnetKeys.ANNOTATION_ADDRESSES, addresses.entrySet().stream()
                        .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"").collect(Collectors.joining(",", "{", "}")));
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (service != null) {
                labels.put(SwarmnetKeys.LABEL_SERVICE, service);
            } else {
                labels.put(SwarmnetKeys.LABEL_ATTACHED_POD, SwarmnetKeys.ATTACHED_POD);
                Map<String, List<String>> asked = new LinkedHashMap<>();
                addresses.keySet().forEach(network -> asked.put(network, aliases.getOrDefault(network, List.of())));
                annotations.put(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS, new PodNetworkRequests(asked).format());
            }
            PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).withUid("uid-" + name)
                    .addToLabels(labels).addToAnnotations(annotations)
                    .withDeletionTimestamp(deleting ? "2026-11-25T12:00:00Z" : null).endMetadata()
                    .withNewSpec().withNodeName(node)
                    .addNewContainer().withName("main").withImage("busybox").endContainer()
                    .addNewReadinessGate().withConditionType(SwarmnetKeys.CONDITION_ATTACHED).endReadinessGate()
                    .endSpec();
            if (phase != null || podIp != null) {
                List<PodCondition> conditions = new ArrayList<>();
                conditions.add(condition("ContainersReady", containersReady));
                if (attached != null) {
                    conditions.add(condition(SwarmnetKeys.CONDITION_ATTACHED, attached));
                }
                b.withNewStatus().withPhase(phase == null ? "Pending" : phase).withConditions(conditions).withPodIP(podIp).endStatus();
            }
            return b.build();
        }

        private static PodCondition condition(String type, boolean status) {
            return new PodConditionBuilder().withType(type).withStatus(status ? "True" : "False").build();
        }
    }
}
