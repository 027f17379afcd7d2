package io.swarmnet.sandbox;

import io.swarmnet.sandbox.cli.CliFailure;
import io.swarmnet.sandbox.cli.DaemonProcess;
import io.swarmnet.sandbox.cli.Demo;
import io.swarmnet.sandbox.cli.Leftovers;
import io.swarmnet.sandbox.cli.Repository;
import io.swarmnet.sandbox.cli.TaskExec;
import io.swarmnet.sandbox.daemon.SandboxDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The command line behind {@code ./swarmnet}: {@code sandbox up|kubeconfig|exec|down} and {@code demo}.
 * Every failure a user can act on is one line on stderr starting with "swarmnet:" and a non-zero exit code.
 */
public final class SwarmnetCli {

    static final int DEFAULT_NODES = 3;
    static final int MAX_NODES = 20;
    private static final Duration UP_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration DOWN_GRACE = Duration.ofSeconds(60);

    private static final String USAGE = """
            usage:
              ./swarmnet demo                          run the Docker overlay walkthrough on a local sandbox
              ./swarmnet sandbox up [--nodes N]        start the local sandbox (default 3 nodes)
              ./swarmnet sandbox kubeconfig            print the path of the sandbox's kubeconfig
              ./swarmnet sandbox exec TASK -- CMD ...  run CMD inside a task's pod (TASK: pod name or <service>.<slot>)
              ./swarmnet sandbox down                  stop the sandbox and remove everything it made""";

    private final SandboxHome home;
    private final Path repository;

