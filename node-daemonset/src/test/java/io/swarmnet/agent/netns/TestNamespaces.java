package io.swarmnet.agent.netns;

import io.swarmnet.agent.datapath.KernelTools;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bare network namespaces (loopback up) for tests, named with the test family's prefix plus a per-run part, all
 * deleted on close; leftovers of the family from an earlier run that died are deleted on creation.
 */
public final class TestNamespaces implements AutoCloseable {

    private static final KernelTools TOOLS = new KernelTools(java.time.Duration.ofSeconds(30));
    private final String prefix;
    private final List<String> created = new ArrayList<>();

    public record Result(int exit, String output) {
    }

    /** {@code family}: a short prefix only this test class uses (namespace names are then family + 4 hex + "-" + name). */
    public TestNamespaces(String family) throws IOException {
        this.prefix = family + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF)) + "-";
        for (String line : run(List.of("ip", "netns", "list")).output().split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(family)) {
                run(List.of("ip", "netns", "delete", name));
            }
        }
    }

    public Path create(String name) throws IOException {
        String ns = prefix + name;
        check(run(List.of("ip", "netns", "add", ns)));
        created.add(ns);
        check(run(List.of("ip", "-n", ns, "link", "set", "lo", "up")));
        return Path.of("/run/netns", ns);
    }

    public Result exec(String name, String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", prefix + name));
        argv.addAll(List.of(command));
        return run(argv);
    }

    public static Result run(List<String> argv) throws IOException {
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

    public List<String> names() {
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
