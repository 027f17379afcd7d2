package io.swarmnet.agent.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading mountinfo: where a file system is, and what a path is on. */
class MountTableTest {

    /** A hybrid node seen from a container: the node's /sys/fs/cgroup bound at /host/cgroup2, its bpffs at /host/bpf. */
    private static final MountTable CONTAINER = MountTable.parse(List.of(
            "1050 900 0:92 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w",
            "1051 1050 0:95 / /sys rw,nosuid - sysfs sysfs rw",
            "1052 1051 0:31 / /sys/fs/cgroup rw - tmpfs tmpfs rw",
            "1053 1052 0:38 /pod/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
            "1060 1050 0:31 / /host/cgroup2 rw - tmpfs tmpfs rw",
            "1061 1060 0:36 / /host/cgroup2/memory rw - cgroup cgroup rw,memory",
            "1062 1060 0:38 / /host/cgroup2/unified rw - cgroup2 cgroup2 rw",
            "1070 1050 0:21 / /host/bpf rw - sysfs sysfs rw",
            "1071 1070 0:45 / /host/bpf rw - bpf bpf rw,mode=700",
            "1080 1050 0:50 / /var/lib/my\\040dir rw - tmpfs tmpfs rw",
            "not a mount line"));

    @Test
    void theFirstMountOfATypeIsTheOneListedFirst() {
        assertThat(CONTAINER.first("cgroup2")).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(CONTAINER.first("bpf")).contains(Path.of("/host/bpf"));
        assertThat(CONTAINER.first("nfs")).isEmpty();
    }

    @Test
    void aPathIsOnTheDeepestMountAboveItAndOnTheLastOfThoseOnOnePoint() {
        assertThat(CONTAINER.typeAt(Path.of("/host/bpf/swarmnet"))).as("not yet made, under the bpffs").contains("bpf");
        assertThat(CONTAINER.typeAt(Path.of("/host/bpf"))).as("the bpffs covers the sysfs bound there first").contains("bpf");
        assertThat(CONTAINER.typeAt(Path.of("/host/cgroup2"))).contains("tmpfs");
        assertThat(CONTAINER.typeAt(Path.of("/host/cgroup2/unified/kubepods"))).contains("cgroup2");
        assertThat(CONTAINER.typeAt(Path.of("/host/bpfx"))).as("a name that only starts the same").contains("overlay");
        assertThat(CONTAINER.typeAt(Path.of("/var/lib/my dir/x"))).as("octal escapes in mount points").contains("tmpfs");
        assertThat(MountTable.parse(List.of()).typeAt(Path.of("/"))).isEmpty();
    }

    @Test
    void aMountPointIsOnlyWhereAMountIs() {
        assertThat(CONTAINER.isMountOf(Path.of("/host/cgroup2/unified"), "cgroup2")).isTrue();
        assertThat(CONTAINER.isMountOf(Path.of("/host/cgroup2/unified/kubepods"), "cgroup2")).as("a cgroup below the root").isFalse();
        assertThat(CONTAINER.isMountOf(Path.of("/host/cgroup2"), "cgroup2")).isFalse();
        assertThat(CONTAINER.isMountOf(Path.of("/host/bpf"), "bpf")).isTrue();
    }
}
