package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.UpdateOrder;
import io.swarmnet.api.service.UpdateState;
import io.swarmnet.operator.service.ExistingTask.Lifecycle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpdateMonitorTest {

    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
    private static final Duration MONITOR = Duration.ofSeconds(5);
    private static final UpdatePolicy ROLLBACK = policy(UpdatePolicy.FailureAction.ROLLBACK, UpdatePolicy.UPDATE_FIELD);
    private static final UpdatePolicy PAUSE = policy(UpdatePolicy.FailureAction.PAUSE, UpdatePolicy.UPDATE_FIELD);
    private static final UpdatePolicy ROLLBACK_PAUSE = policy(UpdatePolicy.FailureAction.PAUSE, UpdatePolicy.ROLLBACK_FIELD);
    private static final Set<TaskSlot> TWO_SLOTS = Set.of(TaskSlot.replicated(1), TaskSlot.replicated(2));

    private static UpdatePolicy policy(UpdatePolicy.FailureAction action, String field) {
        return new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST, MONITOR, 0, action, field);
    }

    private static JsonNode template(String image) {
        return JsonNodeFactory.instance.objectNode().put("image", image);
    }

    /** A service's life seen by the monitor: each round feeds the last outcome back as status, as the reconciler does. */
    private static final class Service {
        String hash = "a";
        long generation = 1;
        String annotation;
        UpdatePolicy update = PAUSE;
        final List<WatchedTask> tasks = new ArrayList<>();
        SwarmServiceStatus status;
        UpdateMonitor.Outcome last;

        UpdateMonitor.Outcome round(Instant now) {
            last = UpdateMonitor.decide(new UpdateMonitor.Input(hash, template(hash), generation, annotation, status, update,
                    ROLLBACK_PAUSE, List.copyOf(tasks), TWO_SLOTS, now));
            status = new SwarmServiceStatus();
            status.setCurrentTemplate(last.current());
            status.setPreviousTemplate(last.previous());
            status.setUpdateStatus(last.status());
            status.setHandledRollback(last.handledRollback());
            return last;
        }

        Service change(String newHash) {
            hash = newHash;
            generation++;
            return this;
        }

        Service task(String name, int slot, String taskHash, Instant created, boolean ready) {
            tasks.removeIf(t -> t.slot().number() == slot);
            tasks.add(new WatchedTask(name, TaskSlot.replicated(slot), taskHash, Lifecycle.ACTIVE, created, created.plusSeconds(1), ready,
                    null));
            return this;
        }

        UpdateState state() {
            return last.status() == null ? null : last.status().getState();
        }
    }

    private static Service runningA() {
        Service service = new Service();
        service.task("web-1-a", 1, "a", T0.minusSeconds(600), true).task("web-2-a", 2, "a", T0.minusSeconds(600), true);
        service.round(T0.minusSeconds(500));
        return service;
    }

    @Test
    void aNewServiceRecordsItsTemplateStartsNoUpdateAndTakesAPresentAnnotationAsHandled() {
        Service service = new Service();
        service.annotation = "old-request";

        UpdateMonitor.Outcome outcome = service.round(T0);

        assertThat(outcome.current().getHash()).isEqualTo("a");
        assertThat(outcome.previous()).isNull();
        assertThat(outcome.status()).isNull();
        assertThat(outcome.handledRollback()).isEqualTo("old-request");
        assertThat(outcome.notices()).isEmpty();
    }

    @Test
    void aTemplateChangeStartsAnUpdateAndKeepsTheTemplateBeforeIt() {
        Service service = runningA().change("b");

        UpdateMonitor.Outcome outcome = service.round(T0);

        assertThat(outcome.current().getHash()).isEqualTo("b");
        assertThat(outcome.previous().getHash()).isEqualTo("a");
        assertThat(outcome.previous().getTemplate()).isEqualTo(template("a"));
        assertThat(service.state()).isEqualTo(UpdateState.UPDATING);
        assertThat(outcome.notices()).extracting(UpdateMonitor.Notice::reason).containsExactly("UpdateStarted");
    }

    @Test
    void aNewTaskIsWatchedForTheMonitorWindowThenTheUpdateCompletes() {
        Service service = runningA().change("b");
        service.round(T0);
        service.task("web-1-b", 1, "b", T0, true).task("web-2-b", 2, "b", T0, true);

        UpdateMonitor.Outcome watching = service.round(T0.plusSeconds(3));
        assertThat(service.state()).isEqualTo(UpdateState.UPDATING);
        assertThat(watching.recheckAfter()).hasValue(Duration.ofSeconds(3));

        service.round(T0.plusSeconds(6));
        assertThat(service.state()).isEqualTo(UpdateState.COMPLETED);
        assertThat(service.last.status().getCompletedAt()).isEqualTo("2026-12-01T12:00:06Z");
        assertThat(service.last.notices()).extracting(UpdateMonitor.Notice::reason).containsExactly("UpdateCompleted");
    }

    @Test
    void aTaskNotReadyWhenItsWindowClosesRollsBackAndTheRollbackStandsWhileTheSpecAsksForTheFailedTemplate() {
        Service service = runningA();
        service.update = ROLLBACK;
        service.change("b").round(T0);
        service.task("web-1-b", 1, "b", T0, false);

        UpdateMonitor.Outcome failed = service.round(T0.plusSeconds(7));

        assertThat(service.state()).isEqualTo(UpdateState.ROLLBACK_STARTED);
        assertThat(failed.current().getHash()).isEqualTo("a");
        assertThat(failed.previous().getHash()).isEqualTo("b");
        assertThat(failed.policy()).isEqualTo(ROLLBACK_PAUSE);
        assertThat(failed.runsOtherThanSpec("b")).isTrue();
        assertThat(failed.notices()).extracting(UpdateMonitor.Notice::reason).containsExactly("UpdateTaskFailed", "RollbackStarted");
        assertThat(failed.notices().get(1).message()).contains("1 of 2 task(s) failed", "task web-1-b: not Ready 5s");

        service.generation++; // e.g. kubectl scale: the spec still asks for b
        service.task("web-1-a2", 1, "a", T0.plusSeconds(8), true);
        service.round(T0.plusSeconds(20));
        assertThat(service.state()).isEqualTo(UpdateState.ROLLBACK_COMPLETED);
        assertThat(service.last.current().getHash()).isEqualTo("a");

        service.change("c").round(T0.plusSeconds(30));
        assertThat(service.state()).as("a different template starts a new update from what runs").isEqualTo(UpdateState.UPDATING);
        assertThat(service.last.previous().getHash()).isEqualTo("a");
    }

    @Test
    void aPausedUpdateHoldsUntilTheGenerationMoves() {
        Service service = runningA().change("b");
        service.round(T0);
        service.task("web-1-b", 1, "b", T0, false);

        UpdateMonitor.Outcome paused = service.round(T0.plusSeconds(7));
        assertThat(service.state()).isEqualTo(UpdateState.PAUSED);
        assertThat(paused.hold()).isTrue();
        assertThat(paused.status().getPausedGeneration()).isEqualTo(2);
        assertThat(paused.status().getMessage()).contains("paused", "spec.updateConfig.maxFailureRatio (0.0)", "swarmnet.io/rollback");

        assertThat(service.round(T0.plusSeconds(60)).hold()).as("nothing changed").isTrue();

        service.generation++;
        UpdateMonitor.Outcome resumed = service.round(T0.plusSeconds(61));
        assertThat(service.state()).isEqualTo(UpdateState.UPDATING);
        assertThat(resumed.hold()).isFalse();
        assertThat(resumed.status().getFailedTasks()).isEmpty();
        assertThat(resumed.notices()).extracting(UpdateMonitor.Notice::reason).contains("UpdateResumed");
    }

    @Test
    void tasksThatExistedBeforeTheUpdateAreNotJudged() {
        Service service = runningA();
        service.annotation = "1";
        // a manual rollback with nothing to roll back to says so and changes nothing
        UpdateMonitor.Outcome unavailable = service.round(T0);
        assertThat(unavailable.notices()).extracting(UpdateMonitor.Notice::reason).containsExactly("RollbackUnavailable");
        assertThat(service.state()).isNull();

        service.change("b").round(T0);
        service.task("web-1-b", 1, "b", T0, true);
        service.annotation = "2";
        UpdateMonitor.Outcome rolledBack = service.round(T0.plusSeconds(1));
        assertThat(service.state()).isEqualTo(UpdateState.ROLLBACK_STARTED);
        assertThat(rolledBack.current().getHash()).isEqualTo("a");
        // slot 2's old task of template a was never Ready again: it is not one of the rollback's tasks
        service.tasks.clear();
        service.task("web-1-a2", 1, "a", T0.plusSeconds(2), true).task("web-2-a", 2, "a", T0.minusSeconds(600), false);
        service.round(T0.plusSeconds(30));
        assertThat(service.state()).isEqualTo(UpdateState.ROLLBACK_STARTED);
        assertThat(service.last.status().getFailedTasks()).isEmpty();
    }
}
