package io.swarmnet.agent.dns;

import io.swarmnet.agent.datapath.KernelTools;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Bare pod namespaces (loopback up) for resolver tests, with a per-run prefix and cleanup. */
final class PodNamespaces implements AutoCloseable {

    static final String FAMILY = "sndns";
    private static final KernelTools TOOLS = new KernelTools(java.time.Duration.ofSeconds(30));
    private final String prefix = FAMILY + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF)) + "-";
    private final List<String> created = new ArrayList<>();

    record Result(int exit, String output) {
    }

    PodNamespaces() throws IOException {
        // leftovers of an earlier run of these tests that died before cleaning up
        for (String line : run(List.of("ip", "netns", "list")).output().split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(FAMILY)) {
                run(List.of("ip", "netns", "delete", name));
            }
        }
    }

    Path create(String name) throws IOException {
        String ns = prefix + name;
        check(run(List.of("ip", "netns", "add", ns)));
        created.add(ns);
        check(run(List.of("ip", "-n", ns, "link", "set", "lo", "up")));
        return Path.of("/run/netns", ns);
    }

    Result exec(String name, String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", prefix + name));
        argv.addAll(List.of(command));
        return run(argv);
    }

    static Result run(List<String> argv) throws IOException {
        KernelTools.Result result = TOOLS.run(argv, null);
        if (result.exitCode() == 124) {
            throw new IOException("timed out: " + argv);
        }
        return new Result(result.exitCode(), result.stdout() + result.stderr());
    }

    private static void check(Result result) throws IOException {
        if (result.exit() != 0) {
            throw new IOException(result.output());
        }
    }

    List<String> names() {
        return List.copyOf(created);
    }

    @Override
    public void close() throws IOException {
        for (String ns : created) {
            run(List.of("ip", "netns", "delete", ns));
        }
        created.clear();
    }
}
