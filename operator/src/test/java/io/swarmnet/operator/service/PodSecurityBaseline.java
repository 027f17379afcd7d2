package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The Pod Security Standards' "baseline" level as the PodSecurity admission checks it (the latest
 * version), one method per rule, each named as the standard names it. {@link #violations} lists
 * what a pod breaks, e.g. {@code "Host Namespaces: spec.hostNetwork is true"}; empty means the pod
 * is admitted into a namespace that enforces baseline. Ephemeral containers are left out: they are
 * added later, through their own subresource, not by whoever creates the pod.
 */
final class PodSecurityBaseline {

    private static final Set<String> DEFAULT_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID",
            "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    private static final Set<String> SELINUX_TYPES = Set.of("", "container_t", "container_init_t", "container_kvm_t",
            "container_engine_t");
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
            "net.ipv4.tcp_slow_start_after_idle");
    private static final String APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

    private final PodSpec spec;
    private final Map<String, String> annotations;
    private final List<String> found = new ArrayList<>();

    private PodSecurityBaseline(Pod pod) {
        this.spec = pod.getSpec();
        this.annotations = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    }

    static List<String> violations(Pod pod) {
        PodSecurityBaseline check = new PodSecurityBaseline(pod);
        check.hostProcess();
        check.hostNamespaces();
        check.privilegedContainers();
        check.capabilities();
        check.hostPathVolumes();
        check.hostPorts();
        check.hostProbesAndLifecycleHooks();
        check.appArmor();
        check.seLinux();
        check.procMountType();
        check.seccomp();
        check.sysctls();
        return List.copyOf(check.found);
    }

    /** Containers and init containers with the path a violation is reported under. */
    private record Named(String path, Container container) {
        SecurityContext security() {
            return container.getSecurityContext();
        }
    }

    private List<Named> containers() {
        List<Named> all = new ArrayList<>();
        for (String field : List.of("containers", "initContainers")) {
            List<Container> list = "containers".equals(field) ? spec.getContainers() : spec.getInitContainers();
            if (list != null) {
                list.forEach(c -> all.add(new Named("spec." + field + "[" + c.getName() + "]", c)));
            }
        }
        return all;
    }

    private void violation(String rule, String what) {
        found.add(rule + ": " + what);
    }

    /**
     * Hands {@code check} the setting from the pod's security context and from each container's, with
     * the path of the security context it is in, wherever it is set.
     */
    private <T> void everySecurityContext(Function<PodSecurityContext, T> inPod, Function<SecurityContext, T> inContainer,
                                          BiConsumer<String, T> check) {
        if (spec.getSecurityContext() != null && inPod.apply(spec.getSecurityContext()) != null) {
            check.accept("spec.securityContext", inPod.apply(spec.getSecurityContext()));
        }
        containers().stream().filter(c -> c.security() != null && inContainer.apply(c.security()) != null)
                .forEach(c -> check.accept(c.path() + ".securityContext", inContainer.apply(c.security())));
    }

    private void hostProcess() {
        everySecurityContext(PodSecurityContext::getWindowsOptions, SecurityContext::getWindowsOptions, (path, windows) -> {
            if (Boolean.TRUE.equals(windows.getHostProcess())) {
                violation("HostProcess", path + ".windowsOptions.hostProcess is true");
            }
        });
    }

    private void hostNamespaces() {
        if (Boolean.TRUE.equals(spec.getHostNetwork())) {
            violation("Host Namespaces", "spec.hostNetwork is true");
        }
        if (Boolean.TRUE.equals(spec.getHostPID())) {
            violation("Host Namespaces", "spec.hostPID is true");
        }
        if (Boolean.TRUE.equals(spec.getHostIPC())) {
            violation("Host Namespaces", "spec.hostIPC is true");
        }
    }

    private void privilegedContainers() {
        containers().stream().filter(c -> c.security() != null && Boolean.TRUE.equals(c.security().getPrivileged()))
                .forEach(c -> violation("Privileged Containers", c.path() + ".securityContext.privileged is true"));
    }

    private void capabilities() {
        for (Named c : containers()) {
            if (c.security() == null || c.security().getCapabilities() == null || c.security().getCapabilities().getAdd() == null) {
                continue;
            }
            c.security().getCapabilities().getAdd().stream().filter(cap -> !DEFAULT_CAPABILITIES.contains(cap))
                    .forEach(cap -> violation("Capabilities", c.path() + " adds " + cap));
        }
    }

    private void hostPathVolumes() {
        if (spec.getVolumes() != null) {
            spec.getVolumes().stream().filter(v -> v.getHostPath() != null).map(Volume::getName)
                    .forEach(name -> violation("HostPath Volumes", "volume " + name + " is a hostPath"));
        }
    }

    private void hostPorts() {
        for (Named c : containers()) {
            if (c.container().getPorts() != null) {
                c.container().getPorts().stream().map(ContainerPort::getHostPort).filter(p -> p != null && p != 0)
                        .forEach(p -> violation("Host Ports", c.path() + " uses hostPort " + p));
            }
        }
    }

    private void hostProbesAndLifecycleHooks() {
        for (Named c : containers()) {
            Container container = c.container();
            Stream.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())
                    .filter(p -> p != null && hasHost(p))
                    .forEach(p -> violation("Host Probes / Lifecycle Hooks", c.path() + " probes another host"));
            if (container.getLifecycle() != null) {
                Stream.of(container.getLifecycle().getPostStart(), container.getLifecycle().getPreStop())
                        .filter(h -> h != null && hasHost(h))
                        .forEach(h -> violation("Host Probes / Lifecycle Hooks", c.path() + " has a lifecycle hook on another host"));
            }
        }
    }

    private static boolean hasHost(Probe probe) {
        return probe.getHttpGet() != null && notEmpty(probe.getHttpGet().getHost())
                || probe.getTcpSocket() != null && notEmpty(probe.getTcpSocket().getHost());
    }

    private static boolean hasHost(LifecycleHandler handler) {
        return handler.getHttpGet() != null && notEmpty(handler.getHttpGet().getHost())
                || handler.getTcpSocket() != null && notEmpty(handler.getTcpSocket().getHost());
    }

    private void appArmor() {
        annotations.forEach((key, value) -> {
            if (key.startsWith(APPARMOR_ANNOTATION) && !value.isEmpty() && !"runtime/default".equals(value)
                    && !value.startsWith("localhost/")) {
                violation("AppArmor", "annotation " + key + " is " + value);
            }
        });
        everySecurityContext(PodSecurityContext::getAppArmorProfile, SecurityContext::getAppArmorProfile, (path, profile) -> {
            if (!"RuntimeDefault".equals(profile.getType()) && !"Localhost".equals(profile.getType())) {
                violation("AppArmor", path + ".appArmorProfile.type is " + profile.getType());
            }
        });
    }

    private void seLinux() {
        everySecurityContext(PodSecurityContext::getSeLinuxOptions, SecurityContext::getSeLinuxOptions, this::seLinuxOptions);
    }

    private void seLinuxOptions(String path, SELinuxOptions options) {
        if (options.getType() != null && !SELINUX_TYPES.contains(options.getType())) {
            violation("SELinux", path + ".seLinuxOptions.type is " + options.getType());
        }
        if (notEmpty(options.getUser())) {
            violation("SELinux", path + ".seLinuxOptions.user is set");
        }
        if (notEmpty(options.getRole())) {
            violation("SELinux", path + ".seLinuxOptions.role is set");
        }
    }

    private void procMountType() {
        containers().stream().filter(c -> c.security() != null && c.security().getProcMount() != null
                        && !"Default".equals(c.security().getProcMount()))
                .forEach(c -> violation("/proc Mount Type", c.path() + ".securityContext.procMount is " + c.security().getProcMount()));
    }

    private void seccomp() {
        everySecurityContext(PodSecurityContext::getSeccompProfile, SecurityContext::getSeccompProfile, (path, profile) -> {
            if ("Unconfined".equals(profile.getType())) {
                violation("Seccomp", path + ".seccompProfile.type is Unconfined");
            }
        });
    }

    private void sysctls() {
        if (spec.getSecurityContext() != null && spec.getSecurityContext().getSysctls() != null) {
            spec.getSecurityContext().getSysctls().stream().map(Sysctl::getName).filter(name -> !SAFE_SYSCTLS.contains(name))
                    .forEach(name -> violation("Sysctls", "spec.securityContext.sysctls sets " + name));
        }
    }

    private static boolean notEmpty(String text) {
        return text != null && !text.isEmpty();
    }
}
