package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.datapath.Plan.Step;
import io.swarmnet.agent.datapath.Plan.Tool;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The VIP part of a node's plan: per pod, the transaction that brings its VIP table to its rules, the flows still bound
 * for backends that leave ({@link StaleVipFlows}), and the table the pod has once the transaction ran.
 *
 * <p>The pods of a node mostly share their rules and their tables, so each distinct pair is worked out once, found by
 * identity ({@link Work}). And a table worked out here is one whose rules are known: when the datapath hands it in again
 * as what the kernel holds, the change is worked out from the rules that differ — one VIP of a thousand when a backend
 * comes or goes — and gives the lines, flows and table that comparing all thousand would give. A table read from the
 * kernel is compared whole.
 */
final class VipChanges {

    private final VipLoadBalancer balancer;
    // the tables of the latest plan, each with the rules it is exactly the expected table of
    private Map<VipTable, List<VipRule>> madeFrom = new IdentityHashMap<>();

    VipChanges(VipLoadBalancer balancer) {
        this.balancer = balancer;
    }

    /**
     * What the VIP part of a plan runs.
     *
     * @param transactions one nft step per pod whose table changes
     * @param staleFlows   one conntrack step per pod with flows to delete, to run after the transactions
     * @param tables       each programmed pod's table once its transaction ran
     */
    record Steps(List<Step> transactions, List<Step> staleFlows, Map<PodRef, VipTable> tables) {
    }

    /** The steps for every pod in {@code actual} that is not rejected: those of {@code pods} programmed, the others cleaned. */
    Steps plan(ActualNode actual, Map<PodRef, PodDatapath> pods, Map<PodRef, String> rejectedPods, NetworkTasks tasks) {
        List<Step> transactions = new ArrayList<>();
        List<Step> staleFlows = new ArrayList<>();
        Map<PodRef, VipTable> tables = new HashMap<>();
        Map<VipTable, List<VipRule>> made = new IdentityHashMap<>();
        Map<Work, Change> changes = new HashMap<>();
        for (Map.Entry<PodRef, PodNamespaceState> e : new TreeMap<>(actual.pods()).entrySet()) {
            PodRef ref = e.getKey();
            if (rejectedPods.containsKey(ref)) {
                continue;
            }
            PodDatapath pod = pods.get(ref);
            Change change = changes.computeIfAbsent(new Work(pod == null ? null : pod.vips(), e.getValue().vips()),
                    w -> change(w, tasks));
            Owner owner = new Owner.Pod(ref);
            if (!change.lines().isEmpty()) {
                transactions.add(new Step(Tool.NFT, e.getValue().namespace(), change.lines().stream().map(l -> new Command(l, owner)).toList()));
            }
            if (!change.stale().isEmpty()) {
                // skipped if the pod's transaction failed: its old backends are then still in the VIP
                staleFlows.add(new Step(Tool.CONNTRACK, e.getValue().namespace(),
                        change.stale().stream().map(f -> new Command(f.line(), owner, List.of(owner))).toList()));
            }
            if (pod != null) {
                tables.put(ref, change.table());
                made.put(change.table(), pod.vips());
            }
        }
        madeFrom = made;
        return new Steps(transactions, staleFlows, tables);
    }

    /**
     * A pod's VIP rules (null: the pod is no longer ours) and its VIP table as the kernel has it, compared by identity:
     * the desired state shares one list among the pods of the same networks and the datapath one remembered table
     * among pods with the same rules, so equal work is found without walking a thousand rules per pod.
     */
    private record Work(List<VipRule> rules, VipTable table) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Work w && w.rules == rules && w.table == table;
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(rules) + System.identityHashCode(table);
        }
    }

    /** The transaction's lines, the stale flows, and the table after (null for a pod no longer ours). */
    private record Change(List<String> lines, List<StaleVipFlows> stale, VipTable table) {
    }

    private Change change(Work work, NetworkTasks tasks) {
        if (work.rules() == null) {
            return new Change(balancer.removal(work.table()), List.of(), null);
        }
        List<VipRule> before = madeFrom.get(work.table());
        if (before == null) {
            Map<IpAddress, List<IpAddress>> desired = VipLoadBalancer.byVip(work.rules());
            return new Change(balancer.transaction(desired, work.table()), staleFlows(firstRules(work.rules(), null), work.table(),
                    work.rules(), tasks), balancer.expected(desired));
        }
        // the table is exactly what `before` gives: VIPs whose rule is the same need nothing, so only the others are compared
        Set<IpAddress> changed = VipLoadBalancer.changedVips(before, work.rules());
        Map<IpAddress, List<IpAddress>> desired = VipLoadBalancer.byVip(work.rules(), changed);
        VipTable concerned = balancer.only(work.table(), changed);
        return new Change(balancer.transaction(desired, concerned), staleFlows(firstRules(work.rules(), changed), concerned, work.rules(),
                tasks), balancer.expected(work.table(), changed, desired));
    }

    /** The first rule of each VIP, as {@link VipLoadBalancer#byVip} keeps it; of {@code vips} only unless null. */
    private static Map<IpAddress, VipRule> firstRules(List<VipRule> rules, Set<IpAddress> vips) {
        Map<IpAddress, VipRule> first = new HashMap<>();
        for (VipRule rule : rules) {
            if (vips == null || vips.contains(rule.vip())) {
                first.putIfAbsent(rule.vip(), rule);
            }
        }
        return first;
    }

    /**
     * Per backend that leaves one of the pod's VIPs, the connections still DNATed to it; and per task that left the
     * network, the TCP connections its VIPs kept for it when it left them only not ready. {@code rules} are the first
     * rules of at least the VIPs {@code actual} balances; {@code all} is the pod's every rule.
     */
    private static List<StaleVipFlows> staleFlows(Map<IpAddress, VipRule> rules, VipTable actual, List<VipRule> all, NetworkTasks tasks) {
        Set<StaleVipFlows> stale = new HashSet<>();
        actual.balanced().forEach((vip, backends) -> {
            VipRule rule = rules.get(vip);
            List<IpAddress> kept = rule == null ? List.of() : rule.backends();
            backends.stream().filter(b -> !kept.contains(b))
                    .forEach(b -> stale.add(new StaleVipFlows(vip, b, rule != null && tasks.isTask(rule.network(), b))));
        });
        if (tasks.anyGone()) {
            firstRules(all, null).values().forEach(rule -> tasks.gone(rule.network())
                    .forEach(gone -> stale.add(new StaleVipFlows(rule.vip(), gone, false))));
        }
        return stale.stream().sorted(Comparator.comparing(StaleVipFlows::vip).thenComparing(StaleVipFlows::backend)).toList();
    }
}
