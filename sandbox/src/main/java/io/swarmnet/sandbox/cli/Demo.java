package io.swarmnet.sandbox.cli;

import io.swarmnet.sandbox.SandboxHome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./swarmnet demo}: Docker's overlay-network walkthrough on a fresh sandbox. Prints each command as a
 * user would type it, then its real output; brings the sandbox down at the end, also when a step fails.
 */
public final class Demo {

    private final SandboxHome home;
    private final Path repository;
    private final PrintStream out;
    private final List<String> failures = new ArrayList<>();
    private final StringBuilder transcript = new StringBuilder();

    public Demo(SandboxHome home, Path repository, PrintStream out) {
        this.home = home;
        this.repository = repository;
        this.out = out;
    }

    public int run(Sandbox sandbox) throws Exception {
        DaemonProcess daemon = new DaemonProcess(home);
        if (daemon.running().isPresent()) {
            throw new CliFailure("a sandbox is already up; the demo starts its own: run ./swarmnet sandbox down first");
        }
        step("./swarmnet sandbox up --nodes 3");
        int up = sandbox.up(3);
        if (up != 0) {
            return up;
        }
        try {
            walkthrough();
        } finally {
            out.println();
            step("./swarmnet sandbox down");
            sandbox.down();
        }
        if (!failures.isEmpty()) {
            out.println();
            out.println("demo: these steps failed: " + String.join("; ", failures));
            return 1;
        }
        out.println();
        out.println("demo: done");
        return 0;
    }

    private void walkthrough() throws Exception {
        kubectl("apply", "-f", "examples/my-network.yaml");
        kubectl("apply", "-f", "examples/");
        kubectl("wait", "--for=condition=Ready", "onet/my-network", "--timeout=60s");
        kubectl("wait", "--for=condition=Ready", "ssvc", "--all", "--timeout=120s");
        kubectl("get", "onet,ssvc");
        // --opt encrypted: every node says how it encrypts (kernel ESP, or the agent's userspace ESP where the kernel has none)
        kubectl("wait", "--for=condition=Encrypted", "onet/my-network", "--timeout=60s");
        kubectl("get", "onet", "my-network", "-o",
                "custom-columns=NODE:.status.nodes[*].name,ENCRYPTION:.status.nodes[*].encryption,MODE:.status.nodes[*].encryptionMode");
        // docker service ps: one line per task with its node, state and address
        kubectl("get", "pods", "-l", "swarmnet.io/service", "-o",
                "custom-columns=TASK:.metadata.name,SERVICE:.metadata.labels.swarmnet\\.io/service,"
                        + "SLOT:.metadata.labels.swarmnet\\.io/slot,NODE:.spec.nodeName,STATE:.status.phase,"
                        + "ADDRESS:.status.podIP", "--sort-by=.metadata.name");
        exec("my-busybox.1", "nslookup", "my-web");
        exec("my-busybox.1", "nslookup", "tasks.my-web");
        exec("my-busybox.1", "wget", "-O-", "-T", "5", "my-web");
        // the same requests by address: each lands on the next task (nftables round robin in busybox's own namespace)
        String vip = kubectl("get", "ssvc", "my-web", "-o", "jsonpath={.status.virtualIPs[0].address}").strip();
        out.println();
        if (vip.isEmpty()) {
            failures.add("my-web has no virtual IP");
        } else {
            for (int i = 0; i < 3; i++) {
                exec("my-busybox.1", "wget", "-q", "-O-", "-T", "5", "http://" + vip + "/");
            }
        }
        exec("my-busybox.1", "nslookup", "my-dnsrr-service");
        if (transcript.toString().contains("127.0.0.11#53: connection refused")) {
            out.println();
            out.println("note: nothing answers DNS at 127.0.0.11:53 inside the pods: the node agent's embedded DNS server is not"
                    + " running in this build, so the name lookups above fail; the virtual IP and the overlay work without it.");
        }
    }

    private void step(String command) {
        out.println();
        out.println("$ " + command);
        out.flush();
    }

    private String kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kubectl"));
        command.addAll(List.of(args));
        step(shellWords(command));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repository.toFile()).redirectErrorStream(true);
        builder.environment().put("KUBECONFIG", home.kubeconfig().toString());
        return show(builder, String.join(" ", command));
    }

    private void exec(String task, String... command) throws IOException, InterruptedException {
        step("./swarmnet sandbox exec " + task + " -- " + shellWords(List.of(command)));
        try {
            show(new TaskExec(home).command(task, List.of(command)).redirectErrorStream(true), "exec " + task + " " + String.join(" ", command));
        } catch (CliFailure e) {
            out.println("swarmnet: " + e.getMessage());
            failures.add("exec " + task + " " + String.join(" ", command));
        }
    }

    /** Runs the step, copying its output to the terminal as it comes; returns the output. */
    private String show(ProcessBuilder builder, String what) throws IOException, InterruptedException {
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (java.io.InputStream in = process.getInputStream()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                captured.write(buffer, 0, n);
            }
        }
        String output = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        transcript.append(output);
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            failures.add(what + " (timed out)");
            return output;
        }
        out.flush();
        if (process.exitValue() != 0) {
            out.println("(exit code " + process.exitValue() + ")");
            failures.add(what);
        }
        return output;
    }

    /** The sandbox commands the demo runs in-process. */
    public interface Sandbox {
        int up(int nodes) throws Exception;

        int down() throws Exception;
    }

    /** The command as one would type it in a shell: words with shell-special characters in single quotes. */
    static String shellWords(List<String> words) {
        List<String> quoted = new ArrayList<>();
        for (String word : words) {
            quoted.add(word.matches("[A-Za-z0-9_./=:,@%+-]+") ? word : "'" + word.replace("'", "'\\''") + "'");
        }
        return String.join(" ", quoted);
    }
}
