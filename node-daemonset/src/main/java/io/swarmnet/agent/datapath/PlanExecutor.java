package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.datapath.Plan.Phase;
import io.swarmnet.agent.datapath.Plan.Step;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a {@link Plan}: phases in order, the steps of a phase in parallel (they touch different namespaces).
 * A failed line is charged to its owner; later lines requiring that owner are skipped, so one broken pod or
 * network never stops the others.
 */
public final class PlanExecutor {

    private static final Pattern FAILED_LINE = Pattern.compile("Command failed -:(\\d+)");

    private final KernelTools tools;
    private final ConntrackTable conntrack;
    private final ExecutorService pool;

    public PlanExecutor(KernelTools tools, ConntrackTable conntrack, ExecutorService pool) {
        this.tools = tools;
        this.conntrack = conntrack;
        this.pool = pool;
    }

    /** What running a plan did: failures by owner (first failure wins) and the number of lines applied. */
    public record Outcome(Map<Owner, String> failures, int changes) {
        public Outcome {
            failures = Map.copyOf(failures);
        }
    }

    public Outcome execute(Plan plan) {
        Map<Owner, String> failures = new ConcurrentHashMap<>();
        AtomicInteger changes = new AtomicInteger();
        for (Phase phase : plan.phases()) {
            List<Future<?>> running = new ArrayList<>();
            for (Step step : phase.steps()) {
                if (phase.steps().size() == 1) {
                    run(step, failures, changes);
                } else {
                    running.add(pool.submit(() -> run(step, failures, changes)));
                }
            }
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Outcome(failures, changes.get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException("datapath step crashed: " + e.getCause(), e.getCause());
                }
            }
        }
        return new Outcome(failures, changes.get());
    }

    private void run(Step step, Map<Owner, String> failures, AtomicInteger changes) {
        List<Command> runnable = new ArrayList<>();
        for (Command c : step.commands()) {
            Owner blocked = c.requires().stream().filter(failures::containsKey).findFirst().orElse(null);
            if (blocked != null) {
                if (!blocked.equals(c.owner())) {
                    failures.putIfAbsent(c.owner(), c.owner() + ": not programmed because " + blocked + " failed: " + failures.get(blocked));
                }
            } else {
                runnable.add(c);
            }
        }
        if (runnable.isEmpty()) {
            return;
        }
        List<String> lines = runnable.stream().map(Command::line).toList();
        switch (step.tool()) {
            case NFT -> {
                KernelTools.Result r = tools.nft(step.namespace(), lines);
                if (r.ok()) {
                    changes.addAndGet(lines.size());
                } else {
                    // atomic: nothing of the transaction was applied
                    runnable.stream().map(Command::owner).distinct().forEach(o -> failures.putIfAbsent(o,
                            o + ": nftables transaction in " + step.namespace() + " failed (nothing applied): " + firstLines(r.stderr())));
                }
            }
            case IP, BRIDGE -> {
                KernelTools.Result r = step.tool() == Plan.Tool.IP ? tools.ipBatch(step.namespace(), lines)
                        : tools.bridgeBatch(step.namespace(), lines);
                int failed = attributeBatchFailures(step, runnable, r, failures);
                changes.addAndGet(runnable.size() - failed);
            }
            case CONNTRACK -> {
                try {
                    conntrack.delete(step.namespace(), lines.stream().map(StaleVipFlows::parse).toList());
                    changes.addAndGet(lines.size());
                } catch (IOException e) {
                    // the VIP's new backends are in place; only flows already running may still reach the removed ones
                    runnable.stream().map(Command::owner).distinct().forEach(o -> failures.putIfAbsent(o,
                            o + ": removed VIP backends still receive the flows they had: " + e.getMessage()));
                }
            }
            default -> throw new IllegalStateException("unknown tool " + step.tool());
        }
    }

    /** Maps "Command failed -:N" back to the command and owner; returns how many lines failed. */
    private static int attributeBatchFailures(Step step, List<Command> runnable, KernelTools.Result r, Map<Owner, String> failures) {
        if (r.ok()) {
            return 0;
        }
        int failed = 0;
        StringBuilder message = new StringBuilder();
        boolean attributed = false;
        for (String line : r.stderr().split("\n")) {
            Matcher m = FAILED_LINE.matcher(line);
            if (m.find()) {
                int index = Integer.parseInt(m.group(1)) - 1;
                if (index >= 0 && index < runnable.size()) {
                    Command c = runnable.get(index);
                    failures.putIfAbsent(c.owner(), c.owner() + ": '" + c.line() + "' failed in " + step.namespace() + ": "
                            + (message.length() == 0 ? "exit code " + r.exitCode() : message.toString().strip()));
                    failed++;
                    attributed = true;
                }
                message.setLength(0);
            } else if (!line.isBlank()) {
                message.append(line.strip()).append(' ');
            }
        }
        if (!attributed) {
            // the tool could not even start in the namespace (gone, nsenter failed): every owner of the step failed
            runnable.stream().map(Command::owner).distinct()
                    .forEach(o -> failures.putIfAbsent(o, o + ": " + firstLines(r.describe())));
            return runnable.size();
        }
        return failed;
    }

    private static String firstLines(String text) {
        String[] lines = text.strip().split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(lines.length, 4); i++) {
            sb.append(i == 0 ? "" : " | ").append(lines[i].strip());
        }
        return sb.toString();
    }
}
