package io.swarmnet.agent.datapath;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace the datapath runs tools in. A real node's "host" namespace is the root one; a simulated
 * node's is a named namespace; a pod's is whatever path its {@link io.swarmnet.agent.netns.PodNamespaceLocator}
 * found. Each variant knows how to prefix a command so that it runs inside.
 */
public sealed interface NetNamespace {

    /** The namespace the agent itself runs in (on a real node: the host network, hostNetwork=true). */
    record Root() implements NetNamespace {
        @Override
        public List<String> wrap(List<String> command) {
            return command;
        }

        @Override
        public String toString() {
            return "root network namespace";
        }
    }

    /** A namespace mounted at /run/netns/NAME ({@code ip netns add}). {@code ip -n} enters it without a fork. */
    record Named(String name) implements NetNamespace {
        public Named {
            if (name.isEmpty() || name.contains("/")) {
                throw new IllegalArgumentException("network namespace name '" + name + "' must be non-empty and contain no '/'");
            }
        }

        @Override
        public List<String> wrap(List<String> command) {
            String tool = command.get(0);
            if (tool.equals("ip") || tool.equals("bridge")) {
                List<String> wrapped = new ArrayList<>(command.size() + 2);
                wrapped.add(tool);
                wrapped.add("-n");
                wrapped.add(name);
                wrapped.addAll(command.subList(1, command.size()));
                return wrapped;
            }
            return new AtPath(Path.of("/run/netns", name)).wrap(command);
        }

        @Override
        public String toString() {
            return "network namespace " + name;
        }
    }

    /** Any path that opens as a network namespace (/proc/PID/ns/net, a bind mount). */
    record AtPath(Path path) implements NetNamespace {
        @Override
        public List<String> wrap(List<String> command) {
            List<String> wrapped = new ArrayList<>(command.size() + 2);
            wrapped.add("nsenter");
            wrapped.add("--net=" + path);
            wrapped.addAll(command);
            return wrapped;
        }

        @Override
        public String toString() {
            return "network namespace at " + path;
        }
    }

    /** The command line that runs {@code command} inside this namespace. */
    List<String> wrap(List<String> command);

    /** The path a thread opens to enter this namespace with setns(2); empty for the agent's own. */
    default java.util.Optional<Path> enterPath() {
        if (this instanceof Named named) {
            return java.util.Optional.of(Path.of("/run/netns", named.name()));
        }
        if (this instanceof AtPath at) {
            return java.util.Optional.of(at.path());
        }
        return java.util.Optional.empty();
    }

    /** A path-based namespace under /run/netns is the named one, so that ip/bridge can enter it without nsenter. */
    static NetNamespace of(Path path) {
        if (path.getParent() != null && path.getParent().equals(Path.of("/run/netns"))) {
            return new Named(path.getFileName().toString());
        }
        return new AtPath(path);
    }
}
