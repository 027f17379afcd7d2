package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A backend change's nftables lines as one netlink batch: the kernel must end up with exactly what libnftables makes
 * of the same lines (compared by nft's own listing, in two namespaces), and what the batch cannot say is left to
 * libnftables.
 */
@Tag("kernel")
class NftNetlinkTest {

    private static final KernelNames NAMES = new KernelNames("snl");
    private static final VipLoadBalancer LB = new VipLoadBalancer(NAMES);
    private static final IpAddress WEB = IpAddress.parse("10.77.0.2");
    private static final IpAddress DB = IpAddress.parse("10.77.0.3");
    private static final IpAddress CACHE = IpAddress.parse("10.77.0.4");

    private TestNamespaces namespaces;
    private KernelTools tools;

    @BeforeEach
    void start() throws IOException {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft");
        tools = new KernelTools(Duration.ofSeconds(20));
        assumeTrue(tools.nftInSessions(), "libnftables cannot be loaded here");
        namespaces = new TestNamespaces("snl");
    }

    @AfterEach
    void stop() throws IOException {
        KernelAvailability.closeAll(tools, namespaces);
    }

    @Test
    void aBackendChangeSentAsABatchLeavesTheTableLibnftablesWouldHaveLeft() throws IOException {
        Map<IpAddress, List<IpAddress>> before = Map.of(WEB, backends(3), DB, backends(2), CACHE, List.of());
        // web loses a backend (new modulus), db swaps one (same modulus), cache (no backends) leaves the pod, and a
        // new service without backends arrives
        Map<IpAddress, List<IpAddress>> after = Map.of(WEB, backends(2), DB, List.of(ip("10.77.1.1"), ip("10.77.1.9")),
                ip("10.77.0.5"), List.of());
        NetNamespace batch = NetNamespace.of(namespaces.create("batch"));
        NetNamespace text = NetNamespace.of(namespaces.create("text"));
        List<String> setup = LB.transaction(before, VipTable.ABSENT);
        assertThat(NftNetlink.batch(setup, 1)).as("creating the table is libnftables' work").isEmpty();
        must(tools.nft(batch, setup));
        must(tools.nft(text, setup));
        assertThat(tools.netlinkBatches()).isZero();

        List<String> change = LB.transaction(after, LB.expected(before));
        assertThat(NftNetlink.batch(change, 1)).as("every line of %s has a netlink form", change).isPresent();
        must(tools.nft(batch, change));
        assertThat(tools.netlinkBatches()).as("sent as a batch").isEqualTo(1);
        must(tools.nftThroughLibnftables(text, change));

        String listed = list("batch");
        assertThat(listed).isEqualTo(list("text")).contains("dnat to numgen inc mod 2 map @" + NAMES.backendMap(WEB))
                .contains("10.77.1.9");
        // and back
        List<String> back = LB.transaction(before, LB.expected(after));
        assertThat(NftNetlink.batch(back, 1)).as("%s", back).isPresent();
        must(tools.nft(batch, back));
        must(tools.nftThroughLibnftables(text, back));
        assertThat(list("batch")).isEqualTo(list("text"));
    }

    @Test
    void aRefusedBatchAppliesNothingAndLibnftablesReportsTheLineAsNftWould() throws IOException {
        NetNamespace ns = NetNamespace.of(namespaces.create("refused"));
        must(tools.nft(ns, LB.transaction(Map.of(WEB, backends(2)), VipTable.ABSENT)));
        String before = list("refused");
        // the second line names a map that does not exist: the first must not be applied either
        List<String> lines = List.of("flush map ip " + NAMES.vipTable() + " " + NAMES.backendMap(WEB),
                "flush map ip " + NAMES.vipTable() + " b_nowhere");

        KernelTools.Result result = tools.nft(ns, lines);

        assertThat(result.ok()).isFalse();
        assertThat(result.stderr()).as("nft's wording, naming the line").contains("/dev/stdin:2:").contains("No such file or directory");
        assertThat(list("refused")).as("atomic").isEqualTo(before);
        assertThat(tools.netlinkBatches()).isZero();
    }

    @Test
    void theGenerationMovesWithEveryCommitAndABatchReportsTheOneItsCommitReached() throws IOException {
        NetNamespace ns = NetNamespace.of(namespaces.create("generation"));
        must(tools.nft(ns, LB.transaction(Map.of(WEB, backends(2)), VipTable.ABSENT)));
        NftGeneration created = tools.nftGeneration(ns);
        assertThat(created.known()).as("the namespace's generation, asked for").isTrue();

        // a listing, a refused batch and a transaction that changes nothing commit nothing
        must(tools.read(ns, List.of("nft", "-j", "list", "table", "ip", NAMES.vipTable())));
        assertThat(tools.nft(ns, List.of("flush map ip " + NAMES.vipTable() + " b_nowhere")).ok()).isFalse();
        must(tools.nft(ns, List.of("add table ip " + NAMES.vipTable())));
        assertThat(tools.nftGeneration(ns)).isEqualTo(created);

        // a backend change sent as a batch: the kernel reports the generation its commit reached, the very next one
        KernelTools.NftCommit change = tools.nftCommit(ns, LB.transaction(Map.of(WEB, backends(3)), LB.expected(Map.of(WEB, backends(2)))));
        must(change.result());
        assertThat(tools.netlinkBatches()).isEqualTo(1);
        assertThat(created.then(change.generation())).as("the commit after %s", created).isEqualTo(change.generation());
        assertThat(tools.nftGeneration(ns)).isEqualTo(change.generation());

        // someone else's commit (the nft program, by hand) moves it too; a commit the agent then makes is not the next
        TestNamespaces.Result byHand = namespaces.exec("generation", "nft", "delete", "element", "ip", NAMES.vipTable(), "vips", "{ " + WEB + " }");
        assertThat(byHand.exit()).as(byHand.output()).isZero();
        NftGeneration afterHand = tools.nftGeneration(ns);
        assertThat(change.generation().unchangedAt(afterHand)).isFalse();
        KernelTools.NftCommit next = tools.nftCommit(ns, List.of("flush map ip " + NAMES.vipTable() + " " + NAMES.backendMap(WEB)));
        must(next.result());
        assertThat(change.generation().then(next.generation())).as("known at the generation before the change by hand")
                .isEqualTo(NftGeneration.UNKNOWN);
        assertThat(afterHand.then(next.generation())).isEqualTo(next.generation());
    }

    @Test
    void linesOfOtherFormsAreNotTranslated() {
        assertThat(NftNetlink.batch(List.of("flush map ip t m", "add table ip t"), 1)).isEmpty();
        assertThat(NftNetlink.batch(List.of("add element ip t m { 0 : 10.0.0.300 }"), 1)).as("not an address").isEmpty();
        assertThat(NftNetlink.batch(List.of("add rule ip t c dnat to numgen inc mod 0 map @m"), 1)).isEmpty();
        assertThat(NftNetlink.batch(List.of("add chain ip t c"), 1)).as("a new VIP's chain").isEmpty();
        NftNetlink.Batch batch = NftNetlink.batch(List.of("flush chain ip t c", "delete element ip t refused { 10.0.0.1 }"), 7).orElseThrow();
        assertThat(batch.line(7)).isEqualTo("flush chain ip t c");
        assertThat(batch.line(8)).isEqualTo("delete element ip t refused { 10.0.0.1 }");
        assertThat(batch.line(6)).as("the batch's begin").isNull();
    }

    private String list(String name) throws IOException {
        TestNamespaces.Result listed = namespaces.exec(name, "nft", "list", "table", "ip", NAMES.vipTable());
        assertThat(listed.exit()).as(listed.output()).isZero();
        return listed.output();
    }

    private static List<IpAddress> backends(int count) {
        return java.util.stream.IntStream.rangeClosed(1, count).mapToObj(i -> ip("10.77.1." + i)).toList();
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static void must(KernelTools.Result result) {
        assertThat(result.ok()).as(result.describe()).isTrue();
    }
}
