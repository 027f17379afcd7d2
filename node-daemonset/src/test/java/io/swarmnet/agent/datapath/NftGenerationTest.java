package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NftGenerationTest {

    @Test
    void aCommitThatIsTheVeryNextGenerationCarriesTheKnownTableOn() {
        assertThat(new NftGeneration(41).then(new NftGeneration(42))).isEqualTo(new NftGeneration(42));
    }

    @Test
    void aCommitThatSkippedAGenerationLeavesTheTableUnknown() {
        assertThat(new NftGeneration(41).then(new NftGeneration(43))).isEqualTo(NftGeneration.UNKNOWN);
        assertThat(new NftGeneration(41).then(new NftGeneration(41))).isEqualTo(NftGeneration.UNKNOWN);
        assertThat(NftGeneration.UNKNOWN.then(new NftGeneration(1))).as("nothing known before").isEqualTo(NftGeneration.UNKNOWN);
        assertThat(new NftGeneration(41).then(NftGeneration.UNKNOWN)).as("a commit not reported").isEqualTo(NftGeneration.UNKNOWN);
    }

    @Test
    void theCounterWrapsToOneAsTheKernelSkipsZero() {
        NftGeneration last = NftGeneration.of(0xFFFF_FFFF);
        assertThat(last.id()).isEqualTo(4_294_967_295L);
        assertThat(last.then(NftGeneration.of(1))).isEqualTo(new NftGeneration(1));
        assertThat(NftGeneration.of(0).known()).as("0 is never a generation").isFalse();
    }

    @Test
    void onlyAKnownGenerationCanBeUnchanged() {
        assertThat(new NftGeneration(7).unchangedAt(new NftGeneration(7))).isTrue();
        assertThat(new NftGeneration(7).unchangedAt(new NftGeneration(8))).isFalse();
        assertThat(NftGeneration.UNKNOWN.unchangedAt(NftGeneration.UNKNOWN)).isFalse();
    }
}
