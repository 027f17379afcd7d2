package io.swarmnet.system.k3s;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Disables a test class, with the reason in the report, when no Docker engine answers. Evaluated
 * before any container is created or any Testcontainers class is touched, so a machine without an
 * engine pays only for the probe (milliseconds).
 */
public final class RequiresDockerEngine implements ExecutionCondition {

    private static volatile DockerEngine.Probe probe;

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        DockerEngine.Probe result = probe;
        if (result == null) {
            result = DockerEngine.probe();
            probe = result;
        }
        return result.reachable()
                ? ConditionEvaluationResult.enabled("Docker engine at " + result.endpoint())
                : ConditionEvaluationResult.disabled(result.skipMessage());
    }
}
