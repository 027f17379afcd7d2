package io.swarmnet.system.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** A scenario run through the JUnit launcher as the build runs it: what each step reports, in the order they ran. */
class ScenarioTest {

    /** Steps that would cascade: the third breaks what the fourth and fifth need. Run only by the tests below. */
    @Scenario
    static class Walkthrough {

        static final List<String> RAN = new ArrayList<>();

        @Test
        @Order(1)
        void up() {
            RAN.add("up");
        }

        @Test
        @Order(2)
        void optionalCheck() {
            RAN.add("optionalCheck");
            assumeTrue(false, "this machine has no DNS server");
        }

        @Test
        @Order(3)
        void apply() {
            RAN.add("apply");
            throw new AssertionError("my-web has 1 of 3 tasks ready");
        }

        @Test
        @Order(4)
        void scale() {
            RAN.add("scale");
            throw new AssertionError("a cascade: my-web is not ready");
        }

        @Test
        @Order(5)
        void down() {
            RAN.add("down");
        }
    }

    @Scenario
    static class Passing {

        static final List<String> RAN = new ArrayList<>();

        @Test
        @Order(2)
        void second() {
            RAN.add("second");
        }

        @Test
        @Order(1)
        void first() {
            RAN.add("first");
        }
    }

    @Test
    void afterTheFirstFailedStepTheRestAreSkippedNamingIt() {
        Walkthrough.RAN.clear();

        Map<String, String> outcomes = run(Walkthrough.class);

        assertThat(Walkthrough.RAN).containsExactly("up", "optionalCheck", "apply");
        assertThat(outcomes).containsExactly(
                Map.entry("up()", "SUCCESSFUL"),
                Map.entry("optionalCheck()", "ABORTED: Assumption failed: this machine has no DNS server"),
                Map.entry("apply()", "FAILED: my-web has 1 of 3 tasks ready"),
                Map.entry("scale()", "SKIPPED: skipped: the earlier step apply failed"),
                Map.entry("down()", "SKIPPED: skipped: the earlier step apply failed"));
    }

    @Test
    void aScenarioWithoutFailuresRunsEveryStepInItsOrder() {
        Passing.RAN.clear();

        Map<String, String> outcomes = run(Passing.class);

        assertThat(Passing.RAN).containsExactly("first", "second");
        assertThat(outcomes).containsExactly(Map.entry("first()", "SUCCESSFUL"), Map.entry("second()", "SUCCESSFUL"));
    }

    /** Each test method's display name and how it ended, in the order they ended. */
    private static Map<String, String> run(Class<?> scenario) {
        Map<String, String> outcomes = new LinkedHashMap<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier test, String reason) {
                if (test.isTest()) {
                    outcomes.put(test.getDisplayName(), "SKIPPED: " + reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (test.isTest()) {
                    outcomes.put(test.getDisplayName(), result.getStatus()
                            + result.getThrowable().map(t -> ": " + t.getMessage()).orElse(""));
                }
            }
        };
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(scenario)).build(), listener);
        return outcomes;
    }
}
