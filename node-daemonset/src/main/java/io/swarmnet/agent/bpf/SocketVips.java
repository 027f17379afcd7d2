package io.swarmnet.agent.bpf;

import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Brings the {@link SocketLoadBalancer}'s maps to the VIPs of a node's pods, writing only what differs.
 *
 * <p>Each VIP is one group, numbered by its address (a VIP is unique among the networks a node's pods share, so one
 * VIP has one set of backends on the node), and each pod's namespace has a route per VIP of its networks. A backend
 * change of one service is then one group rewritten — its new slots, then its count — whatever the number of pods
 * that use it, and no route changes. What the maps hold is read from the kernel on the first call (the maps may have
 * been adopted from an earlier process) and after {@link #forget()} (the agent forgets at each resync, so what another
 * writer changed meanwhile is found), and remembered between.
 */
public final class SocketVips {

    private final SocketLoadBalancer balancer;
    private Map<IpAddress, List<IpAddress>> groups;
    private Map<Long, Set<IpAddress>> routes;

    /**
     * What one call changed, the VIPs it could not route (one VIP claimed with different backends by two pods), and the
     * backends that left each VIP, the VIP gone or not (the sockets balanced to them are to be ended).
     */
    public record Result(int groupsWritten, int groupsRemoved, int routesAdded, int routesRemoved, List<String> problems,
            Map<IpAddress, Set<IpAddress>> left) {
        public Result(int groupsWritten, int groupsRemoved, int routesAdded, int routesRemoved, List<String> problems) {
            this(groupsWritten, groupsRemoved, routesAdded, routesRemoved, problems, Map.of());
        }
    }

    public SocketVips(SocketLoadBalancer balancer) {
        this.balancer = balancer;
    }

    /**
     * {@code desired}: per pod namespace (by its cookie), its VIPs and each VIP's backends; a namespace not in it has
     * no route afterwards.
     */
    public Result apply(Map<Long, Map<IpAddress, List<IpAddress>>> desired) throws IOException {
        if (groups == null) {
            read();
        }
        List<String> problems = new ArrayList<>();
        Map<IpAddress, List<IpAddress>> wantedGroups = new HashMap<>();
        Map<Long, Set<IpAddress>> wantedRoutes = new HashMap<>();
        for (Map.Entry<Long, Map<IpAddress, List<IpAddress>>> pod : new TreeMap<>(desired).entrySet()) {
            Set<IpAddress> vips = new HashSet<>();
            for (Map.Entry<IpAddress, List<IpAddress>> vip : pod.getValue().entrySet()) {
                List<IpAddress> first = wantedGroups.putIfAbsent(vip.getKey(), vip.getValue());
                if (first != null && !first.equals(vip.getValue())) {
                    problems.add("VIP " + vip.getKey() + " has backends " + first + " in one pod and " + vip.getValue()
                            + " in another (network namespace cookie " + pod.getKey() + "): not routed there");
                    continue;
                }
                vips.add(vip.getKey());
            }
            wantedRoutes.put(pod.getKey(), vips);
        }

        int groupsWritten = 0;
        Map<IpAddress, Set<IpAddress>> left = new HashMap<>();
        for (Map.Entry<IpAddress, List<IpAddress>> group : wantedGroups.entrySet()) {
            List<IpAddress> had = groups.get(group.getKey());
            if (!group.getValue().equals(had)) {
                if (had != null) {
                    Set<IpAddress> gone = new HashSet<>(had);
                    group.getValue().forEach(gone::remove);
                    if (!gone.isEmpty()) {
                        left.put(group.getKey(), gone);
                    }
                }
                balancer.backends(group(group.getKey()), group.getValue(), had == null ? 0 : had.size());
                groups.put(group.getKey(), List.copyOf(group.getValue()));
                groupsWritten++;
            }
        }
        int routesAdded = 0;
        int routesRemoved = 0;
        Set<Long> namespaces = new HashSet<>(routes.keySet());
        namespaces.addAll(wantedRoutes.keySet());
        for (long namespace : namespaces) {
            Set<IpAddress> want = wantedRoutes.getOrDefault(namespace, Set.of());
            Set<IpAddress> have = routes.computeIfAbsent(namespace, n -> new HashSet<>());
            for (IpAddress vip : want) {
                if (!have.contains(vip)) {
                    balancer.route(namespace, vip, group(vip));
                    have.add(vip);
                    routesAdded++;
                }
            }
            for (IpAddress vip : List.copyOf(have)) {
                if (!want.contains(vip)) {
                    balancer.unroute(namespace, vip);
                    have.remove(vip);
                    routesRemoved++;
                }
            }
            if (have.isEmpty()) {
                routes.remove(namespace);
            }
        }
        int groupsRemoved = 0;
        for (IpAddress vip : List.copyOf(groups.keySet())) {
            if (!wantedGroups.containsKey(vip)) {
                List<IpAddress> had = groups.remove(vip);
                balancer.removeGroup(group(vip), had.size());
                if (!had.isEmpty()) {
                    left.put(vip, Set.copyOf(had));
                }
                groupsRemoved++;
            }
        }
        return new Result(groupsWritten, groupsRemoved, routesAdded, routesRemoved, problems, left);
    }

    /**
     * Whether the maps are known to route nothing: an {@link #apply} ran (or read them) and left no route in any
     * namespace. Unknown (never applied, or forgotten) is not nothing.
     */
    public synchronized boolean routesNothing() {
        return routes != null && routes.values().stream().allMatch(Set::isEmpty);
    }

    /** Forgets what was written: the next {@link #apply} reads the maps from the kernel first. */
    public void forget() {
        groups = null;
        routes = null;
    }

    /** Both maps read, or neither taken: a read that fails half-way leaves the next apply to read again. */
    private void read() throws IOException {
        Map<IpAddress, List<IpAddress>> readGroups = new HashMap<>();
        balancer.groups().forEach((group, backends) -> readGroups.put(new IpAddress(group & 0xffffffffL), backends));
        Map<Long, Set<IpAddress>> readRoutes = balancer.routes();
        groups = readGroups;
        routes = readRoutes;
    }

    /** A VIP's group: its address as a number. */
    static int group(IpAddress vip) {
        return (int) vip.value();
    }
}
