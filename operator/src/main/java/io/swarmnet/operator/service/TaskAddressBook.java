package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.service.template.TemplateException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses of task pods, from before each pod is created until it is gone from the cluster. A
 * task's addresses are allocated in the {@link AddressLedger} before its pod is created and written
 * into the pod; they are released once the pod is gone (not when it starts terminating, since it may
 * still answer on them): each reconcile compares the service's pods with those it last knew.
 * Shared by all reconcile threads.
 */
final class TaskAddressBook {

    /** Turns a task's allocated addresses into its created pod. */
    @FunctionalInterface
    interface PodCreation {
        Pod create(TaskAddresses addresses) throws TemplateException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(TaskAddressBook.class);

    private final AddressLedger ledger;
    /** Whether the pod cache shows a pod, by namespace and name. */
    private final BiPredicate<String, String> cached;
    /**
     * Pods ({@code namespace/name}) whose addresses are allocated but that the pod cache may not
     * show yet; the orphan sweep leaves their addresses alone.
     */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /**
     * Each service's task pods ({@code namespace/service} to pod name to its networks) as last seen
     * or created, so a pod that disappeared is noticed, and its addresses released, on the
     * service's next reconcile without scanning whole networks.
     */
    private final Map<String, Map<String, Set<String>>> knownTasks = new ConcurrentHashMap<>();

    TaskAddressBook(AddressLedger ledger, BiPredicate<String, String> cached) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.cached = Objects.requireNonNull(cached, "cached");
    }

    /**
     * Allocates the task's addresses, then has {@code creation} create its pod with them. The pod
     * name is reserved in flight first so that a concurrent orphan sweep does not take the addresses
     * back before the pod shows up in the cache. If the pod was certainly not created, they are given back at once; if the
     * API server's answer leaves that open ({@link #mayHaveCreated}), they stay held, and the {@link OrphanSweep} gives
     * them back once the API server confirms that no such pod exists — given back at once, they could be handed to another
     * task while the pod runs with them.
     */
    Pod create(String namespace, String podName, List<AllocatableNetwork> serviceNetworks, PodCreation creation)
            throws AddressPoolExhaustedException, TemplateException {
        String key = namespace + "/" + podName;
        AddressOwner owner = AddressOwner.task(podName);
        inFlight.add(key);
        boolean keep = false;
        try {
            Map<String, IpAddress> addresses = new TreeMap<>();
            for (AllocatableNetwork network : serviceNetworks) {
                addresses.put(network.name(), ledger.allocate(network, owner));
            }
            try {
                Pod created = creation.create(new TaskAddresses(addresses));
                keep = true;
                return created;
            } catch (KubernetesClientException e) {
                keep = mayHaveCreated(e);
                if (keep) {
                    LOG.warn("pod {}: the API server's answer to its creation leaves open whether it exists ({}); its addresses stay "
                            + "held until the API server shows it does not", key, e.getMessage());
                }
                throw e;
            }
        } finally {
            if (!keep) {
                // the pod does not exist: give its addresses back at once
                for (AllocatableNetwork network : serviceNetworks) {
                    ledger.release(namespace, network.name(), owner);
                }
            }
            inFlight.remove(key);
        }
    }

    /**
     * Whether a failed creation may still have created the pod: no answer came (a timeout, a connection lost after the request
     * was sent) or the server failed on its side (5xx: a 504 means the request may still be carried out). An answer of 4xx
     * means it did not.
     */
    static boolean mayHaveCreated(KubernetesClientException e) {
        return e.getCode() <= 0 || e.getCode() >= 500;
    }

    /** Notes every task pod the service has now, with its networks (seen ones and just created ones). */
    void remember(SwarmService service, List<Pod> created, List<AllocatableNetwork> serviceNetworks) {
        Map<String, Set<String>> known = knownTasks.computeIfAbsent(serviceKey(service), k -> new ConcurrentHashMap<>());
        Set<String> networkNames = new HashSet<>();
        serviceNetworks.forEach(n -> networkNames.add(n.name()));
        for (Pod pod : created) {
            known.put(pod.getMetadata().getName(), networkNames);
        }
    }

    /**
     * Releases the addresses of task pods this service had and that are gone from the cluster. A pod
     * missing from the cache is confirmed with the API first (the cache may lag behind), so a pod
     * that exists never loses its addresses.
     */
    void releaseVanished(KubernetesClient client, SwarmService service, List<Pod> taskPods) {
        String namespace = service.getMetadata().getNamespace();
        Map<String, Set<String>> known = knownTasks.computeIfAbsent(serviceKey(service), k -> new ConcurrentHashMap<>());
        Set<String> present = new HashSet<>();
        for (Pod pod : taskPods) {
            String name = pod.getMetadata().getName();
            present.add(name);
            known.put(name, new ObservedTask(pod).addresses().byNetwork().keySet());
        }
        for (var entry : new ArrayList<>(known.entrySet())) {
            String pod = entry.getKey();
            if (!present.contains(pod) && podGone(client, namespace, pod)) {
                for (String network : entry.getValue()) {
                    ledger.release(namespace, network, AddressOwner.task(pod));
                }
                known.remove(pod);
            }
        }
    }

    /** In-flight first, then the cache, then the API server: a creator leaves in-flight only once the API has the pod. */
    boolean podGone(KubernetesClient client, String namespace, String pod) {
        return !inFlight.contains(namespace + "/" + pod)
                && !cached.test(namespace, pod)
                && client.pods().inNamespace(namespace).withName(pod).get() == null;
    }

    /** Drops what is known of a deleted service's tasks. */
    void forget(SwarmService service) {
        knownTasks.remove(serviceKey(service));
    }

    private static String serviceKey(SwarmService service) {
        return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
    }
}
