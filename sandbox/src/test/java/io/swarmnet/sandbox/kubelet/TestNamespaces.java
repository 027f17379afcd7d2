package io.swarmnet.sandbox.kubelet;

import io.swarmnet.agent.desired.PodRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pod namespaces for the kubelet's own tests, made with plain {@code ip netns add} under a per-run prefix;
 * the sandbox itself uses the node agent's simulation harness.
 */
final class TestNamespaces implements PodNetworkNamespaces {

    final String prefix;
    private final Map<String, String> names = new ConcurrentHashMap<>();
    private int next;

    TestNamespaces(String prefix) {
        this.prefix = prefix;
        removeLeftovers();
    }

    @Override
    public synchronized String create(PodRef pod, String node) {
        String name = names.computeIfAbsent(pod.uid(), uid -> prefix + "p" + (next++));
        HostPrograms.run(List.of(HostPrograms.IP, "netns", "add", name));
        HostPrograms.run(List.of(HostPrograms.IP, "-n", name, "link", "set", "lo", "up"));
        return name;
    }

    @Override
    public void remove(PodRef pod) {
        String name = names.remove(pod.uid());
        if (name != null) {
            HostPrograms.run(List.of(HostPrograms.IP, "netns", "del", name));
        }
    }

    List<String> existing() {
        return List.of(HostPrograms.run(List.of(HostPrograms.IP, "netns", "list")).output().split("\n")).stream()
                .map(line -> line.split(" ")[0]).filter(n -> n.startsWith(prefix)).toList();
    }

    void removeLeftovers() {
        for (String name : existing()) {
            NetnsFiles.killRemaining(name);
            NetnsFiles.remove(name);
            HostPrograms.run(List.of(HostPrograms.IP, "netns", "del", name));
        }
        String[] files = new java.io.File("/etc/netns").list();
        for (String name : files == null ? new String[0] : files) {
            if (name.startsWith(prefix)) {
                NetnsFiles.remove(name);
            }
        }
    }
}