    SwarmnetCli(SandboxHome home, Path repository) {
        this.home = home;
        this.repository = repository;
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile",
                    args.length > 1 && args[1].equals(DaemonProcess.DAEMON_COMMAND) ? "swarmnet-daemon-logback.xml" : "swarmnet-cli-logback.xml");
        }
        int code;
        try {
            SwarmnetCli cli = new SwarmnetCli(SandboxHome.fromEnvironment(System.getenv()), Repository.locate(System.getenv()));
            code = cli.run(List.of(args));
        } catch (CliFailure e) {
            System.err.println("swarmnet: " + e.getMessage());
            code = e.exitCode();
        } catch (IllegalArgumentException e) {
            System.err.println("swarmnet: " + e.getMessage());
            code = 2;
        } catch (Exception e) {
            System.err.println("swarmnet: " + e);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    int run(List<String> args) throws Exception {
        if (args.isEmpty()) {
            throw usage("no command given");
        }
        String command = args.get(0);
        if (command.equals("demo")) {
            requireRoot();
            return new Demo(home, repository, System.out).run(new Demo.Sandbox() {
                @Override
                public int up(int nodes) throws Exception {
                    return SwarmnetCli.this.up(nodes);
                }

                @Override
                public int down() {
                    return SwarmnetCli.this.down();
                }
            });
        }
        if (!command.equals("sandbox") || args.size() < 2) {
            throw usage(command.equals("sandbox") ? "sandbox needs a subcommand" : "unknown command '" + command + "'");
        }
        String sub = args.get(1);
        List<String> rest = args.subList(2, args.size());
        switch (sub) {
            case "up" -> {
                requireRoot();
                return up(nodes(rest));
            }
            case "down" -> {
                requireRoot();
                noArguments(sub, rest);
                return down();
            }
            case "kubeconfig" -> {
                noArguments(sub, rest);
                return kubeconfig();
            }
            case "exec" -> {
                requireRoot();
                return exec(rest);
            }
            case DaemonProcess.DAEMON_COMMAND -> {
                requireRoot();
                return daemon(nodes(rest));
            }
            default -> throw usage("unknown sandbox subcommand '" + sub + "'");
        }
    }

    private static CliFailure usage(String problem) {
        return new CliFailure(problem + "\n" + USAGE, 2);
    }

    private static void noArguments(String sub, List<String> rest) {
        if (!rest.isEmpty()) {
            throw usage("sandbox " + sub + " takes no arguments, got " + rest);
        }
    }

    static int nodes(List<String> rest) {
        if (rest.isEmpty()) {
            return DEFAULT_NODES;
        }
        String value;
        if (rest.size() == 2 && rest.get(0).equals("--nodes")) {
            value = rest.get(1);
        } else if (rest.size() == 1 && rest.get(0).startsWith("--nodes=")) {
            value = rest.get(0).substring("--nodes=".length());
        } else {
            throw usage("sandbox up takes only --nodes N, got " + rest);
        }
        try {
            int nodes = Integer.parseInt(value);
            if (nodes >= 1 && nodes <= MAX_NODES) {
                return nodes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CliFailure("--nodes " + value + " is not a node count; use a whole number from 1 to " + MAX_NODES, 2);
    }

    private static void requireRoot() {
        long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        if (uid != 0) {
            throw new CliFailure("the sandbox needs root (it creates network namespaces, devices and processes in them); "
                    + "run it with sudo");
        }
    }

    int up(int nodes) throws Exception {
        DaemonProcess daemon = new DaemonProcess(home);
        Optional<ProcessHandle> running = daemon.running();
        if (running.isPresent()) {
            throw new CliFailure("the sandbox is already up (pid " + running.get().pid() + ", kubeconfig " + home.kubeconfig()
                    + "); run ./swarmnet sandbox down first");
        }
        Leftovers leftovers = new Leftovers(home);
        List<String> stale = leftovers.describe();
        if (!stale.isEmpty()) {
            System.err.println("swarmnet: removing what an earlier sandbox left behind: " + String.join(", ", stale));
            leftovers.remove();
        }
        Path crds = Repository.crds(repository);
        long begin = System.nanoTime();
        try {
            daemon.start(nodes, repository, UP_TIMEOUT);
        } catch (CliFailure e) {
            leftovers.remove();
            throw e;
        }
        System.out.printf("sandbox up: %d nodes, API server, operator and %d node agents ready in %.1f s (CRDs from %s)%n",
                nodes, nodes, (System.nanoTime() - begin) / 1e9, crds);
        System.out.println("kubeconfig: " + home.kubeconfig());
        System.out.println("  export KUBECONFIG=" + home.kubeconfig() + "; kubectl get nodes");
        return 0;
    }

    int down() {
        DaemonProcess daemon = new DaemonProcess(home);
        Optional<ProcessHandle> running = daemon.running();
        Leftovers leftovers = new Leftovers(home);
        if (running.isEmpty()) {
            List<String> removed = leftovers.remove();
            throw new CliFailure("the sandbox is not running" + (removed.isEmpty() ? ""
                    : "; removed what a sandbox that did not stop cleanly left behind: " + String.join(", ", removed)));
        }
        boolean clean = daemon.stop(running.get(), DOWN_GRACE);
        List<String> removed = leftovers.remove();
        removed.removeIf(item -> item.startsWith("directory "));
        if (!clean) {
            System.err.println("swarmnet: the daemon did not stop within " + DOWN_GRACE.toSeconds() + " s and was killed");
        }
        if (!removed.isEmpty()) {
            System.err.println("swarmnet: removed leftovers the daemon did not: " + String.join(", ", removed));
        }
        System.out.println("sandbox down: every namespace, device, process and file it made is removed");
        return 0;
    }

    int kubeconfig() {
        if (new DaemonProcess(home).running().isEmpty() || !Files.exists(home.kubeconfig())) {
            throw new CliFailure("the sandbox is not running; start it with ./swarmnet sandbox up");
        }
        System.out.println(home.kubeconfig());
        return 0;
    }

    int exec(List<String> rest) throws Exception {
        if (rest.isEmpty()) {
            throw usage("sandbox exec needs a task: ./swarmnet sandbox exec TASK -- CMD ...");
        }
        String task = rest.get(0);
        List<String> command = new ArrayList<>(rest.subList(1, rest.size()));
        if (!command.isEmpty() && command.get(0).equals("--")) {
            command.remove(0);
        }
        if (new DaemonProcess(home).running().isEmpty()) {
            throw new CliFailure("the sandbox is not running; start it with ./swarmnet sandbox up");
        }
        return new TaskExec(home).run(task, command);
    }

    /** The daemon itself (started by {@code up}): runs until SIGTERM, then removes everything it made. */
    int daemon(int nodes) throws IOException, InterruptedException {
        Files.createDirectories(home.dir());
        Files.writeString(home.pidFile(), ProcessHandle.current().pid() + "\n");
        SandboxDaemon sandbox;
        try {
            sandbox = SandboxDaemon.start(home, nodes, Repository.crds(repository));
        } catch (RuntimeException e) {
            System.err.println("swarmnet: the sandbox did not start: " + e.getMessage());
            e.printStackTrace();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("sandbox daemon: stopping");
            try {
                Files.deleteIfExists(home.readyFile());
            } catch (IOException ignored) {
                // the state directory is removed by down anyway
            }
            sandbox.close();
            System.err.println("sandbox daemon: stopped");
            stopped.countDown();
        }, "sandbox-shutdown"));
        Files.writeString(home.readyFile(), sandbox.apiUrl() + "\n");
        System.err.println("sandbox daemon: ready, API at " + sandbox.apiUrl());
        stopped.await();
        return 0;
    }
}
