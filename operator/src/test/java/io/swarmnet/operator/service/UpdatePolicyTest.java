package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.service.RollbackConfig;
import io.swarmnet.api.service.RollbackFailureAction;
import io.swarmnet.api.service.UpdateConfig;
import io.swarmnet.api.service.UpdateFailureAction;
import io.swarmnet.api.service.UpdateOrder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UpdatePolicyTest {

    @Test
    void readsDurationsAsDockerWritesThem() {
        assertThat(GoDuration.parse("10s", "f")).isEqualTo(Duration.ofSeconds(10));
        assertThat(GoDuration.parse("1m30s", "f")).isEqualTo(Duration.ofSeconds(90));
        assertThat(GoDuration.parse("1.5h", "f")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("250ms", "f")).isEqualTo(Duration.ofMillis(250));
        assertThat(GoDuration.parse("0s", "f")).isEqualTo(Duration.ZERO);
        assertThat(GoDuration.parse(null, "f")).isEqualTo(Duration.ZERO);
    }

    @Test
    void refusesDurationsNamingTheField() {
        assertThatThrownBy(() -> GoDuration.parse("10 seconds", "spec.updateConfig.delay"))
                .hasMessageContaining("spec.updateConfig.delay").hasMessageContaining("10 seconds").hasMessageContaining("1m30s");
        assertThatThrownBy(() -> GoDuration.parse("5", "f")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fillsInDockersDefaults() {
        assertThat(UpdatePolicy.of(null)).isEqualTo(new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST));
        assertThat(UpdatePolicy.of(new UpdateConfig())).isEqualTo(UpdatePolicy.DEFAULT);

        UpdateConfig config = new UpdateConfig();
        config.setParallelism(0);
        config.setDelay("2s");
        config.setOrder(UpdateOrder.START_FIRST);
        assertThat(UpdatePolicy.of(config)).isEqualTo(new UpdatePolicy(0, Duration.ofSeconds(2), UpdateOrder.START_FIRST));
    }

    @Test
    void parallelismZeroMeansNoLimit() {
        assertThat(new UpdatePolicy(0, Duration.ZERO, UpdateOrder.STOP_FIRST).budget(50)).isEqualTo(Integer.MAX_VALUE);
        assertThat(new UpdatePolicy(2, Duration.ZERO, UpdateOrder.STOP_FIRST).budget(1)).isEqualTo(1);
        assertThat(new UpdatePolicy(2, Duration.ZERO, UpdateOrder.STOP_FIRST).budget(3)).isZero();
    }

    @Test
    void readsTheFailureSettingsWithDockersDefaults() {
        assertThat(UpdatePolicy.of(null).monitor()).isEqualTo(Duration.ofSeconds(5));
        assertThat(UpdatePolicy.of(null).maxFailureRatio()).isZero();
        assertThat(UpdatePolicy.of(null).failureAction()).isEqualTo(UpdatePolicy.FailureAction.PAUSE);
        assertThat(UpdatePolicy.ofRollback(null)).isEqualTo(UpdatePolicy.DEFAULT_ROLLBACK);

        UpdateConfig config = new UpdateConfig();
        config.setFailureAction(UpdateFailureAction.ROLLBACK);
        config.setMonitor("1m30s");
        config.setMaxFailureRatio(0.25);
        UpdatePolicy policy = UpdatePolicy.of(config);
        assertThat(policy.failureAction()).isEqualTo(UpdatePolicy.FailureAction.ROLLBACK);
        assertThat(policy.monitor()).isEqualTo(Duration.ofSeconds(90));
        assertThat(policy.maxFailureRatio()).isEqualTo(0.25);

        RollbackConfig rollback = new RollbackConfig();
        rollback.setFailureAction(RollbackFailureAction.CONTINUE);
        rollback.setParallelism(0);
        assertThat(UpdatePolicy.ofRollback(rollback).failureAction()).isEqualTo(UpdatePolicy.FailureAction.CONTINUE);
        assertThat(UpdatePolicy.ofRollback(rollback).parallelism()).isZero();
        assertThat(UpdatePolicy.ofRollback(rollback).field()).isEqualTo("spec.rollbackConfig");
    }

    @Test
    void refusesARatioOutsideZeroToOneNamingTheFieldAndTheRange() {
        for (double ratio : new double[] {-0.1, 1.5, Double.NaN}) {
            UpdateConfig config = new UpdateConfig();
            config.setMaxFailureRatio(ratio);
            assertThatThrownBy(() -> UpdatePolicy.of(config)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("spec.updateConfig.maxFailureRatio " + ratio).hasMessageContaining("from 0").hasMessageContaining("to 1");
        }
        RollbackConfig rollback = new RollbackConfig();
        rollback.setMaxFailureRatio(2.0);
        assertThatThrownBy(() -> UpdatePolicy.ofRollback(rollback)).hasMessageContaining("spec.rollbackConfig.maxFailureRatio 2.0");
    }

    @Test
    void refusesAMonitorThatIsNotADurationNamingTheField() {
        UpdateConfig config = new UpdateConfig();
        config.setMonitor("5 seconds");
        assertThatThrownBy(() -> UpdatePolicy.of(config)).hasMessageContaining("spec.updateConfig.monitor '5 seconds' is not a duration")
                .hasMessageContaining("1m30s");
        RollbackConfig rollback = new RollbackConfig();
        rollback.setParallelism(-1);
        assertThatThrownBy(() -> UpdatePolicy.ofRollback(rollback)).hasMessageContaining("spec.rollbackConfig.parallelism -1 is negative");
    }

    @Test
    void tooManyFailuresComparesTheShareWithTheRatioAsDockerDoes() {
        UpdatePolicy quarter = new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST, Duration.ofSeconds(5), 0.25,
                UpdatePolicy.FailureAction.PAUSE, UpdatePolicy.UPDATE_FIELD);
        assertThat(quarter.tooManyFailures(1, 4)).isFalse();
        assertThat(quarter.tooManyFailures(2, 4)).isTrue();
        assertThat(UpdatePolicy.DEFAULT.tooManyFailures(0, 4)).isFalse();
        assertThat(UpdatePolicy.DEFAULT.tooManyFailures(1, 100)).isTrue();
    }

    @Test
    void writesDurationsBackAsDockerDoes() {
        assertThat(GoDuration.format(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(GoDuration.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(GoDuration.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(GoDuration.format(Duration.ZERO)).isEqualTo("0s");
    }
}
