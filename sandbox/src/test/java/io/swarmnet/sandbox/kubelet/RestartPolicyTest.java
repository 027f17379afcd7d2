package io.swarmnet.sandbox.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {

    @Test
    void restartsAsTheKubeletDoesPerPolicy() {
        assertThat(RestartPolicy.of(null)).isEqualTo(RestartPolicy.Always);
        assertThat(RestartPolicy.Always.restarts(0)).isTrue();
        assertThat(RestartPolicy.OnFailure.restarts(0)).isFalse();
        assertThat(RestartPolicy.OnFailure.restarts(2)).isTrue();
        assertThat(RestartPolicy.Never.restarts(2)).isFalse();
    }

    @Test
    void backsOffExponentiallyUpToACap() {
        assertThat(RestartPolicy.backoff(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(RestartPolicy.backoff(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RestartPolicy.backoff(3)).isEqualTo(Duration.ofSeconds(8));
        assertThat(RestartPolicy.backoff(9)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RestartPolicy.backoff(500)).isEqualTo(Duration.ofSeconds(30));
    }
}
