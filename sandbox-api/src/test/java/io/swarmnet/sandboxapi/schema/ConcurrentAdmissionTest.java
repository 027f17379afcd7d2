package io.swarmnet.sandboxapi.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One validator per CRD serves every request of the embedded API server, so it is used from many threads. */
class ConcurrentAdmissionTest {

    @Test
    void oneValidatorGivesEachThreadItsOwnCorrectAnswer() throws Exception {
        CrdValidator crd = Crds.SWARM_SERVICE;
        Manifest good = Manifest.load("swarmservice-full.yaml");
        Manifest bad = good.with("spec.mode", "global");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                boolean valid = i % 2 == 0;
                Manifest sample = valid ? good : bad;
                results.add(pool.submit(() -> crd.admit(sample.json(), null).isEmpty() == valid));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
