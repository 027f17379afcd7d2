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
 * Decides which names a pod resolves locally, from the services and pods that share a network with it.
 * A service on no network the pod is attached to contributes nothing: its names are forwarded like
 * any other name, exactly as Docker scopes service discovery to a network.
 *
 * <p>Networks are given as each object's namespace records them: {@code my-network} for a network of its own namespace,
 * {@code infra/proxy} for one another namespace shares with it; two records name one network when they resolve to the same
 * namespace and name. A network shared across namespaces can carry services of one name from several namespaces (two
 * stacks both have {@code web}), where Docker's service names are unique in the swarm. So every name is answered for one
 * namespace only: the asking pod's own when it has an entry of that name, otherwise the one namespace that has; a name
 * several other namespaces claim is not ours (it is forwarded, and normally not found). Every name of an entry of
 * namespace {@code X} is also answered as {@code <name>.X} ({@code web.shop}, {@code tasks.web.shop}), which always tells
 * them apart.
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
     * @param podNetworks  the networks the pod is attached to, as its namespace records them
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
        SharedNetworks shared = new SharedNetworks(podNamespace, podNetworks);
        Names names = new Names(podNamespace);
        for (ServiceEndpoints service : services) {
            String namespace = service.namespace();
            for (String network : sortedShared(service, shared)) {
                String suffix = NetworkName.of(network);
                List<IpAddress> taskAddresses = new ArrayList<>();
                for (ServiceEndpoints.TaskEndpoint task : service.tasks()) {
                    if (task.network().equals(network)) {
                        taskAddresses.add(task.address());
                        names.add(namespace, task.name(), suffix, List.of(task.address()), TASK_TTL_SECONDS, false);
                        names.pointer(task.address(), namespace, task.name(), suffix);
                    }
                }
                taskAddresses.sort(null);
                List<String> serviceNames = new ArrayList<>();
                serviceNames.add(service.name());
                serviceNames.addAll(service.aliases().getOrDefault(network, List.of()));
                IpAddress vip = service.vips().get(network);
                for (String name : serviceNames) {
                    names.add(namespace, "tasks." + name, suffix, taskAddresses, TASK_TTL_SECONDS, false);
                    if (service.mode() == EndpointMode.VIP && vip != null) {
                        names.add(namespace, name, suffix, List.of(vip), VIP_TTL_SECONDS, false);
                    } else if (service.mode() == EndpointMode.DNSRR) {
                        names.add(namespace, name, suffix, taskAddresses, TASK_TTL_SECONDS, true);
                    }
                }
                if (service.mode() == EndpointMode.VIP && vip != null) {
                    names.pointer(vip, namespace, service.name(), suffix);
                }
            }
        }
        for (PodEndpoint pod : pods) {
            if (!shared.contains(pod.namespace(), pod.network())) {
                continue;
            }
            String suffix = NetworkName.of(pod.network());
            List<String> podNames = new ArrayList<>();
            podNames.add(pod.name());
            podNames.addAll(pod.aliases());
            for (String name : podNames) {
                names.add(pod.namespace(), name, suffix, List.of(pod.address()), TASK_TTL_SECONDS, false);
            }
            names.pointer(pod.address(), pod.namespace(), pod.name(), suffix);
        }
        return names.table(searches);
    }

    /** The service's networks the pod shares, in name order (as before: a stable order of answers). */
    private static List<String> sortedShared(ServiceEndpoints service, SharedNetworks shared) {
        List<String> networks = new ArrayList<>();
        for (String network : service.networks()) {
            if (shared.contains(service.namespace(), network)) {
                networks.add(network);
            }
        }
        networks.sort(null);
        return networks;
    }

    /** 10.0.9.3 → 3.9.0.10.in-addr.arpa */
    static String reverseName(IpAddress address) {
        return address.octet(3) + "." + address.octet(2) + "." + address.octet(1) + "." + address.octet(0) + ".in-addr.arpa";
    }

    /** The networks of the asking pod, to test cheaply whether another object's record names one of them. */
    private static final class SharedNetworks {
        /** Network name → the namespaces of the pod's networks of that name. */
        private final Map<String, Set<String>> byName = new HashMap<>();

        SharedNetworks(String podNamespace, Set<String> podNetworks) {
            for (String network : podNetworks) {
                byName.computeIfAbsent(NetworkName.of(network), n -> new HashSet<>(2)).add(NetworkName.namespaceOf(network, podNamespace));
            }
        }

        /** Whether {@code network}, as an object of {@code namespace} records it, is one of the pod's. */
        boolean contains(String namespace, String network) {
            Set<String> namespaces = byName.get(NetworkName.of(network));
            return namespaces != null && namespaces.contains(NetworkName.namespaceOf(network, namespace));
        }
    }

    /** The parts of a network as a namespace records it ({@code proxy}, {@code infra/proxy}), without checking its syntax. */
    private static final class NetworkName {
        private NetworkName() {
        }

        static String of(String recorded) {
            int slash = recorded.indexOf('/');
            return slash < 0 ? recorded : recorded.substring(slash + 1);
        }

        static String namespaceOf(String recorded, String ownNamespace) {
            int slash = recorded.indexOf('/');
            return slash < 0 ? ownNamespace : recorded.substring(0, slash);
        }
    }

    /** Every name offered to the pod, by the namespace of what it names, until {@link #table} picks one namespace per name. */
    private static final class Names {
        private final String podNamespace;
        /** Name key → its answer for the first namespace that offered it (others, rarely, hang off it). */
        private final Map<String, Answer> byName = new HashMap<>();
        private final Map<String, String> pointers = new HashMap<>();

        Names(String podNamespace) {
            this.podNamespace = podNamespace;
        }

        /** What one namespace answers for a name. */
        private static final class Answer {
            final String namespace;
            final LinkedHashSet<IpAddress> addresses = new LinkedHashSet<>();
            int ttl = Integer.MAX_VALUE;
            boolean rotating;
            /** The answers of further namespaces for the same name; null while there is none (almost always). */
            Map<String, Answer> others;

            Answer(String namespace) {
                this.namespace = namespace;
            }

            Answer of(String other) {
                if (namespace.equals(other)) {
                    return this;
                }
                if (others == null) {
                    others = new HashMap<>(2);
                }
                return others.computeIfAbsent(other, Answer::new);
            }

            /** The answer for a pod of {@code podNamespace}, or null when the name is ambiguous for it. */
            Answer chosen(String podNamespace) {
                if (others == null || namespace.equals(podNamespace)) {
                    return this;
                }
                return others.get(podNamespace);
            }
        }

        /** {@code name}, {@code name.<network>} and {@code name.<namespace>}, for an entry of {@code namespace}. */
        void add(String namespace, String name, String network, List<IpAddress> values, int ttl, boolean rotating) {
            put(namespace, name, values, ttl, rotating);
            put(namespace, name + "." + network, values, ttl, rotating);
            put(namespace, name + "." + namespace, values, ttl, rotating);
        }

        private void put(String namespace, String name, List<IpAddress> values, int ttl, boolean rotating) {
            Answer answer = byName.computeIfAbsent(NameTable.key(name), k -> new Answer(namespace)).of(namespace);
            answer.addresses.addAll(values);
            answer.ttl = Math.min(answer.ttl, ttl);
            answer.rotating |= rotating;
        }

        /**
         * The PTR of an address: {@code name.<network>} for what the pod's own namespace holds, {@code name.<namespace>} for
         * what another holds (the name that always resolves back).
         */
        void pointer(IpAddress address, String namespace, String name, String network) {
            pointers.put(reverseName(address), name + "." + (namespace.equals(podNamespace) ? network : namespace));
        }

        NameTable table(List<String> searches) {
            Map<String, List<IpAddress>> addresses = new HashMap<>();
            Map<String, Integer> ttls = new HashMap<>();
            Set<String> rotating = new HashSet<>();
            byName.forEach((name, offered) -> {
                // several other namespaces have it and the pod's has not: not ours; <name>.<namespace> tells them apart
                Answer answer = offered.chosen(podNamespace);
                if (answer == null) {
                    return;
                }
                addresses.put(name, List.copyOf(answer.addresses));
                ttls.put(name, answer.ttl);
                if (answer.rotating) {
                    rotating.add(name);
                }
            });
            return new NameTable(addresses, rotating, pointers, ttls, searches);
        }
    }
}
