package io.swarmnet.agent.dns;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which names a pod resolves locally, from the services that share a network with it.
 * A service on no network the pod is attached to contributes nothing: its names are forwarded like
 * any other name, exactly as Docker scopes service discovery to a network.
 */
public final class DnsRecords {

    /**
     * TTL of answers that list tasks (tasks.NAME, dnsrr names, task names). Docker answers 600 s, so
     * clients keep dialling dead tasks (moby#30464); ours leave the answers within a second of a
     * cluster change, so a longer client cache would only hide that.
     */
    public static final int TASK_TTL_SECONDS = 1;
    /** TTL of a virtual IP: it lives as long as the service, but may go with it. */
    public static final int VIP_TTL_SECONDS = 10;

    private DnsRecords() {
    }

    /**
     * @param podNamespace namespace of the asking pod (networks and services are namespaced)
     * @param podNetworks  names of the networks the pod is attached to
     */
    public static NameTable forPod(String podNamespace, Set<String> podNetworks, Collection<ServiceEndpoints> services) {
        return forPod(podNamespace, podNetworks, services, List.of());
    }

    /** @param searches the pod's DNS search domains (its spec.dnsConfig.searches) */
    public static NameTable forPod(String podNamespace, Set<String> podNetworks, Collection<ServiceEndpoints> services,
            List<String> searches) {
        return forPod(podNamespace, podNetworks, services, List.of(), searches);
    }

    /**
     * @param pods ready pods that are no task, on attachable networks: their names and aliases resolve on the networks the
     *             asking pod shares with them, as task names do
     */
    public static NameTable forPod(String podNamespace, Set<String> podNetworks, Collection<ServiceEndpoints> services,
            Collection<PodEndpoint> pods, List<String> searches) {
        Map<String, LinkedHashSet<IpAddress>> addresses = new HashMap<>();
        Map<String, Integer> ttls = new HashMap<>();
        Set<String> rotating = new HashSet<>();
        Map<String, String> pointers = new HashMap<>();
        for (ServiceEndpoints service : services) {
            if (!service.namespace().equals(podNamespace)) {
                continue;
            }
            for (String network : sharedNetworks(service, podNetworks)) {
                List<IpAddress> taskAddresses = new ArrayList<>();
                for (ServiceEndpoints.TaskEndpoint task : service.tasks()) {
                    if (task.network().equals(network)) {
                        taskAddresses.add(task.address());
                        add(addresses, ttls, task.name(), List.of(task.address()), TASK_TTL_SECONDS);
                        add(addresses, ttls, task.name() + "." + network, List.of(task.address()), TASK_TTL_SECONDS);
                        pointers.put(reverseName(task.address()), task.name() + "." + network);
                    }
                }
                taskAddresses.sort(null);
                List<String> serviceNames = new ArrayList<>();
                serviceNames.add(service.name());
                serviceNames.addAll(service.aliases().getOrDefault(network, List.of()));
                for (String name : serviceNames) {
                    add(addresses, ttls, "tasks." + name, taskAddresses, TASK_TTL_SECONDS);
                    add(addresses, ttls, "tasks." + name + "." + network, taskAddresses, TASK_TTL_SECONDS);
                    IpAddress vip = service.vips().get(network);
                    if (service.mode() == EndpointMode.VIP && vip != null) {
                        add(addresses, ttls, name, List.of(vip), VIP_TTL_SECONDS);
                        add(addresses, ttls, name + "." + network, List.of(vip), VIP_TTL_SECONDS);
                    } else if (service.mode() == EndpointMode.DNSRR) {
                        add(addresses, ttls, name, taskAddresses, TASK_TTL_SECONDS);
                        add(addresses, ttls, name + "." + network, taskAddresses, TASK_TTL_SECONDS);
                        rotating.add(NameTable.key(name));
                        rotating.add(NameTable.key(name + "." + network));
                    }
                }
                IpAddress vip = service.vips().get(network);
                if (service.mode() == EndpointMode.VIP && vip != null) {
                    pointers.put(reverseName(vip), service.name() + "." + network);
                }
            }
        }
        for (PodEndpoint pod : pods) {
            if (!pod.namespace().equals(podNamespace) || !podNetworks.contains(pod.network())) {
                continue;
            }
            List<String> names = new ArrayList<>();
            names.add(pod.name());
            names.addAll(pod.aliases());
            for (String name : names) {
                add(addresses, ttls, name, List.of(pod.address()), TASK_TTL_SECONDS);
                add(addresses, ttls, name + "." + pod.network(), List.of(pod.address()), TASK_TTL_SECONDS);
            }
            pointers.put(reverseName(pod.address()), pod.name() + "." + pod.network());
        }
        Map<String, List<IpAddress>> frozen = new HashMap<>();
        addresses.forEach((name, set) -> frozen.put(name, List.copyOf(set)));
        return new NameTable(frozen, rotating, pointers, ttls, searches);
    }

    private static List<String> sharedNetworks(ServiceEndpoints service, Set<String> podNetworks) {
        Set<String> serviceNetworks = new java.util.TreeSet<>(service.networks());
        serviceNetworks.retainAll(podNetworks);
        return List.copyOf(serviceNetworks);
    }

    private static void add(Map<String, LinkedHashSet<IpAddress>> addresses, Map<String, Integer> ttls, String name,
            List<IpAddress> values, int ttl) {
        String key = NameTable.key(name);
        addresses.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(values);
        ttls.merge(key, ttl, Math::min);
    }

    /** 10.0.9.3 → 3.9.0.10.in-addr.arpa */
    static String reverseName(IpAddress address) {
        return address.octet(3) + "." + address.octet(2) + "." + address.octet(1) + "." + address.octet(0) + ".in-addr.arpa";
    }
}
