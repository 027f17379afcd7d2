package io.swarmnet.sandbox.cli;

import io.swarmnet.sandbox.SandboxHome;
import io.swarmnet.sandbox.kubelet.HostPrograms;
import io.swarmnet.sandbox.kubelet.TaskRecord;
import io.swarmnet.sandbox.kubelet.TaskRecords;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sandbox exec TASK -- CMD...}: runs CMD as {@code docker exec} would, inside the task's pod — its network
 * namespace, its resolv.conf and hosts, its container's environment, and (while the container runs) its
 * hostname and private /tmp.
 */
public final class TaskExec {

    private final SandboxHome home;

    public TaskExec(SandboxHome home) {
        this.home = home;
    }

    public TaskRecord find(String task) {
        try {
            return TaskRecords.find(task, new TaskRecords(home.tasksDir()).all());
        } catch (IllegalArgumentException e) {
            throw new CliFailure(e.getMessage());
        }
    }

    /** The process that runs {@code command} in the task, with stdin, stdout and stderr still to be wired by the caller. */
    public ProcessBuilder command(String task, List<String> command) {
        if (command.isEmpty()) {
            throw new CliFailure("no command to run in task " + task + "; usage: ./swarmnet sandbox exec TASK -- CMD ...", 2);
        }
        TaskRecord record = find(task);
        List<String> argv = new ArrayList<>();
        if (record.pid() > 0 && Files.exists(Path.of("/proc", Long.toString(record.pid()), "ns", "mnt"))) {
            // join the container's mount (private /tmp) and UTS (hostname) namespaces; ip netns exec then adds its network
            argv.addAll(List.of(HostPrograms.NSENTER, "--target", Long.toString(record.pid()), "--mount", "--uts", "--"));
        }
        argv.addAll(List.of(HostPrograms.IP, "netns", "exec", record.netns()));
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear();
        builder.environment().putAll(record.env());
        File workingDir = new File(record.workingDir() == null ? "/" : record.workingDir());
        builder.directory(workingDir.isDirectory() ? workingDir : new File("/"));
        return builder;
    }

    /** Runs it with this terminal's stdin, stdout and stderr; returns its exit code. */
    public int run(String task, List<String> command) throws InterruptedException, java.io.IOException {
        return command(task, command).inheritIO().start().waitFor();
    }
}
