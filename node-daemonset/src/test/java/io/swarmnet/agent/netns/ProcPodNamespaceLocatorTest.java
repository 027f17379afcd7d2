package io.swarmnet.agent.netns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcPodNamespaceLocatorTest {

    static final String UID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    static final String UID_UNDERSCORED = UID.replace('-', '_');
    static final String HOST_NET = "net:[4026531840]";

    @TempDir
    Path proc;
    ProcPodNamespaceLocator locator;

    @BeforeEach
    void hostInit() throws IOException {
        process(1, HOST_NET, "0::/init.scope");
        process(2, HOST_NET, "0::/system.slice/containerd.service");
        locator = new ProcPodNamespaceLocator(proc);
    }

    void process(long pid, String netns, String... cgroupLines) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)).resolve("ns"));
        Files.createSymbolicLink(dir.resolve("net"), Path.of(netns)); // dangling, as readlink sees /proc links
        Files.writeString(proc.resolve(Long.toString(pid)).resolve("cgroup"), String.join("\n", cgroupLines) + "\n");
    }

    Optional<Path> find(String uid) {
        return locator.find(new PodRef("default", "web-1", uid));
    }

    Path net(long pid) {
        return proc.resolve(Long.toString(pid)).resolve("ns").resolve("net");
    }

    @Test
    void cgroupV1WithCgroupfsDriverAndDashes() throws IOException {
        process(4321, "net:[4026532001]",
                "12:pids:/kubepods/besteffort/pod" + UID + "/3f1c0ffee",
                "11:memory:/kubepods/besteffort/pod" + UID + "/3f1c0ffee",
                "1:name=systemd:/kubepods/besteffort/pod" + UID + "/3f1c0ffee");

        assertThat(find(UID)).contains(net(4321));
    }

    @Test
    void cgroupV1WithSystemdDriverAndUnderscores() throws IOException {
        process(777, "net:[4026532002]",
                "4:cpu,cpuacct:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_UNDERSCORED
                        + ".slice/cri-containerd-abc.scope");

        assertThat(find(UID)).contains(net(777));
    }

    @Test
    void cgroupV2WithSystemdDriver() throws IOException {
        process(900, "net:[4026532003]",
                "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_UNDERSCORED
                        + ".slice/cri-containerd-0123.scope");

        assertThat(find(UID)).contains(net(900));
    }

    @Test
    void cgroupV2WithCgroupfsDriverSeenFromACgroupNamespace() throws IOException {
        process(901, "net:[4026532004]", "0::/../../kubepods/guaranteed/pod" + UID + "/0123");

        assertThat(find(UID)).contains(net(901));
    }

    @Test
    void upperCaseUidInTheApiStillMatches() throws IOException {
        process(902, "net:[4026532005]", "0::/kubepods/pod" + UID + "/c");

        assertThat(find(UID.toUpperCase())).contains(net(902));
    }

    @Test
    void hostNetworkPodHasNoNamespaceOfItsOwn() throws IOException {
        process(1000, HOST_NET, "0::/kubepods/besteffort/pod" + UID + "/c1");

        assertThat(find(UID)).isEmpty();
    }

    @Test
    void aProcessOfThePodInTheAgentsOwnNamespaceIsNotThePod() throws IOException {
        // a node that is itself a network namespace (the local test cluster): the agent's namespace is the node's,
        // not PID 1's, and the runtime's shim, placed in the pod's cgroup, lives there
        Path self = Files.createDirectories(proc.resolve("self").resolve("ns"));
        Files.createSymbolicLink(self.resolve("net"), Path.of("net:[4026532500]"));
        process(2000, "net:[4026532500]", "0::/kubepods/besteffort/pod" + UID);
        process(2100, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/pause");

        assertThat(find(UID)).contains(net(2100));
    }

    @Test
    void prefersTheLowestPidWithItsOwnNamespace() throws IOException {
        process(5000, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/app");
        process(3000, HOST_NET, "0::/kubepods/besteffort/pod" + UID + "/hostnet-sidecar");
        process(4000, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/pause");

        assertThat(find(UID)).contains(net(4000));
    }

    /** /proc/PID/stat of a process that started {@code ticks} after boot, with a command name that has ") (" in it. */
    void started(long pid, long ticks) throws IOException {
        StringBuilder stat = new StringBuilder(pid + " (sh) (x) S 1 " + pid + " " + pid + " 0 -1 4194560");
        for (int field = 10; field <= 21; field++) {
            stat.append(" 0");
        }
        stat.append(' ').append(ticks).append(" 1605632 222 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
        Files.writeString(proc.resolve(Long.toString(pid)).resolve("stat"), stat.toString());
    }

    @Test
    void prefersTheProcessThatStartedFirstOverALowerPid() throws IOException {
        // PIDs wrapped: a kubectl exec into the pod got a lower PID than the sandbox, and will be gone in a moment
        process(4000, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/pause");
        started(4000, 1_000);
        process(5000, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/app");
        started(5000, 1_200);
        process(200, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/app");
        started(200, 900_000);
        process(150, "net:[4026532010]", "0::/kubepods/besteffort/pod" + UID + "/app"); // exited: no stat left

        assertThat(find(UID)).as("the sandbox, started first").contains(net(4000));
    }

    @Test
    void startTimesOfThisMachinesProcesses() {
        long init = ProcPodNamespaceLocator.startTime(Path.of("/proc/1"));
        long self = ProcPodNamespaceLocator.startTime(Path.of("/proc/self"));
        assertThat(self).as("this JVM's start, read from /proc/self/stat").isLessThan(Long.MAX_VALUE).isGreaterThanOrEqualTo(init);
        assertThat(ProcPodNamespaceLocator.startTime(proc.resolve("999999"))).as("a process that is gone").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void otherPodsAndLongerUidsDoNotMatch() throws IOException {
        process(600, "net:[4026532020]", "0::/kubepods/besteffort/pod" + UID + "ff/c");
        process(601, "net:[4026532021]", "0::/kubepods/besteffort/pod00000000-0000-0000-0000-000000000000/c");

        assertThat(find(UID)).isEmpty();
    }

    @Test
    void vanishedAndUnreadableProcessesAreSkipped() throws IOException {
        Files.createDirectories(proc.resolve("300")); // exited between listing and reading
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("uptime"), "1.0 1.0\n");
        process(301, "net:[4026532030]", "0::/kubepods/pod" + UID + "/c");

        assertThat(find(UID)).contains(net(301));
    }

    @Test
    void rememberedProcessIsRecheckedAndReplacedWhenItGoes() throws IOException {
        process(700, "net:[4026532040]", "0::/kubepods/pod" + UID + "/c");
        assertThat(find(UID)).contains(net(700));

        Files.writeString(proc.resolve("700").resolve("cgroup"), "0::/user.slice\n"); // pid reused by another process
        process(800, "net:[4026532041]", "0::/kubepods/pod" + UID + "/c");

        assertThat(find(UID)).as("a remembered process that left the pod forces a new scan at once").contains(net(800));
    }

    @Test
    void oneScanIndexesEveryPodOfTheNode() throws IOException {
        String other = "00000000-1111-2222-3333-444444444444";
        process(910, "net:[4026532050]", "0::/kubepods/pod" + UID + "/c");
        process(920, "net:[4026532051]", "0::/kubepods.slice/kubepods-pod" + other.replace('-', '_') + ".slice/x.scope");
        assertThat(find(UID)).contains(net(910));

        Files.delete(proc.resolve("920").resolve("cgroup")); // no second scan: the first one found it already
        Files.writeString(proc.resolve("920").resolve("cgroup"), "0::/kubepods/pod" + other + "/c\n");
        assertThat(locator.find(new PodRef("default", "other", other))).contains(net(920));
    }

    @Test
    void podThatAppearsLaterIsFoundOnALaterCall() throws Exception {
        assertThat(find(UID)).isEmpty();
        process(930, "net:[4026532060]", "0::/kubepods/pod" + UID + "/c");
        Thread.sleep(150); // past the rescan interval, as the agent's retry backoff is

        assertThat(find(UID)).contains(net(930));
    }

    @Test
    void aLocatorScanningOnceLooksUpEveryPodInItsOneScan() throws Exception {
        String other = "9c4e28ba-2fa1-11d2-883f-0016d3cca427";
        process(940, "net:[4026532070]", "0::/kubepods/pod" + UID + "/c");
        ProcPodNamespaceLocator once = ProcPodNamespaceLocator.scanningOnce(proc);
        assertThat(once.find(new PodRef("default", "gone-1", other))).as("a pod that is gone").isEmpty();
        process(950, "net:[4026532071]", "0::/kubepods/pod" + other + "/c");
        Thread.sleep(150); // past the usual rescan interval
        assertThat(once.find(new PodRef("default", "gone-2", other))).as("no second scan for another pod not found").isEmpty();
        assertThat(once.find(new PodRef("default", "web-1", UID))).as("a pod of the one scan").contains(net(940));
    }

    @Test
    void podWithoutUidOrProcessesIsNotFound() {
        assertThat(find(null)).isEmpty();
        assertThat(find("")).isEmpty();
        assertThat(find(UID)).isEmpty();
    }

    @Test
    void scansTheRealProcOfThisMachineWithoutFindingAPodThatIsNotThere() throws Exception {
        Path realProc = Path.of("/proc");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isSymbolicLink(realProc.resolve("1/ns/net"))
                && Files.isReadable(realProc.resolve("self/cgroup")), "needs a readable /proc with ns links (root)");
        // The current process is not in a pod cgroup, so on a real /proc an arbitrary UID is never found.
        assertThat(new ProcPodNamespaceLocator().find(new PodRef("default", "x", UID))).isEmpty();
    }
}
