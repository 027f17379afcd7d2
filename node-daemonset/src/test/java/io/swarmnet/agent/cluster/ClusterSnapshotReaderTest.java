package io.swarmnet.agent.cluster;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSnapshotReaderTest {

    final ClusterSnapshot.Reader reader = ClusterSnapshot.reader();
    final PodParser parser = new PodParser("n1");
    final java.util.List<io.swarmnet.api.network.OverlayNetwork> networks = List.of(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).build());

    @Test
    void tasksAreInPodOrderWhateverOrderTheInformerListsThemInFromRoundToRound() {
        List<Pod> pods = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Pod pod = task("web-" + i, "web").on("n1").address("net", "10.0.9." + (10 + i)).build();
            pod.getMetadata().setResourceVersion("1");
            pods.add(pod);
        }
        java.util.Random random = new java.util.Random(3);
        for (int round = 0; round < 5; round++) {
            java.util.Collections.shuffle(pods, random);
            if (round == 3) {
                Pod late = task("web-05", "web").on("n1").address("net", "10.0.9.200").build(); // new, sorts among the others
                late.getMetadata().setResourceVersion("1");
                pods.add(late);
                pods.remove(7);
            }
            ClusterSnapshot snapshot = reader.read(pods.stream().map(parser::read).toList(), List.of(), networks, List.of());
            assertThat(snapshot.tasks()).as("round %d", round).isEqualTo(ClusterSnapshot.of(pods, List.of(), networks, List.of()).tasks());
            assertThat(snapshot.tasks()).extracting(t -> t.pod().name()).isSortedAccordingTo(java.util.Comparator.naturalOrder());
        }
    }
}
