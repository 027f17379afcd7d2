package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.PodRef;
import java.util.List;
import java.util.Map;

/**
 * The difference between a node's desired and actual datapath, as tool invocations. Phases run in order (a
 * network namespace must exist before a VXLAN device moves into it); the steps of one phase touch different
 * namespaces and may run in any order. An empty plan means the kernel already matches.
 *
 * @param phases           what to run
 * @param rejectedNetworks networks the planner refused to program (bad input), with the reason
 * @param rejectedPods     pods the planner refused to program (bad input, clashes, missing namespace), with the reason
 * @param vipTables        each programmed pod's VIP table as the kernel holds it once the plan ran (what reading it would give)
 */
public record Plan(List<Phase> phases, Map<NetworkKey, String> rejectedNetworks, Map<PodRef, String> rejectedPods,
        Map<PodRef, VipTable> vipTables) {

    public Plan {
        phases = List.copyOf(phases);
        rejectedNetworks = Map.copyOf(rejectedNetworks);
        rejectedPods = Map.copyOf(rejectedPods);
        vipTables = Map.copyOf(vipTables);
    }

    /** A plan that leaves no VIP table behind (what the executor alone is given in tests). */
    public Plan(List<Phase> phases, Map<NetworkKey, String> rejectedNetworks, Map<PodRef, String> rejectedPods) {
        this(phases, rejectedNetworks, rejectedPods, Map.of());
    }

    /** Number of commands in the plan: 0 when nothing needs to change. */
    public int size() {
        return phases.stream().flatMap(p -> p.steps().stream()).mapToInt(s -> s.commands().size()).sum();
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** Every command line of one tool, in order: what tests assert on. */
    public List<String> lines(Tool tool) {
        return phases.stream().flatMap(p -> p.steps().stream()).filter(s -> s.tool() == tool)
                .flatMap(s -> s.commands().stream()).map(Command::line).toList();
    }

    /** One ordered group of independent steps. */
    public record Phase(String name, List<Step> steps) {
        public Phase {
            steps = List.copyOf(steps);
        }
    }

    /**
     * One tool invocation in one namespace: {@code ip -batch -} and {@code bridge -batch -} run every line and
     * report failed line numbers (not atomic); {@code nft -f -} is one atomic transaction; conntrack lines
     * ({@link StaleVipFlows#line}) are deletions from the namespace's connection tracking table over netlink; sysctl
     * lines ({@code NAME=VALUE}) are set by one {@code sysctl -e -q -w}, which passes over settings the kernel lacks.
     */
    public record Step(Tool tool, NetNamespace namespace, List<Command> commands) {
        public Step {
            commands = List.copyOf(commands);
        }
    }

    public enum Tool {
        IP, BRIDGE, NFT, CONNTRACK, SYSCTL
    }

    /**
     * One line of a batch. {@code owner} is who a failure is reported against; {@code requires} are owners that
     * must not have failed earlier in this apply (a pod's veth needs its network's namespace).
     */
    public record Command(String line, Owner owner, List<Owner> requires) {
        public Command {
            requires = List.copyOf(requires);
        }

        public Command(String line, Owner owner) {
            this(line, owner, List.of());
        }
    }

    /** Who a command is for. */
    public sealed interface Owner {
        record Network(NetworkKey key) implements Owner {
            @Override
            public String toString() {
                return "network " + key;
            }
        }

        record Pod(PodRef pod) implements Owner {
            @Override
            public String toString() {
                return "pod " + pod;
            }
        }

        /**
         * A setting that makes a network faster but that it works without (the bridge's netfilter hooks switched off): a
         * failure is logged and the setting tried again after the next reading, never charged to the network or its pods.
         */
        record Tuning(NetworkKey network, String setting) implements Owner {
            @Override
            public String toString() {
                return setting + " for network " + network;
            }
        }

        /** Leftovers that no longer belong to any desired network or pod (a network namespace being removed). */
        record Leftover(String object) implements Owner {
            @Override
            public String toString() {
                return object;
            }
        }
    }
}
