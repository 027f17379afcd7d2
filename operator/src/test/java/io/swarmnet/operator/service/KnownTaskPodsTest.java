package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A round's tasks do not hang on one read of the informer's index: a task pod the operator just created, or one the
 * informer is in the middle of updating, counts even when that read misses it — what kept rounds from creating slot 3
 * of my-web and slot 9 of first-act a second time on the real cluster.
 */
class KnownTaskPodsTest {

    private static final String WEB = "uid-web";
    private final AtomicLong clock = new AtomicLong();
    private final KnownTaskPods known = new KnownTaskPods(clock::get);
    /** What the informer's store (and its cache of recent writes) answers for one pod. */
    private final Map<String, Pod> store = new HashMap<>();

    private static Pod task(String name, String controller) {
        return new PodBuilder().withNewMetadata().withNamespace("default").withName(name)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("swarmnet.io/v1alpha1").withKind("SwarmService")
                        .withName("my-web").withUid(controller).withController(true).build())
                .endMetadata().build();
    }

    private List<Pod> round(List<Pod> indexed) {
        return known.tasks(WEB, indexed, (namespace, name) -> Optional.ofNullable(store.get(namespace + "/" + name)));
    }

    private static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).toList();
    }

    private Pod stored(Pod pod) {
        store.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod);
        return pod;
    }

    @Test
    void aCreatedPodTheIndexDoesNotShowYetCounts() {
        Pod one = stored(task("my-web-1-a", WEB));
        Pod three = stored(task("my-web-3-c", WEB));
        known.created(one);
        known.created(three);
        // the index has seen my-web-1 only: my-web-3 is still one of the service's tasks
        assertThat(names(round(List.of(one)))).containsExactly("my-web-1-a", "my-web-3-c");
        assertThat(names(round(List.of(one, three)))).containsExactly("my-web-1-a", "my-web-3-c");
    }

    @Test
    void aPodTheIndexShowedAndThenMissedStillCountsWhileTheStoreHasIt() {
        Pod one = stored(task("first-act-1-a", WEB));
        Pod nine = stored(task("first-act-9-b", WEB));
        assertThat(names(round(List.of(one, nine)))).containsExactly("first-act-1-a", "first-act-9-b");
        // the informer applies an UPDATE of first-act-9: out of the index for a moment, in the store all along
        assertThat(names(round(List.of(one)))).as("a read of the index in between").containsExactly("first-act-1-a", "first-act-9-b");
        assertThat(known.known()).isEqualTo(2);

        // deleted: gone from the store, then from the index
        store.remove("default/first-act-9-b");
        assertThat(names(round(List.of(one)))).containsExactly("first-act-1-a");
        assertThat(known.known()).as("forgotten once the store no longer has it").isEqualTo(1);
    }

    @Test
    void aCreatedPodTheStoreNoLongerHasIsForgotten() {
        known.created(task("my-web-2-b", WEB));
        // created, then seen and deleted before this round read the index: neither the index nor the store has it
        assertThat(round(List.of())).isEmpty();
        assertThat(known.known()).isZero();
    }

    @Test
    void aCreatedPodTheIndexNeverShowsIsForgottenAfterAMinuteAndServicesAreApart() {
        Pod two = stored(task("my-web-2-b", WEB));
        Pod other = stored(task("other-1-x", "uid-other"));
        known.created(two);
        known.created(other);
        known.created(new PodBuilder().withNewMetadata().withNamespace("default").withName("no-owner").endMetadata().build());
        assertThat(names(round(List.of()))).as("another service's pod is not this one's").containsExactly("my-web-2-b");

        clock.addAndGet(KnownTaskPods.KEPT.toNanos() + 1);
        assertThat(round(List.of())).isEmpty();
        assertThat(known.known()).as("only the other service's pod is known").isEqualTo(1);
        known.forget("uid-other");
        assertThat(known.known()).isZero();
    }
}
