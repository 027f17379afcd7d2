package io.swarmnet.sandboxapi.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How long building a validator (compiling the CEL rules) and admitting one object take.
 * Run on purpose: {@code mvn -pl sandbox-api test -Dgroups=benchmark -DexcludedGroups=none -Dtest=CrdValidatorBenchmark}.
 */
@Tag("benchmark")
class CrdValidatorBenchmark {

    @Test
    void printsBuildAndAdmitCosts() {
        JsonNode networkCrd = CrdFiles.read("overlaynetworks.swarmnet.io.yaml");
        JsonNode serviceCrd = CrdFiles.read("swarmservices.swarmnet.io.yaml");
        long t0 = System.nanoTime();
        CrdValidator network = CrdValidator.forCrd(networkCrd);
        long t1 = System.nanoTime();
        CrdValidator service = CrdValidator.forCrd(serviceCrd);
        long t2 = System.nanoTime();
        System.out.printf("forCrd cold: OverlayNetwork %.1f ms, SwarmService %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        for (int i = 0; i < 20; i++) {
            CrdValidator.forCrd(serviceCrd);
        }
        long t3 = System.nanoTime();
        int builds = 20;
        for (int i = 0; i < builds; i++) {
            CrdValidator.forCrd(networkCrd);
            CrdValidator.forCrd(serviceCrd);
        }
        System.out.printf("forCrd warm: both CRDs %.2f ms%n", (System.nanoTime() - t3) / 1e6 / builds);

        Manifest net = Manifest.load("overlaynetwork-full.yaml");
        Manifest svc = Manifest.load("swarmservice-full.yaml");
        ObjectNode oldNet = net.json();
        measure("admit OverlayNetwork create", () -> network.admit(net.json(), null));
        measure("admit OverlayNetwork update", () -> network.admit(net.with("spec.mtu", 1500).json(), oldNet));
        measure("admit SwarmService create", () -> service.admit(svc.json(), null));
        assertThat(service.admit(svc.json(), null)).isEmpty();
    }

    private static void measure(String what, Runnable admit) {
        for (int i = 0; i < 2_000; i++) {
            admit.run();
        }
        int n = 10_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            admit.run();
        }
        double micros = (System.nanoTime() - start) / 1e3 / n;
        System.out.printf("%s: %.1f µs each (%.0f/s, one thread, includes copying the sample)%n", what, micros, 1e6 / micros);
    }
}
