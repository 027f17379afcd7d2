package io.swarmnet.agent.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SequenceLimitTest {

    @Test
    void espsOwnLimitIsTheLast32BitNumberAndTheReportComesWithAQuarterLeft() {
        assertThat(SequenceLimit.ESP.last()).isEqualTo(4_294_967_295L);
        assertThat(SequenceLimit.ESP.nearLimitAt()).isEqualTo(4_294_967_295L - 1_073_741_823L);
        assertThat(SequenceLimit.ESP.nearLimit(3_221_225_471L)).isFalse();
        assertThat(SequenceLimit.ESP.nearLimit(3_221_225_472L)).isTrue();
    }

    @Test
    void anSaNearItsLimitMaySendUntilTheLastNumberAndNotBeyond() {
        SequenceLimit limit = new SequenceLimit(1_000);
        assertThat(limit.nearLimitAt()).isEqualTo(750);
        assertThat(limit.nearLimit(749)).isFalse();
        assertThat(limit.nearLimit(750)).isTrue();
        assertThat(limit.exhausted(999)).as("after 999 the last number, 1000, is still free").isFalse();
        assertThat(limit.exhausted(1_000)).isTrue();
    }

    @Test
    void aLimitBeyond32BitsOrTooSmallToRotateInIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> new SequenceLimit(1L << 32)).hasMessageContaining("4294967296")
                .hasMessageContaining("SWARMNET_ESP_SEQUENCE_LIMIT");
        assertThatThrownBy(() -> new SequenceLimit(10)).hasMessageContaining("outside 100..4294967295");
    }
}
