package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceFixture.slotOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.RollbackConfig;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.api.service.UpdateConfig;
import io.swarmnet.api.service.UpdateFailureAction;
import io.swarmnet.api.service.UpdateState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docker service update --update-failure-action, --update-monitor, --update-max-failure-ratio and
 * --rollback-*, and docker service rollback, through the whole operator on the embedded API server:
 * an update to an image whose containers start but never become ready.
 */
class UpdateFailureActionTest {

    private static final String GOOD = "nginx:1.27";
    private static final String BROKEN = "nginx:broken";
    private static final String FIXED = "nginx:1.28";

    private static ServiceFixture cluster;
    private static int tests;

    private String ns;
    private FakeKubelet kubelet;

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("rollout");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void start() {
        ns = "rollout-" + ++tests;
        cluster.useNamespace(ns);
        kubelet = new FakeKubelet(cluster.client, ns).neverReady(BROKEN).startAutomatically();
        cluster.network("my-network", null, true);
    }

    @AfterEach
    void stop() {
        kubelet.close();
    }

    /** A service of {@code replicas} GOOD tasks, all Ready; returns their template hash. */
    private String readyService(int replicas, UpdateConfig update) {
        cluster.service("my-web", replicas, List.of("my-network"), spec -> {
            spec.setUpdateConfig(update);
            RollbackConfig rollback = new RollbackConfig();
            rollback.setMonitor("1s");
            spec.setRollbackConfig(rollback);
        });
        cluster.eventually("the service is Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null)
                && cluster.pods("my-web").size() == replicas);
        return hash(cluster.pods("my-web").get(0));
    }

    private static UpdateConfig update(UpdateFailureAction action, Double maxFailureRatio) {
        UpdateConfig update = new UpdateConfig();
        update.setFailureAction(action);
        update.setMonitor("1s");
        update.setMaxFailureRatio(maxFailureRatio);
        return update;
    }

    private static void image(SwarmServiceSpec spec, String image) {
        spec.getTemplate().getSpec().getContainers().get(0).setImage(image);
    }

    private static String image(Pod pod) {
        return pod.getSpec().getContainers().get(0).getImage();
    }

    private static String hash(Pod pod) {
        return pod.getMetadata().getLabels().get(SwarmnetKeys.LABEL_TEMPLATE_HASH);
    }

    /** Slot number to image of the service's tasks. */
    private Map<Integer, String> imageBySlot() {
        return cluster.pods("my-web").stream().collect(Collectors.toMap(p -> slotOf(p).number(), UpdateFailureActionTest::image,
                (a, b) -> a + "," + b, TreeMap::new));
    }

    private UpdateState state() {
        SwarmService service = cluster.get("my-web");
        return service.getStatus() == null || service.getStatus().getUpdateStatus() == null ? null
                : service.getStatus().getUpdateStatus().getState();
    }

