package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.RemoteEndpoint;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The static neighbour and FDB entries that make a network's remote tasks reachable through its VXLAN device (ARP is
 * answered by the device, 'proxy'; nothing is flooded), compared with what the device holds.
 *
 * <p>With 10,000 remote tasks a comparison is tens of thousands of map operations, while a backend change leaves both
 * sides as they were: the remote tasks are equal to last time, and the datapath hands in the very reading of the
 * namespace it handed in before (it keeps one until something changes devices). So what the tasks need is kept per
 * network for as long as they stay equal, and the comparison for as long as it is asked about the same reading. Every
 * answer is a function of the arguments alone: remembered or worked out, it is the same.
 */
final class RemoteEndpointEntries {

    private final Map<NetworkKey, Tasks> networks = new HashMap<>();

    /** The lines that bring a VXLAN device's entries to what the tasks need: {@code ip} lines, then {@code bridge} lines. */
    record Comparison(List<String> neighbourLines, List<String> fdbLines) {
        Comparison {
            neighbourLines = List.copyOf(neighbourLines);
            fdbLines = List.copyOf(fdbLines);
        }
    }

    /** The remote tasks of {@code network} as seen from the node at {@code underlay}. */
    Tasks of(NetworkDatapath network, IpAddress underlay) {
        Tasks known = networks.get(network.key());
        if (known != null && known.underlay.equals(underlay)
                && (known.endpoints == network.remoteEndpoints() || known.endpoints.equals(network.remoteEndpoints()))) {
            return known;
        }
        Tasks tasks = new Tasks(network.remoteEndpoints(), underlay);
        networks.put(network.key(), tasks);
        return tasks;
    }

    /** Forgets the networks not in {@code keys}. */
    void retain(Collection<NetworkKey> keys) {
        networks.keySet().retainAll(Set.copyOf(keys));
    }

    /** One network's remote tasks, what they need and the comparisons made with them, each worked out on first use. */
    static final class Tasks {
        private final List<RemoteEndpoint> endpoints;
        private final IpAddress underlay;
        private Set<IpAddress> addresses;
        private Map<IpAddress, MacAddress> neighbours;
        private Map<MacAddress, IpAddress> forwarding;
        private NetworkNamespaceState compared;
        private String comparedDevice;
        private Comparison comparison;
        private NetworkNamespaceState strayState;
        private Set<IpAddress> strays;

        private Tasks(List<RemoteEndpoint> endpoints, IpAddress underlay) {
            this.endpoints = endpoints;
            this.underlay = underlay;
        }

        /** The address of every remote task, wherever it runs. */
        Set<IpAddress> addresses() {
            if (addresses == null) {
                Set<IpAddress> all = new HashSet<>();
                endpoints.forEach(r -> all.add(r.address()));
                addresses = Set.copyOf(all);
            }
            return addresses;
        }

        /**
         * What brings {@code device}'s entries in {@code state} (null: a device that has none yet, such as one about to
         * be created) to what the tasks need: replacements in the tasks' order, then deletions in address order.
         */
        Comparison compare(NetworkNamespaceState state, String device) {
            if (comparison != null && compared == state && comparedDevice.equals(device)) {
                return comparison;
            }
            needed();
            Map<IpAddress, MacAddress> actualNeighbours = state == null ? Map.of() : state.neighbours();
            Map<MacAddress, IpAddress> actualFdb = state == null ? Map.of() : state.fdb();
            List<String> neighbourLines = new ArrayList<>();
            neighbours.forEach((address, mac) -> {
                if (!mac.equals(actualNeighbours.get(address))) {
                    neighbourLines.add("neigh replace " + address + " lladdr " + mac + " dev " + device + " nud permanent");
                }
            });
            actualNeighbours.keySet().stream().filter(a -> !neighbours.containsKey(a)).sorted()
                    .forEach(a -> neighbourLines.add("neigh del " + a + " dev " + device));
            List<String> fdbLines = new ArrayList<>();
            forwarding.forEach((mac, vtep) -> {
                if (!vtep.equals(actualFdb.get(mac))) {
                    fdbLines.add("fdb replace " + mac + " dev " + device + " dst " + vtep + " self permanent");
                }
            });
            actualFdb.entrySet().stream().filter(e -> !forwarding.containsKey(e.getKey()))
                    .sorted(Comparator.comparing(e -> e.getKey().value()))
                    .forEach(e -> fdbLines.add("fdb del " + e.getKey() + " dev " + device + " dst " + e.getValue() + " self"));
            compared = state;
            comparedDevice = device;
            comparison = new Comparison(neighbourLines, fdbLines);
            return comparison;
        }

        /** Addresses with a neighbour entry in {@code state} that are no remote task's (left the network, or run here now). */
        Set<IpAddress> strays(NetworkNamespaceState state) {
            if (strays == null || strayState != state) {
                Set<IpAddress> found = new HashSet<>();
                state.neighbours().keySet().forEach(a -> {
                    if (!addresses().contains(a)) {
                        found.add(a);
                    }
                });
                strayState = state;
                strays = Set.copyOf(found);
            }
            return strays;
        }

        private void needed() {
            if (neighbours != null) {
                return;
            }
            neighbours = new LinkedHashMap<>();
            forwarding = new LinkedHashMap<>();
            for (RemoteEndpoint remote : endpoints) {
                if (remote.vtep().equals(underlay)) {
                    continue; // a task on this node is reached through its veth, never through the VXLAN device
                }
                neighbours.putIfAbsent(remote.address(), remote.mac());
                forwarding.putIfAbsent(remote.mac(), remote.vtep());
            }
        }
    }
}
