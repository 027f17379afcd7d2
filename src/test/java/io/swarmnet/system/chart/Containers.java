package io.swarmnet.system.chart;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading a rendered container's environment the way the process will see it. */
final class Containers {

    /** Literal values only (downward-API variables are checked on their own). */
    static Map<String, String> literalEnv(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            if (var.getValueFrom() == null) {
                env.put(var.getName(), var.getValue() == null ? "" : var.getValue());
            }
        }
        return env;
    }

    /** The pod field a downward-API variable reads, e.g. spec.nodeName. */
    static String fieldRef(Container container, String name) {
        return container.getEnv().stream()
                .filter(v -> v.getName().equals(name))
                .filter(v -> v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null)
                .map(v -> v.getValueFrom().getFieldRef().getFieldPath())
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no downward-API variable " + name));
    }

    private Containers() {
    }
}
