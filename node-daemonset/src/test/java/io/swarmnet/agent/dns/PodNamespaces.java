package io.swarmnet.agent.dns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Bare pod namespaces (loopback up) for resolver tests, with a per-run prefix and cleanup. */
final class PodNamespaces implements AutoCloseable {

    static final String FAMILY = "sndns";
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
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + argv);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
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
