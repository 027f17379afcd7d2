package io.swarmnet.operator.network;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.operator.ipam.ClusterRangeSources;
import io.swarmnet.operator.ipam.ClusterRangeSources.Holds;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what the cluster says about its own address ranges (everything but Nodes, which the
 * reconciler already watches): ServiceCIDRs, the {@code kubernetes} Service, the control plane's
 * flags, Calico IPPools, Cilium's pools and a sample of pod addresses. Kinds are looked up through
 * API discovery first: a CRD that is not installed is no error, and nothing is read of it.
 *
 * <p>A periodic read rather than informers: these objects are few and change rarely, an informer on
 * a CRD that is installed later would have to be started then, and a new network asks for a fresh
 * read anyway ({@link #sources(Duration)} with age zero), so it never lands in a range that just appeared.
 */
public final class ClusterRangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRangeReader.class);
    static final String KUBE_SYSTEM = "kube-system";
    /** Cilium's agent configuration; in cluster-pool IPAM (its default) it names the whole pod range. */
    public static final String CILIUM_CONFIG = "cilium-config";
    static final String CILIUM_CLUSTER_POOL_KEY = "cluster-pool-ipv4-cidr";
    /** The Service the API server keeps in {@code default}; its ClusterIP is the first address of the Service range. */
    public static final String KUBERNETES_SERVICE = "kubernetes";
    /** Pods whose addresses are checked against the known ranges; any pod range in use shows up among a hundred pods. */
    static final long POD_SAMPLE = 100;

    private final KubernetesClient client;
    private final Clock clock;
    private ClusterRangeSources last;
    private Instant readStartedAt;

    public ClusterRangeReader(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /**
     * The cluster's sources from a read that began at most {@code maxAge} before this call; zero
     * asks for a read that begins now. Reads are serialized, and callers that waited for one read
     * are all served by the next: networks created at once share two reads, not one each.
     */
    public ClusterRangeSources sources(Duration maxAge) {
        Instant oldestAccepted = clock.instant().minus(maxAge);
        synchronized (this) {
            if (last == null || readStartedAt.isBefore(oldestAccepted)) {
                Instant started = clock.instant();
                ClusterRangeSources read = read();
                if (!read.equals(last)) {
                    LOG.info("cluster ranges: {} found, {} addresses in use checked{}", read.ranges().size(), read.addressesInUse().size(),
                            read.unreadable().isEmpty() ? "" : ", unreadable: " + read.unreadable());
                }
                last = read;
                readStartedAt = started;
            }
            return last;
        }
    }

    /** One read of every source. */
    ClusterRangeSources read() {
        ClusterRangeSources.Builder found = ClusterRangeSources.builder();
        serviceCidrs(found);
        kubernetesService(found);
        controlPlaneFlags(found);
        calicoPools(found);
        ciliumPools(found);
        podAddresses(found);
        return found.build();
    }

    /** ServiceCIDR objects (networking.k8s.io/v1 since Kubernetes 1.33, v1beta1 in 1.31-1.32 where enabled). */
    private void serviceCidrs(ClusterRangeSources.Builder found) {
        for (String version : List.of("v1", "v1beta1")) {
            Optional<List<GenericKubernetesResource>> cidrs = list(found, "networking.k8s.io", version, "servicecidrs", "ServiceCIDR");
            if (cidrs.isPresent()) {
                cidrs.get().forEach(c -> strings(c.get("spec", "cidrs"))
                        .forEach(cidr -> found.range(Holds.SERVICES, "ServiceCIDR " + c.getMetadata().getName(), cidr)));
                return;
            }
        }
    }

    private void kubernetesService(ClusterRangeSources.Builder found) {
        String source = "the " + KUBERNETES_SERVICE + " Service's ClusterIP";
        try {
            Service service = client.services().inNamespace("default").withName(KUBERNETES_SERVICE).get();
            if (service == null || service.getSpec() == null) {
                return;
            }
            List<String> ips = service.getSpec().getClusterIPs() != null && !service.getSpec().getClusterIPs().isEmpty()
                    ? service.getSpec().getClusterIPs() : strings(service.getSpec().getClusterIP());
            ips.stream().filter(ip -> !ip.contains(":") && !"None".equals(ip)).forEach(ip -> found.inUse(Holds.SERVICES, source, ip));
        } catch (KubernetesClientException e) {
            found.unreadable("Service default/" + KUBERNETES_SERVICE, why(e));
        }
    }

    /**
     * The flags of a control plane that runs as static pods (kubeadm): the API server's Service range
     * and the controller manager's pod range.
     */
    private void controlPlaneFlags(ClusterRangeSources.Builder found) {
        List<Pod> pods;
        try {
            pods = KubernetesClients.listInPages(client.pods().inNamespace(KUBE_SYSTEM)
                    .withLabelIn("component", "kube-apiserver", "kube-controller-manager")::list);
        } catch (KubernetesClientException e) {
            found.unreadable("control plane pods in " + KUBE_SYSTEM, why(e));
            return;
        }
        for (Pod pod : pods) {
            for (Container container : pod.getSpec() == null ? List.<Container>of() : pod.getSpec().getContainers()) {
                List<String> words = new ArrayList<>();
                if (container.getCommand() != null) {
                    words.addAll(container.getCommand());
                }
                if (container.getArgs() != null) {
                    words.addAll(container.getArgs());
                }
                String where = "pod " + KUBE_SYSTEM + "/" + pod.getMetadata().getName();
                flag(words, "--service-cluster-ip-range")
                        .forEach(c -> found.range(Holds.SERVICES, "kube-apiserver " + where + " --service-cluster-ip-range", c));
                flag(words, "--cluster-cidr")
                        .forEach(c -> found.range(Holds.PODS, "kube-controller-manager " + where + " --cluster-cidr", c));
            }
        }
    }

    /** Calico's pools: the CRDs (crd.projectcalico.org/v1), or its API server's projectcalico.org/v3 where only that is served. */
    private void calicoPools(ClusterRangeSources.Builder found) {
        Optional<List<GenericKubernetesResource>> pools = list(found, "crd.projectcalico.org", "v1", "ippools", "IPPool");
        if (pools.isEmpty()) {
            pools = list(found, "projectcalico.org", "v3", "ippools", "IPPool");
        }
        pools.ifPresent(ps -> ps.forEach(p -> strings(p.get("spec", "cidr"))
                .forEach(cidr -> found.range(Holds.PODS, "Calico IPPool " + p.getMetadata().getName(), cidr))));
    }

    /** Cilium's multi-pool IPAM pools and, where Cilium runs, its cluster-pool range from cilium-config. */
    private void ciliumPools(ClusterRangeSources.Builder found) {
        list(found, "cilium.io", "v2alpha1", "ciliumpodippools", "CiliumPodIPPool").ifPresent(ps -> ps.forEach(p ->
                strings(p.get("spec", "ipv4", "cidrs")).forEach(cidr -> found.range(Holds.PODS, "CiliumPodIPPool " + p.getMetadata().getName(), cidr))));
        if (!served(found, "cilium.io", "v2", "ciliumnodes")) {
            return;
        }
        try {
            ConfigMap config = client.configMaps().inNamespace(KUBE_SYSTEM).withName(CILIUM_CONFIG).get();
            String pool = config == null || config.getData() == null ? null : config.getData().get(CILIUM_CLUSTER_POOL_KEY);
            if (pool != null) {
                for (String cidr : pool.trim().split("[\\s,]+")) {
                    if (!cidr.isEmpty()) {
                        found.range(Holds.PODS, "Cilium cluster-pool (ConfigMap " + KUBE_SYSTEM + "/" + CILIUM_CONFIG + " "
                                + CILIUM_CLUSTER_POOL_KEY + ")", cidr);
                    }
                }
            }
        } catch (KubernetesClientException e) {
            found.unreadable("ConfigMap " + KUBE_SYSTEM + "/" + CILIUM_CONFIG, why(e));
        }
    }

    /** Addresses of up to {@link #POD_SAMPLE} pods not on the host network: some known or configured range must hold each. */
    private void podAddresses(ClusterRangeSources.Builder found) {
        List<Pod> pods;
        try {
            pods = client.pods().inAnyNamespace().list(new ListOptionsBuilder().withLimit(POD_SAMPLE).build()).getItems();
        } catch (KubernetesClientException e) {
            found.unreadable("pods", why(e));
            return;
        }
        for (Pod pod : pods.stream().limit(POD_SAMPLE).toList()) {
            if (pod.getStatus() == null || (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork()))) {
                continue;
            }
            List<String> ips = pod.getStatus().getPodIPs() != null && !pod.getStatus().getPodIPs().isEmpty()
                    ? pod.getStatus().getPodIPs().stream().map(PodIP::getIp).filter(Objects::nonNull).toList()
                    : strings(pod.getStatus().getPodIP());
            String source = "pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
            ips.stream().filter(ip -> !ip.contains(":")).forEach(ip -> found.inUse(Holds.PODS, source, ip));
        }
    }

    /** The objects of a kind when the API serves it; empty when it does not (or they could not be read: noted in {@code found}). */
    private Optional<List<GenericKubernetesResource>> list(ClusterRangeSources.Builder found, String group, String version, String plural,
                                                           String kind) {
        if (!served(found, group, version, plural)) {
            return Optional.empty();
        }
        try {
            return Optional.of(KubernetesClients.listInPages(client.genericKubernetesResources(new ResourceDefinitionContext.Builder()
                    .withGroup(group).withVersion(version).withPlural(plural).withKind(kind).withNamespaced(false).build())::list));
        } catch (KubernetesClientException e) {
            found.unreadable(plural + "." + group + "/" + version, why(e));
            return Optional.empty();
        }
    }

    private boolean served(ClusterRangeSources.Builder found, String group, String version, String plural) {
        try {
            APIResourceList resources = client.getApiResources(group + "/" + version);
            return resources != null && resources.getResources() != null
                    && resources.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            found.unreadable("API discovery of " + group + "/" + version, why(e));
            return false;
        }
    }

    /** The values of a command-line flag, as {@code --flag=a,b} or {@code --flag a,b}. */
    static List<String> flag(List<String> words, String flag) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            String value = word.startsWith(flag + "=") ? word.substring(flag.length() + 1)
                    : word.equals(flag) && i + 1 < words.size() ? words.get(i + 1) : null;
            if (value != null) {
                for (String v : value.split(",")) {
                    if (!v.isBlank()) {
                        values.add(v.trim());
                    }
                }
            }
        }
        return values;
    }

    /** A field that holds a string or a list of strings, as a list. */
    private static List<String> strings(Object value) {
        if (value instanceof String s) {
            return s.isBlank() ? List.of() : List.of(s);
        }
        if (value instanceof List<?> list) {
            return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
        }
        return List.of();
    }

    private static String why(KubernetesClientException e) {
        return e.getCode() == 403 ? "forbidden (HTTP 403)" : e.getCode() > 0 ? "HTTP " + e.getCode() : String.valueOf(e.getMessage());
    }
}
