package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.bpf.MountTable;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.agent.bpf.SocketLoadBalancer;
import io.swarmnet.agent.netns.TestNamespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SWARMNET_VIP_BALANCING=auto} (the agent's default): the datapath balances VIPs at the socket only where it can
 * attach the balancer and pin it, and by nft anywhere else — on this machine's real cgroup2 root and a BPF file system
 * of the test's own.
 */
@Tag("kernel")
class VipBalancingAutoTest {

    @TempDir
    Path dir;
    private Path cgroup;
    private Path bpffs;
    private final String prefix = "sva" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));

    @BeforeEach
    void mountABpfFileSystem() throws IOException {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft");
        cgroup = SocketLoadBalancer.cgroup2Root().orElse(null);
        assumeTrue(cgroup != null, "the socket load balancer needs a cgroup2 mount (none in /proc/self/mountinfo)");
        bpffs = Files.createDirectory(dir.resolve("bpffs"));
        TestNamespaces.Result mounted = TestNamespaces.run(List.of("mount", "-t", "bpf", "bpf", bpffs.toString()));
        assertThat(mounted.exit()).as("mount -t bpf: %s", mounted.output()).isZero();
    }

    @AfterEach
    void unmount() throws IOException {
        if (bpffs != null) {
            // the pinned maps and links go with the file system's last mount: the programs are detached
            TestNamespaces.run(List.of("umount", bpffs.toString()));
        }
    }

    private LinuxDatapath datapath(Optional<Path> pins, Optional<Path> cgroupRoot) {
        return new LinuxDatapath(DatapathConfig.forHost(prefix).withVipBalancing(VipBalancing.AUTO, pins, cgroupRoot), pod -> Optional.empty());
    }

    @Test
    void atTheSocketWhereTheBalancerCanBeAttachedAndPinned() throws IOException {
        Path pins = bpffs.resolve("swarmnet");
        try (LinuxDatapath datapath = datapath(Optional.of(pins), Optional.empty())) {
            assertThat(datapath.vipBalancing()).isEqualTo(VipBalancing.SOCKET);
            try (var pinned = Files.list(pins)) {
                assertThat(pinned.map(p -> p.getFileName().toString())).as("the balancer pinned")
                        .contains(prefix + "_c4", prefix + "_rt");
            }
        }
        assertThat(pins.resolve(prefix + "_c4")).as("closed before it knew what it routes: kept pinned for the next agent").exists();
        // the node's /sys/fs/cgroup of a hybrid node, whose unified directory is the cgroup2 root, is found too
        Path parent = cgroup.getParent();
        if (cgroup.getFileName().toString().equals("unified")) {
            try (LinuxDatapath datapath = datapath(Optional.of(pins), Optional.of(parent))) {
                assertThat(datapath.vipBalancing()).as("cgroup2 root named by its parent %s", parent).isEqualTo(VipBalancing.SOCKET);
            }
        }
    }

    /** An agent stopped for good after its last task went (helm uninstall) leaves nothing of the balancer behind. */
    @Test
    void aBalancerThatRoutesNothingIsUnpinnedWhenTheDatapathCloses() throws IOException {
        Path pins = bpffs.resolve("swarmnet");
        try (TestNamespaces namespaces = new TestNamespaces("sva")) {
            Path node = namespaces.create("node");
            try (LinuxDatapath datapath = new LinuxDatapath(DatapathConfig.forNamedNamespace(prefix, node.getFileName().toString())
                    .withVipBalancing(VipBalancing.AUTO, Optional.of(pins), Optional.empty()), pod -> Optional.empty())) {
                assertThat(datapath.vipBalancing()).isEqualTo(VipBalancing.SOCKET);
                datapath.apply(new NodeDatapath(new NodeFacts("node", IpAddress.parse("192.0.2.10"), 1500), List.of(), List.of()));
                assertThat(pins.resolve(prefix + "_rt")).as("pinned while the agent runs").exists();
            }
        }
        assertThat(pins).as("unpinned, and its directory removed").doesNotExist();
    }

    /**
     * A rollout: the new agent adopts the pins while the old one is still stopping. The old one, though it routes nothing,
     * leaves them: their links run the new agent's programs. The new one, stopping with nothing routed, removes them.
     */
    @Test
    void anAgentDoesNotUnpinTheBalancerItsSuccessorAdopted() throws IOException {
        Path pins = bpffs.resolve("swarmnet");
        NodeDatapath empty = new NodeDatapath(new NodeFacts("node", IpAddress.parse("192.0.2.10"), 1500), List.of(), List.of());
        try (TestNamespaces namespaces = new TestNamespaces("sva")) {
            String node = namespaces.create("node").getFileName().toString();
            DatapathConfig config = DatapathConfig.forNamedNamespace(prefix, node).withVipBalancing(VipBalancing.AUTO, Optional.of(pins),
                    Optional.empty());
            LinuxDatapath old = new LinuxDatapath(config, pod -> Optional.empty());
            old.apply(empty);
            try (LinuxDatapath successor = new LinuxDatapath(config, pod -> Optional.empty())) {
                assertThat(successor.vipBalancing()).isEqualTo(VipBalancing.SOCKET);
                old.close();
                assertThat(pins.resolve(prefix + "_c4")).as("left to the successor").exists();
                successor.apply(empty);
            }
        }
        assertThat(pins).as("removed by the successor, which routed nothing either").doesNotExist();
    }

    /** A node switched to nft: a balancer an earlier agent left pinned would go on redirecting with maps nobody updates. */
    @Test
    void withNftABalancerAnEarlierAgentPinnedIsRemovedAfterTheFirstApply() throws IOException {
        Path pins = bpffs.resolve("swarmnet");
        SocketLoadBalancer.attachPinned(cgroup, prefix, pins).close();
        assertThat(pins.resolve(prefix + "_rt")).exists();
        try (TestNamespaces namespaces = new TestNamespaces("sva")) {
            String node = namespaces.create("node").getFileName().toString();
            try (LinuxDatapath datapath = new LinuxDatapath(DatapathConfig.forNamedNamespace(prefix, node)
                    .withVipBalancing(VipBalancing.NFT, Optional.of(pins), Optional.empty()), pod -> Optional.empty())) {
                assertThat(pins.resolve(prefix + "_rt")).as("kept until the pods' NAT tables are in place").exists();
                datapath.apply(new NodeDatapath(new NodeFacts("node", IpAddress.parse("192.0.2.10"), 1500), List.of(), List.of()));
                assertThat(pins).as("removed after the first apply").doesNotExist();
            }
        }
    }

    /** A balancer whose attach fails leaves nothing pinned (the maps are pinned before the programs load). */
    @Test
    void aFailedAttachLeavesNothingPinned() throws IOException {
        Path pins = bpffs.resolve("swarmnet");
        Path notACgroup = Files.createDirectory(dir.resolve("not-a-cgroup"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SocketLoadBalancer.attachPinned(notACgroup, prefix, pins))
                .isInstanceOf(IOException.class);
        assertThat(pins).as("nothing of ours pinned").satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> {
            try (var left = Files.list(p)) {
                assertThat(left.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix))).isEmpty();
            }
        });
    }

    @Test
    void byNftWhereItCouldNotBePinnedOrAttached() throws IOException {
        try (LinuxDatapath datapath = datapath(Optional.empty(), Optional.empty())) {
            assertThat(datapath.vipBalancing()).as("no pin directory").isEqualTo(VipBalancing.NFT);
        }
        Path notBpf = Files.createDirectory(dir.resolve("plain"));
        assertThat(MountTable.read().typeAt(notBpf)).isNotEqualTo(Optional.of("bpf"));
        try (LinuxDatapath datapath = datapath(Optional.of(notBpf.resolve("swarmnet")), Optional.empty())) {
            assertThat(datapath.vipBalancing()).as("pins not on a BPF file system").isEqualTo(VipBalancing.NFT);
        }
        assertThat(notBpf.resolve("swarmnet")).as("nothing made there").doesNotExist();
        try (LinuxDatapath datapath = datapath(Optional.of(bpffs.resolve("swarmnet")), Optional.of(notBpf))) {
            assertThat(datapath.vipBalancing()).as("no cgroup2 where named").isEqualTo(VipBalancing.NFT);
        }
        try (var pinned = Files.list(bpffs)) {
            assertThat(pinned.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)))
                    .as("nothing pinned when nft was chosen").isEmpty();
        }
    }
}
