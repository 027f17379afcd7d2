package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.netns.TestNamespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** nft through per-namespace libnftables sessions, checked against the nft program in real namespaces. */
@Tag("kernel")
class NftSessionTest {

    private static final List<String> BASE = List.of(
            "add table ip t",
            "add chain ip t c",
            "add rule ip t c ip daddr 198.18.0.1 drop");

    private TestNamespaces namespaces;
    private KernelTools tools;

    @BeforeEach
    void start() throws IOException {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft", "nsenter");
        tools = new KernelTools(Duration.ofSeconds(20));
        assumeTrue(tools.nftInSessions(), "libnftables cannot be loaded here");
        namespaces = new TestNamespaces("nfs");
    }

    @AfterEach
    void stop() throws IOException {
        KernelAvailability.closeAll(tools, namespaces);
    }

    @Test
    void programsATransactionInAFreshNamespaceThroughItsSession() throws IOException {
        NetNamespace ns = NetNamespace.of(namespaces.create("a"));

        KernelTools.Result result = tools.nft(ns, BASE);

        assertThat(result.ok()).as(result.describe()).isTrue();
        assertThat(tools.nftSessions()).as("one session for the namespace").hasSize(1);
        assertThat(listByProgram("a")).contains("chain c").contains("ip daddr 198.18.0.1 drop");
        assertThat(TestNamespaces.run(List.of("nft", "list", "tables")).output()).as("the agent's own namespace").doesNotContain("table ip t");
    }

    @Test
    void aBadLineGivesTheErrorNftGivesAndLeavesTheRulesetUnchanged() throws IOException {
        NetNamespace session = NetNamespace.of(namespaces.create("s"));
        NetNamespace program = NetNamespace.of(namespaces.create("p"));
        assertThat(tools.nft(session, BASE).ok()).isTrue();
        assertThat(tools.run(program.wrap(List.of("nft", "-f", "-")), String.join("\n", BASE) + "\n").ok()).isTrue();
        String before = listByProgram("s");

        // a good line, then a missing object on line 3; then a syntax error on line 2
        for (List<String> bad : List.of(
                List.of("add rule ip t c ip daddr 198.18.0.2 drop", "add element ip t c { 198.18.0.3 }", "delete table ip missing"),
                List.of("add rule ip t c ip daddr 198.18.0.2 drop", "add rule ip t c ip daddr 198.18.0.4 dropp"))) {
            KernelTools.Result inSession = tools.nft(session, bad);
            KernelTools.Result byProgram = tools.run(program.wrap(List.of("nft", "-f", "-")), String.join("\n", bad) + "\n");

            assertThat(byProgram.ok()).isFalse();
            assertThat(inSession.exitCode()).isEqualTo(byProgram.exitCode());
            assertThat(inSession.stderr()).isEqualTo(byProgram.stderr()).startsWith("/dev/stdin:");
            assertThat(listByProgram("s")).as("nothing of the failed transaction applied").isEqualTo(before);
        }
        assertThat(tools.nft(session, List.of("add rule ip t c ip daddr 198.18.0.2 drop", "delete table ip missing")).stderr())
                .as("the error names the failing line, not the first").contains("/dev/stdin:2:").contains("delete table ip missing");
    }

    @Test
    void nftReadsGiveWhatTheProgramPrints() throws IOException {
        NetNamespace ns = NetNamespace.of(namespaces.create("r"));
        assertThat(tools.nft(ns, BASE).ok()).isTrue();

        for (List<String> read : List.of(List.of("nft", "-j", "list", "table", "ip", "t"), List.of("nft", "list", "table", "ip", "t"),
                List.of("nft", "-j", "list", "table", "ip", "missing"))) {
            KernelTools.Result inSession = tools.read(ns, read);
            KernelTools.Result byProgram = tools.run(ns.wrap(read), null);
            assertThat(inSession.exitCode()).as("%s", read).isEqualTo(byProgram.exitCode());
            assertThat(inSession.stdout()).as("%s", read).isEqualTo(byProgram.stdout());
            assertThat(inSession.stderr().strip()).as("%s", read).isEqualTo(byProgram.stderr().strip());
        }
    }

