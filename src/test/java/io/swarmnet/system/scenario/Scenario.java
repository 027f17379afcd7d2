package io.swarmnet.system.scenario;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A test class whose {@code @Order}ed test methods are the steps of one scenario, each building on the ones before
 * (a cluster brought up, the walkthrough applied, then checked, scaled, updated). Once a step fails, every later
 * step is skipped with the reason "the earlier step NAME failed", so the report shows the one failure to look at
 * instead of a cascade of failures it caused. A step skipped by an assumption does not stop the scenario.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Scenario.StopAtFirstFailure.class)
public @interface Scenario {

    /** Remembers the first failed step in the test class's store and skips the steps after it. */
    final class StopAtFirstFailure implements ExecutionCondition, TestWatcher {

        private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StopAtFirstFailure.class);
        private static final String FAILED_STEP = "failed step";

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (context.getTestMethod().isEmpty()) {
                return ConditionEvaluationResult.enabled("not a step");
            }
            return failedStep(context)
                    .map(step -> ConditionEvaluationResult.disabled("skipped: the earlier step " + step + " failed"))
                    .orElseGet(() -> ConditionEvaluationResult.enabled("no earlier step failed"));
        }

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (failedStep(context).isEmpty()) {
                scenario(context).getStore(NAMESPACE).put(FAILED_STEP, context.getRequiredTestMethod().getName());
            }
        }

        private static Optional<String> failedStep(ExtensionContext context) {
            return Optional.ofNullable(scenario(context).getStore(NAMESPACE).get(FAILED_STEP, String.class));
        }

        /** The test class's context: it outlives each step's, whose store is closed by the time a watcher hears of it. */
        private static ExtensionContext scenario(ExtensionContext step) {
            return step.getParent().orElseThrow();
        }
    }
}
