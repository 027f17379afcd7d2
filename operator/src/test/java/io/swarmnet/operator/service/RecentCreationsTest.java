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
 * Read-your-writes for the informer's index: a task pod the operator just created counts in the next round even before
 * its ADD event reached the index — what kept a round from creating slot 3 of my-web a second time on the real cluster.
 */
class RecentCreationsTest {

    private static final String WEB = "uid-web";
    private final AtomicLong clock = new AtomicLong();
    private final RecentCreations recent = new RecentCreations(clock::get);
    /** What the informer's cache answers for one pod (its store, then its cache of recent writes). */
    private final Map<String, Pod> cache = new HashMap<>();

    private static Pod task(String name, String controller) {
        return new PodBuilder().withNewMetadata().withNamespace("default").withName(name)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("swarmnet.io/v1alpha1").withKind("SwarmService")
                        .withName("my-web").withUid(controller).withController(true).build())
                .endMetadata().build();
    }

    private List<Pod> round(List<Pod> indexed) {
        return recent.tasks(WEB, indexed, (namespace, name) -> Optional.ofNullable(cache.get(namespace + "/" + name)));
    }

    private static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).toList();
    }

    @Test
    void aCreatedPodTheIndexDoesNotShowYetCountsUntilItDoes() {
        Pod one = task("my-web-1-a", WEB);
        Pod three = task("my-web-3-c", WEB);
        recent.created(one);
        recent.created(three);
        cache.put("default/my-web-1-a", one);
        cache.put("default/my-web-3-c", three);

        // the index has seen my-web-1 only: my-web-3 is still one of the service's tasks
        assertThat(names(round(List.of(one)))).containsExactly("my-web-1-a", "my-web-3-c");
        assertThat(recent.pending()).as("my-web-1 is in the index now, forgotten").isEqualTo(1);

        assertThat(names(round(List.of(one, three)))).containsExactly("my-web-1-a", "my-web-3-c");
        assertThat(recent.pending()).isZero();
        assertThat(names(round(List.of(one)))).as("once seen, only the index counts").containsExactly("my-web-1-a");
    }

    @Test
    void aCreatedPodTheCacheNoLongerHasIsForgotten() {
        Pod two = task("my-web-2-b", WEB);
        recent.created(two);
        // created, then seen and deleted before this round read the index: neither the index nor the cache has it
        assertThat(round(List.of())).isEmpty();
        assertThat(recent.pending()).isZero();
    }

    @Test
    void aPodTheIndexNeverShowsIsForgottenAfterAMinuteAndOthersServicesAreApart() {
        Pod two = task("my-web-2-b", WEB);
        Pod other = task("other-1-x", "uid-other");
        recent.created(two);
        recent.created(other);
        recent.created(new PodBuilder().withNewMetadata().withNamespace("default").withName("no-owner").endMetadata().build());
        cache.put("default/my-web-2-b", two);
        cache.put("default/other-1-x", other);
        assertThat(names(round(List.of()))).as("another service's pod is not this one's").containsExactly("my-web-2-b");

        clock.addAndGet(RecentCreations.KEPT.toNanos() + 1);
        assertThat(round(List.of())).isEmpty();
        assertThat(recent.pending()).as("only the other service's pod waits").isEqualTo(1);
        recent.forget("uid-other");
        assertThat(recent.pending()).isZero();
    }
}
