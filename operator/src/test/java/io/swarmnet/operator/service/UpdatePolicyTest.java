package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.service.UpdateConfig;
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
}
