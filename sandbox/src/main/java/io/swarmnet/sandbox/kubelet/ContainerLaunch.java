package io.swarmnet.sandbox.kubelet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one container of a pod runs as a host process: its argv ({@code command} + {@code args}, with
 * Kubernetes' {@code $(VAR)} expansion), its environment and working directory. The sandbox has no
 * images, so a container without a {@code command} cannot run: {@link #of} says so.
 *
 * @param container  the container's name
 * @param argv       the program and its arguments
 * @param env        the whole environment of the process (nothing is inherited from the sandbox)
 * @param workingDir the container's workingDir, or / as in most images
 */
public record ContainerLaunch(String container, List<String> argv, Map<String, String> env, String workingDir) {

    /** Docker's default PATH, plus nothing of the host's environment. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public ContainerLaunch {
        argv = List.copyOf(argv);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    /** Builds the launch of {@code container}; throws {@link IllegalArgumentException} naming the missing field. */
    public static ContainerLaunch of(Pod pod, Container container, String podIp, String hostIp) {
        String podName = pod.getMetadata().getName();
        List<String> command = container.getCommand() == null ? List.of() : container.getCommand();
        if (command.isEmpty()) {
            throw new IllegalArgumentException("pod " + pod.getMetadata().getNamespace() + "/" + podName + " container "
                    + container.getName() + " has no command: the sandbox runs no images (image " + container.getImage()
                    + " is not pulled), so set spec.template.spec.containers[].command to a program installed on this machine");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOSTNAME", podName);
        env.put("HOME", "/root");
        if (container.getEnv() != null) {
            for (EnvVar var : container.getEnv()) {
                env.put(var.getName(), value(pod, var, env, podIp, hostIp));
            }
        }
        List<String> argv = new ArrayList<>();
        command.forEach(word -> argv.add(expand(word, env)));
        if (container.getArgs() != null) {
            container.getArgs().forEach(word -> argv.add(expand(word, env)));
        }
        String workingDir = container.getWorkingDir() == null || container.getWorkingDir().isBlank() ? "/" : container.getWorkingDir();
        return new ContainerLaunch(container.getName(), argv, env, workingDir);
    }

    private static String value(Pod pod, EnvVar var, Map<String, String> earlier, String podIp, String hostIp) {
        if (var.getValueFrom() == null) {
            return var.getValue() == null ? "" : expand(var.getValue(), earlier);
        }
        if (var.getValueFrom().getFieldRef() != null) {
            String path = var.getValueFrom().getFieldRef().getFieldPath();
            return switch (path) {
                case "metadata.name" -> pod.getMetadata().getName();
                case "metadata.namespace" -> pod.getMetadata().getNamespace();
                case "metadata.uid" -> String.valueOf(pod.getMetadata().getUid());
                case "spec.nodeName" -> String.valueOf(pod.getSpec().getNodeName());
                case "spec.serviceAccountName" -> String.valueOf(pod.getSpec().getServiceAccountName());
                case "status.podIP" -> podIp == null ? "" : podIp;
                case "status.hostIP" -> hostIp == null ? "" : hostIp;
                default -> throw new IllegalArgumentException("env " + var.getName() + " uses fieldRef " + path
                        + ", which the sandbox does not provide; use metadata.name, metadata.namespace, metadata.uid, "
                        + "spec.nodeName, status.podIP or status.hostIP");
            };
        }
        throw new IllegalArgumentException("env " + var.getName()
                + " takes its value from a ConfigMap, Secret or resource, which the sandbox does not provide; use value or fieldRef");
    }

    /** Kubernetes' expansion: {@code $(NAME)} becomes the variable when defined, {@code $$} a literal {@code $}. */
    static String expand(String text, Map<String, String> env) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (next == '$') {
                    out.append('$');
                    i += 2;
                    continue;
                }
                if (next == '(') {
                    int close = text.indexOf(')', i + 2);
                    if (close > 0) {
                        String name = text.substring(i + 2, close);
                        if (env.containsKey(name)) {
                            out.append(env.get(name));
                            i = close + 1;
                            continue;
                        }
                    }
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }
}
