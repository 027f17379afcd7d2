package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Phase;
import io.swarmnet.agent.datapath.Plan.Step;
import io.swarmnet.agent.datapath.Plan.Tool;
import io.swarmnet.agent.desired.PodRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The device commands of one plan as {@link DatapathPlanner} works them out, collected by the phase and namespace they
 * run in, and handed back as the plan's phases in the order the kernel needs them: a pod's old interface goes while the
 * device it hangs on still exists, a network namespace exists before a VXLAN device moves into it, a VXLAN device
 * before the children and entries made on it, a pod's interface before its addresses. Network namespaces by name,
 * pods by reference: the same input gives the same plan.
 */
final class PlanSteps {

    private final NetNamespace host;
    private final Map<PodRef, List<Command>> podRemovals = new TreeMap<>();
    private final Map<String, List<Command>> emptying = new TreeMap<>();
    private final List<Command> namespaceRemovals = new ArrayList<>();
    private final Map<String, List<Command>> prune = new TreeMap<>();
    private final List<Command> creations = new ArrayList<>();
    private final Map<String, List<Command>> bridgeNetfilter = new TreeMap<>();
    private final List<Command> hostCommands = new ArrayList<>();
    private final Map<String, List<Command>> devices = new TreeMap<>();
    private final Map<String, List<Command>> fdb = new TreeMap<>();
    private final Map<PodRef, List<Command>> podCommands = new TreeMap<>();
    private final Map<String, List<Command>> ports = new TreeMap<>();

    PlanSteps(NetNamespace host) {
        this.host = host;
    }

    /** Deletes a pod's interface before anything else runs: while its lower device or peer still exists. */
    void removePodInterface(PodRef pod, Command command) {
        add(podRemovals, pod, command);
    }

    /** Deletes a network namespace's devices before the namespace itself goes. */
    void emptyRemovedNamespace(String namespace, Command command) {
        add(emptying, namespace, command);
    }

    void removeNamespace(Command command) {
        namespaceRemovals.add(command);
    }

    void prune(String namespace, Command command) {
        add(prune, namespace, command);
    }

    void createNamespace(Command command) {
        creations.add(command);
    }

    /** A {@code NAME=VALUE} sysctl line for a network namespace, once it exists. */
    void bridgeNetfilter(String namespace, Command command) {
        add(bridgeNetfilter, namespace, command);
    }

    void host(Command command) {
        hostCommands.add(command);
    }

    void device(String namespace, Command command) {
        add(devices, namespace, command);
    }

    void fdb(String namespace, Command command) {
        add(fdb, namespace, command);
    }

    /** Runs in the pod's namespace, after the network namespaces' devices. */
    void pod(PodRef pod, Command command) {
        add(podCommands, pod, command);
    }

    /** Runs in the network namespace, after the pods' interfaces (the bridge end of a veth). */
    void port(String namespace, Command command) {
        add(ports, namespace, command);
    }

    /** The phases, pod namespaces looked up with {@code podNamespace}. Empty steps are left out. */
    List<Phase> phases(Function<PodRef, NetNamespace> podNamespace) {
        List<Phase> phases = new ArrayList<>();
        phases.add(new Phase("remove pod interfaces", byPod(podRemovals, podNamespace)));
        phases.add(new Phase("empty removed network namespaces", byNamespace(emptying, Tool.IP)));
        phases.add(new Phase("remove network namespaces", single(new NetNamespace.Root(), namespaceRemovals)));
        phases.add(new Phase("prune network namespaces", byNamespace(prune, Tool.IP)));
        phases.add(new Phase("create network namespaces", creations.stream()
                .map(c -> new Step(Tool.IP, new NetNamespace.Root(), List.of(c))).toList()));
        phases.add(new Phase("bridge netfilter hooks", byNamespace(bridgeNetfilter, Tool.SYSCTL)));
        phases.add(new Phase("host namespace", single(host, hostCommands)));
        phases.add(new Phase("network devices", byNamespace(devices, Tool.IP)));
        phases.add(new Phase("forwarding database", byNamespace(fdb, Tool.BRIDGE)));
        phases.add(new Phase("pod interfaces", byPod(podCommands, podNamespace)));
        phases.add(new Phase("bridge ports", byNamespace(ports, Tool.IP)));
        return phases;
    }

    private static <K> void add(Map<K, List<Command>> map, K key, Command command) {
        map.computeIfAbsent(key, k -> new ArrayList<>()).add(command);
    }

    private static List<Step> single(NetNamespace namespace, List<Command> commands) {
        return commands.isEmpty() ? List.of() : List.of(new Step(Tool.IP, namespace, commands));
    }

    private static List<Step> byNamespace(Map<String, List<Command>> commands, Tool tool) {
        List<Step> steps = new ArrayList<>();
        commands.forEach((namespace, list) -> steps.add(new Step(tool, new NetNamespace.Named(namespace), list)));
        return steps;
    }

    private static List<Step> byPod(Map<PodRef, List<Command>> commands, Function<PodRef, NetNamespace> podNamespace) {
        List<Step> steps = new ArrayList<>();
        commands.forEach((pod, list) -> {
            if (!list.isEmpty()) {
                steps.add(new Step(Tool.IP, podNamespace.apply(pod), list));
            }
        });
        return steps;
    }
}
