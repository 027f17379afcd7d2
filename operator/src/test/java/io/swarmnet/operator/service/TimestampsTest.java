package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimestampsTest {

    @Test
    void readsTheApiServersFormAsInstantParseDoes() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            // 1970 to 2100, leap days included
            Instant instant = Instant.ofEpochSecond(random.nextLong(0, 4_102_444_800L)).truncatedTo(ChronoUnit.SECONDS);
            assertThat(Timestamps.parse(instant.toString())).isEqualTo(instant);
        }
        assertThat(Timestamps.parse("2028-02-29T23:59:59Z")).isEqualTo(Instant.parse("2028-02-29T23:59:59Z"));
    }

    @Test
    void readsOtherRfc3339FormsThroughInstantParse() {
        assertThat(Timestamps.parse("2026-12-06T04:33:46.123456Z")).isEqualTo(Instant.parse("2026-12-06T04:33:46.123456Z"));
        assertThat(Timestamps.parse("2026-12-06T05:33:46+01:00")).isEqualTo(Instant.parse("2026-12-06T04:33:46Z"));
    }

    @Test
    void answersNullForNoneAndForWhatIsNoTime() {
        assertThat(Timestamps.parse(null)).isNull();
        for (String bad : new String[] {"", "yesterday", "2026-02-30T00:00:00Z", "2026-12-06T25:00:00Z", "2026-13-06T00:00:00Z",
                "2026-12-06 04:33:46Z", "2026-12-0xT04:33:46Z", "+026-12-06T04:33:46Z"}) {
            assertThat(Timestamps.parse(bad)).as(bad).isNull();
        }
    }
}
