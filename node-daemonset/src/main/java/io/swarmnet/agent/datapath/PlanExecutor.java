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
 *
 * <p>Steps that cost a system call or two (a backend change's nft transactions, sent as netlink batches, and the
 * deletion of flows already followed) are not handed to the pool one by one: a hand-off and a thread's wake-up would
 * cost more than the step. They are shared out once among as many threads as there are cores, the calling thread
 * taking the first share, since what is left of them is the kernel's own work on each namespace's table.
 */
public final class PlanExecutor {

    private static final Pattern FAILED_LINE = Pattern.compile("Command failed -:(\\d+)");

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    // fewer quick steps than this per core are sent from the calling thread alone
    private static final int QUICK_STEPS_PER_LANE = 4;

    private final KernelTools tools;
    private final ConntrackTable conntrack;
    private final ExecutorService pool;

    public PlanExecutor(KernelTools tools, ConntrackTable conntrack, ExecutorService pool) {
        this.tools = tools;
        this.conntrack = conntrack;
        this.pool = pool;
    }

    /**
     * What running a plan did: failures by owner (first failure wins), the number of lines applied, how long each
     * phase took (by name, in nanoseconds; for benchmarks and logs), and per namespace the ruleset generations its
     * successful nft transactions reached, in the order they ran ({@link NftGeneration#UNKNOWN} where the kernel did not
     * say).
     */
    public record Outcome(Map<Owner, String> failures, int changes, Map<String, Long> phaseNanos,
            Map<NetNamespace, List<NftGeneration>> nftCommits) {
        public static final Outcome NOTHING = new Outcome(Map.of(), 0, Map.of(), Map.of());

        public Outcome {
            failures = Map.copyOf(failures);
            phaseNanos = Map.copyOf(phaseNanos);
            nftCommits = nftCommits.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                    e -> List.copyOf(e.getValue())));
        }
    }

    /** What the steps of a plan report as they run, from several threads. */
    private record Tally(Map<Owner, String> failures, AtomicInteger changes, Map<NetNamespace, List<NftGeneration>> nftCommits) {
        Tally() {
            this(new ConcurrentHashMap<>(), new AtomicInteger(), new ConcurrentHashMap<>());
        }

        void committed(NetNamespace namespace, NftGeneration generation) {
            nftCommits.computeIfAbsent(namespace, n -> java.util.Collections.synchronizedList(new ArrayList<>())).add(generation);
        }

        Outcome outcome(Map<String, Long> phaseNanos) {
            Map<NetNamespace, List<NftGeneration>> commits = new java.util.HashMap<>();
            nftCommits.forEach((namespace, generations) -> {
                synchronized (generations) {
                    commits.put(namespace, List.copyOf(generations));
                }
            });
            return new Outcome(failures, changes.get(), phaseNanos, commits);
        }
    }

    public Outcome execute(Plan plan) {
        Tally tally = new Tally();
        Map<String, Long> phaseNanos = new java.util.LinkedHashMap<>();
        for (Phase phase : plan.phases()) {
            long started = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            List<Step> quick = new ArrayList<>();
            for (Step step : phase.steps()) {
                if (phase.steps().size() == 1 || quick(step)) {
                    quick.add(step);
                } else {
                    running.add(pool.submit(() -> run(step, tally)));
                }
            }
            // a quick step is a system call or two: one hand-off per core, not one per step; this thread takes the first share
            int lanes = Math.max(1, Math.min(CORES, quick.size() / QUICK_STEPS_PER_LANE));
            for (int lane = 1; lane < lanes; lane++) {
                List<Step> share = share(quick, lane, lanes);
                running.add(pool.submit(() -> share.forEach(step -> run(step, tally))));
            }
            // run here, but a crash is reported as one on the pool is, once the other shares are done
            java.util.concurrent.FutureTask<Void> here = new java.util.concurrent.FutureTask<>(
                    () -> share(quick, 0, lanes).forEach(step -> run(step, tally)), null);
            here.run();
            running.add(here);
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return tally.outcome(phaseNanos);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("datapath step crashed: " + e.getCause(), e.getCause());
                }
            }
            phaseNanos.merge(phase.name(), System.nanoTime() - started, Long::sum);
        }
        return tally.outcome(phaseNanos);
    }

    /** A step that costs a system call or two: an nft transaction sent as one netlink batch, a deletion of followed flows. */
    private boolean quick(Step step) {
        return switch (step.tool()) {
            case NFT -> tools.nftSendsAsOneBatch(step.commands().stream().map(Command::line).toList());
            case CONNTRACK -> conntrack.followed(step.namespace());
            default -> false;
        };
    }

    private static List<Step> share(List<Step> steps, int lane, int lanes) {
        List<Step> share = new ArrayList<>();
        for (int i = lane; i < steps.size(); i += lanes) {
            share.add(steps.get(i));
        }
        return share;
    }

    private void run(Step step, Tally tally) {
        Map<Owner, String> failures = tally.failures();
        AtomicInteger changes = tally.changes();
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
                KernelTools.NftCommit commit = tools.nftCommit(step.namespace(), lines);
                KernelTools.Result r = commit.result();
                if (r.ok()) {
                    changes.addAndGet(lines.size());
                    tally.committed(step.namespace(), commit.generation());
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
            case SYSCTL -> {
                KernelTools.Result r = tools.sysctl(step.namespace(), lines);
                if (r.ok()) {
                    changes.addAndGet(lines.size());
                } else {
                    runnable.stream().map(Command::owner).distinct().forEach(o -> failures.putIfAbsent(o,
                            o + ": failed in " + step.namespace() + ": " + firstLines(r.describe())));
                }
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