    /**
     * Debian 12's libnftables (1.0.6) writes a set's type as JSON with strtok(3), whose state is the process's: two sessions
     * listing maps at once, each on its own thread and context, made it abort the whole JVM ("json.c:71: set_dtype_json:
     * Assertion `__out' failed", seen once in CI). Listings as JSON from many namespaces at once all answer whole.
     */
    @Test
    void jsonListingsOfMapsInManyNamespacesAtOnceAllAnswer() throws Exception {
        List<NetNamespace> all = new ArrayList<>();
        for (String name : List.of("j1", "j2", "j3", "j4")) {
            NetNamespace ns = NetNamespace.of(namespaces.create(name));
            assertThat(tools.nft(ns, List.of("add table ip t",
                    "add map ip t vips { type ipv4_addr . inet_proto . inet_service : verdict; }",
                    "add map ip t backends { type ipv4_addr . inet_service : ipv4_addr . inet_service; }",
                    "add element ip t backends { 198.18.0.1 . 80 : 198.18.0.2 . 8080 }")).ok()).isTrue();
            all.add(ns);
        }
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(all.size());
        try {
            List<java.util.concurrent.Future<KernelTools.Result>> results = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                NetNamespace ns = all.get(i % all.size());
                results.add(callers.submit(() -> tools.read(ns, List.of("nft", "-j", "list", "table", "ip", "t"))));
            }
            for (java.util.concurrent.Future<KernelTools.Result> r : results) {
                assertThat(r.get().ok()).as(r.get().describe()).isTrue();
                // each key type is the one strtok(3) cut into its parts
                assertThat(r.get().stdout()).contains("\"type\": [\"ipv4_addr\", \"inet_proto\", \"inet_service\"]")
                        .contains("\"type\": [\"ipv4_addr\", \"inet_service\"]");
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void transactionsFromManyThreadsIntoOneNamespaceAllApply() throws Exception {
        NetNamespace ns = NetNamespace.of(namespaces.create("m"));
        assertThat(tools.nft(ns, BASE).ok()).isTrue();
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<KernelTools.Result>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String rule = "add rule ip t c ip daddr 198.18." + (3 + i / 100) + "." + (i % 100) + " drop";
                results.add(callers.submit(() -> tools.nft(ns, List.of(rule))));
            }
            for (java.util.concurrent.Future<KernelTools.Result> r : results) {
                assertThat(r.get().ok()).as(r.get().describe()).isTrue();
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(tools.nftSessions()).as("one session serves every caller").hasSize(1);
        String listed = listByProgram("m");
        assertThat(listed.split("\n")).filteredOn(l -> l.contains("ip daddr 198.18.3.") || l.contains("ip daddr 198.18.4."))
                .hasSize(200);
    }

    @Test
    void startsNoProcessForAHundredChanges() throws Exception {
        NetNamespace ns = NetNamespace.of(namespaces.create("n"));
        assertThat(tools.nft(ns, BASE).ok()).isTrue();
        // the CPU time of reaped children grows with every process the JVM starts: it is the instrument, shown to work
        long beforeProcesses = childCpuTicks();
        for (int i = 0; i < 30; i++) {
            assertThat(tools.run(ns.wrap(List.of("nft", "-f", "-")), "add rule ip t c ip daddr 198.18.1." + i + " drop\n").ok()).isTrue();
        }
        assertThat(childCpuTicks()).as("30 nft processes show").isGreaterThan(beforeProcesses);

        long before = childCpuTicks();
        for (int i = 0; i < 100; i++) {
            KernelTools.Result r = tools.nft(ns, List.of("flush chain ip t c", "add rule ip t c ip daddr 198.18.2." + i + " drop"));
            assertThat(r.ok()).as(r.describe()).isTrue();
        }

        assertThat(childCpuTicks()).as("no process started for 100 changes").isEqualTo(before);
        assertThat(listByProgram("n")).contains("198.18.2.99").doesNotContain("198.18.2.98");
    }

    @Test
    void aNamespaceDeletedUnderItsSessionEndsItLeavingNoThreadOrFile() throws Exception {
        Path path = namespaces.create("d");
        NetNamespace ns = NetNamespace.of(path);
        long memfdsBefore = openCommandFiles();
        assertThat(tools.nft(ns, BASE).ok()).isTrue();
        NftSession session = tools.nftSessions().get(0);
        Object inode = Files.getAttribute(path, "unix:ino");
        assertThat(threadsIn(inode)).as("the session's thread is inside").isNotEmpty();

        assertThat(TestNamespaces.run(List.of("ip", "netns", "delete", path.getFileName().toString())).exit()).isZero();

        session.thread().join(NftSessions.CHECK_EVERY.multipliedBy(6).toMillis());
        assertThat(session.thread().isAlive()).as("session thread ended").isFalse();
        assertThat(tools.nftSessions()).isEmpty();
        // Java calls a thread dead a moment before its kernel task is gone from /proc/self/task: allow that moment
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        while (!threadsIn(inode).isEmpty() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(threadsIn(inode)).as("no thread keeps the deleted namespace alive").isEmpty();
        assertThat(openCommandFiles()).as("command files open").isLessThanOrEqualTo(memfdsBefore);
        KernelTools.Result gone = tools.nft(ns, BASE);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.stderr()).contains("cannot open network namespace " + path).contains("No such file or directory");
        assertThat(tools.nftSessions()).isEmpty();
    }

    @Test
    void aNamespaceReplacedUnderTheSamePathGetsANewSession() throws IOException {
        Path path = namespaces.create("x");
        NetNamespace ns = NetNamespace.of(path);
        assertThat(tools.nft(ns, BASE).ok()).isTrue();
        NftSession first = tools.nftSessions().get(0);
        TestNamespaces.run(List.of("ip", "netns", "delete", path.getFileName().toString()));
        TestNamespaces.run(List.of("ip", "netns", "add", path.getFileName().toString()));

        KernelTools.Result r = tools.nft(ns, List.of("add table ip fresh"));

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(TestNamespaces.run(List.of("ip", "netns", "exec", path.getFileName().toString(), "nft", "list", "tables")).output())
                .contains("table ip fresh").doesNotContain("table ip t");
        assertThat(tools.nftSessions()).hasSize(1).doesNotContain(first);
    }

    @Test
    void anIdleSessionEndsAndTheNextCommandOpensAnother() throws Exception {
        NetNamespace ns = NetNamespace.of(namespaces.create("i"));
        try (NftSessions sessions = new NftSessions(Duration.ofMillis(200), Duration.ofMillis(50))) {
            assertThat(sessions.run(ns, String.join("\n", BASE) + "\n", true, 0, Duration.ofSeconds(10)).exitCode()).isZero();
            NftSession idle = sessions.sessions().get(0);

            idle.thread().join(5_000);

            assertThat(idle.thread().isAlive()).isFalse();
            assertThat(sessions.sessions()).isEmpty();
            assertThat(sessions.run(ns, "add rule ip t c ip daddr 198.18.0.9 drop\n", true, 0, Duration.ofSeconds(10)).exitCode()).isZero();
            assertThat(sessions.sessions()).hasSize(1);
            assertThat(listByProgram("i")).contains("198.18.0.9");
        }
    }

    private String listByProgram(String name) throws IOException {
        TestNamespaces.Result r = namespaces.exec(name, "nft", "list", "ruleset");
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output();
    }

    /** utime + stime of the JVM's reaped children (fields 16 and 17 of /proc/self/stat), in clock ticks. */
    private static long childCpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state)
        return Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    }

    private static List<String> threadsIn(Object namespaceInode) throws IOException {
        List<String> inside = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (namespaceInode.equals(Files.getAttribute(task.resolve("ns/net"), "unix:ino"))) {
                        inside.add(task.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the thread ended while we looked
                }
            }
        }
        return inside;
    }

    private static long openCommandFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("memfd:swarmnet-nft");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }
}