    private List<Event> events(String reason) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason()) && "my-web".equals(e.getInvolvedObject().getName())).toList();
    }

    private static void sleep(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    @Test
    void failureActionRollbackReturnsEveryTaskToThePreviousTemplate() {
        String oldHash = readyService(3, update(UpdateFailureAction.ROLLBACK, null));

        cluster.edit("my-web", spec -> image(spec, BROKEN));

        cluster.eventually("the rollback completed", () -> state() == UpdateState.ROLLBACK_COMPLETED);
        cluster.eventually("the service is Ready on the old template", () -> cluster.hasCondition("my-web", "Ready", "True", null)
                && cluster.pods("my-web").size() == 3 && cluster.pods("my-web").stream().allMatch(p -> oldHash.equals(hash(p))));
        assertThat(cluster.pods("my-web")).extracting(UpdateFailureActionTest::image).containsOnly(GOOD);
        SwarmService service = cluster.get("my-web");
        assertThat(service.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).as("the spec is left as written")
                .isEqualTo(BROKEN);
        String newHash = service.getStatus().getPreviousTemplate().getHash();
        assertThat(newHash).isNotEqualTo(oldHash);
        assertThat(service.getStatus().getCurrentTemplate().getHash()).isEqualTo(oldHash);
        assertThat(service.getStatus().getUpdateStatus().getMessage()).contains("rollback completed", oldHash);
        assertThat(cluster.hasCondition("my-web", "Progressing", "False", "RollbackCompleted")).isTrue();
        assertThat(cluster.hasCondition("my-web", "Degraded", "True", "RollbackCompleted")).isTrue();
        assertThat(service.getStatus().getTasks()).extracting(TaskStatus::getTemplateHash).containsOnly(oldHash);

        cluster.eventually("events: UpdateTaskFailed, RollbackStarted, RollbackCompleted", () -> !events("RollbackCompleted").isEmpty());
        assertThat(events("UpdateTaskFailed")).isNotEmpty().allSatisfy(e -> assertThat(e.getMessage())
                .contains("my-web-1-", "not Ready 1s after its containers started"));
        assertThat(events("RollbackStarted")).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).contains("rolling back from template " + newHash + " to " + oldHash, "maxFailureRatio");
        });
        // slot 1 ran old, broken, old: docker service ps shows the two before the current one
        assertThat(service.getStatus().getTaskHistory()).filteredOn(t -> t.getSlot() == 1)
                .extracting(TaskStatus::getTemplateHash, TaskStatus::getState)
                .containsExactly(tuple(newHash, "Shutdown"), tuple(oldHash, "Shutdown"));
        // the rollback stands: the broken template is not tried again while the spec still asks for it
        cluster.edit("my-web", spec -> spec.setReplicas(4));
        cluster.eventually("scaled on the old template", () -> cluster.pods("my-web").size() == 4
                && cluster.hasCondition("my-web", "Ready", "True", null));
        assertThat(cluster.pods("my-web")).extracting(UpdateFailureActionTest::hash).containsOnly(oldHash);
    }

    @Test
    void failureActionPauseStopsAtTheRatioKeepsTheOldTasksAndResumesOnTheNextSpecChange() throws Exception {
        readyService(4, update(null, 0.3));

        cluster.edit("my-web", spec -> image(spec, BROKEN));

        // 1 of 4 failed is within 0.3 and the update goes on; 2 of 4 is not
        cluster.eventually("the update paused", () -> state() == UpdateState.PAUSED);
        cluster.eventually("Progressing says why", () -> cluster.hasCondition("my-web", "Progressing", "False", "UpdatePaused"));
        assertThat(cluster.condition("my-web", "Progressing").getMessage()).contains("2 of 4 task(s) failed",
                "spec.updateConfig.maxFailureRatio (0.3)", "not Ready 1s after its containers started");
        assertThat(cluster.get("my-web").getStatus().getUpdateStatus().getFailedTasks()).hasSize(2);
        assertThat(imageBySlot()).isEqualTo(Map.of(1, BROKEN, 2, BROKEN, 3, GOOD, 4, GOOD));
        sleep(Duration.ofSeconds(2));
        assertThat(imageBySlot()).as("nothing more is updated while paused").isEqualTo(Map.of(1, BROKEN, 2, BROKEN, 3, GOOD, 4, GOOD));
        assertThat(state()).isEqualTo(UpdateState.PAUSED);
        assertThat(events("UpdatePaused")).singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        cluster.edit("my-web", spec -> image(spec, FIXED));

        cluster.eventually("the next update completes", () -> state() == UpdateState.COMPLETED
                && imageBySlot().equals(Map.of(1, FIXED, 2, FIXED, 3, FIXED, 4, FIXED)));
        assertThat(cluster.hasCondition("my-web", "Ready", "True", null)).isTrue();
        assertThat(cluster.hasCondition("my-web", "Progressing", "False", "Complete")).isTrue();
    }

    @Test
    void failureActionContinueUpdatesEverySlotDespiteFailures() {
        readyService(3, update(UpdateFailureAction.CONTINUE, null));

        cluster.edit("my-web", spec -> image(spec, BROKEN));

        cluster.eventually("every slot runs the new template", () -> imageBySlot().equals(Map.of(1, BROKEN, 2, BROKEN, 3, BROKEN)));
        cluster.eventually("all three failures counted", () -> cluster.get("my-web").getStatus().getUpdateStatus().getFailedTasks().size() == 3);
        assertThat(state()).isEqualTo(UpdateState.UPDATING);
        assertThat(cluster.get("my-web").getStatus().getUpdateStatus().getMessage()).contains("continues");
        assertThat(events("UpdateFailuresIgnored")).isNotEmpty();
        assertThat(events("UpdatePaused")).isEmpty();
        assertThat(events("RollbackStarted")).isEmpty();
    }

    @Test
    void theRollbackAnnotationRollsACompletedUpdateBack() {
        String oldHash = readyService(2, update(null, null));
        cluster.edit("my-web", spec -> image(spec, FIXED));
        cluster.eventually("the update completed", () -> state() == UpdateState.COMPLETED);
        assertThat(imageBySlot()).isEqualTo(Map.of(1, FIXED, 2, FIXED));

        cluster.client.resources(SwarmService.class).inNamespace(ns).withName("my-web")
                .edit(s -> {
                    s.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(SwarmnetKeys.ANNOTATION_ROLLBACK, "2026-12-10T10:00:00Z")));
                    return s;
                });

        cluster.eventually("rolled back", () -> state() == UpdateState.ROLLBACK_COMPLETED
                && imageBySlot().equals(Map.of(1, GOOD, 2, GOOD)));
        assertThat(cluster.pods("my-web")).extracting(UpdateFailureActionTest::hash).containsOnly(oldHash);
        assertThat(cluster.get("my-web").getStatus().getHandledRollback()).isEqualTo("2026-12-10T10:00:00Z");
        assertThat(events("RollbackStarted")).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Normal");
            assertThat(e.getMessage()).contains("annotation swarmnet.io/rollback=2026-12-10T10:00:00Z");
        });
        cluster.eventually("Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        assertThat(Set.copyOf(cluster.pods("my-web").stream().map(UpdateFailureActionTest::image).toList())).containsExactly(GOOD);
    }
}
