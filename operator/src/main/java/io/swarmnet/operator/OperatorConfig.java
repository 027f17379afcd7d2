package io.swarmnet.operator;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.service.AttachWait;
import io.swarmnet.operator.ipam.VniRange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operator's configuration, read from environment variables (the table in docs/operator.md,
 * "Configuration"). Every value has a default, so an empty environment is a valid configuration.
 *
 * @param addressPools          pools automatic subnets are carved from ({@code SWARMNET_ADDRESS_POOLS})
 * @param poolSubnetSize        prefix length of automatic subnets ({@code SWARMNET_POOL_SUBNET_SIZE})
 * @param excludedCidrs         ranges no network may overlap: the cluster's pod, service and node CIDRs
 *                              ({@code SWARMNET_EXCLUDED_CIDRS})
 * @param clusterDomain         the cluster DNS domain, for task pods' search path ({@code SWARMNET_CLUSTER_DOMAIN})
 * @param operatorNamespace     where the operator runs: its Lease and key Secret live here
 *                              ({@code SWARMNET_OPERATOR_NAMESPACE}, else {@code POD_NAMESPACE})
 * @param watchNamespaces       namespaces to reconcile, empty for all ({@code SWARMNET_WATCH_NAMESPACES})
 * @param logLevel              root log level ({@code SWARMNET_LOG_LEVEL})
 * @param httpPort              port of /healthz, /readyz and /metrics, 0 to disable ({@code SWARMNET_HTTP_PORT})
 * @param leaderElection        whether to take a coordination Lease before acting ({@code SWARMNET_LEADER_ELECTION})
 * @param leaseName             name of that Lease ({@code SWARMNET_LEASE_NAME})
 * @param keyRotationInterval   how often encryption keys rotate ({@code SWARMNET_KEY_ROTATION_INTERVAL})
 * @param addressWarningPercent address usage at which a network reports Degraded
 *                              ({@code SWARMNET_ADDRESS_WARNING_PERCENT})
 * @param reconcileThreads      reconciles run in parallel ({@code SWARMNET_RECONCILE_THREADS})
 * @param vxlanIdRange          VXLAN ids given to networks without spec.vxlanId ({@code SWARMNET_VXLAN_ID_RANGE}, first-last)
 * @param attachWait            the init container holding task containers until they are attached: the swarmnet
 *                              image ({@code SWARMNET_IMAGE}; unset: no init container), its pull policy
 *                              ({@code SWARMNET_IMAGE_PULL_POLICY}) and timeout ({@code SWARMNET_ATTACH_TIMEOUT})
 */
public record OperatorConfig(
        List<Cidr> addressPools,
        int poolSubnetSize,
        List<Cidr> excludedCidrs,
        String clusterDomain,
        String operatorNamespace,
        List<String> watchNamespaces,
        String logLevel,
        int httpPort,
        boolean leaderElection,
        String leaseName,
        Duration keyRotationInterval,
        int addressWarningPercent,
        int reconcileThreads,
        VniRange vxlanIdRange,
        AttachWait attachWait) {

    public static final String ENV_ADDRESS_POOLS = "SWARMNET_ADDRESS_POOLS";
    public static final String ENV_POOL_SUBNET_SIZE = "SWARMNET_POOL_SUBNET_SIZE";
    public static final String ENV_EXCLUDED_CIDRS = "SWARMNET_EXCLUDED_CIDRS";
    public static final String ENV_CLUSTER_DOMAIN = "SWARMNET_CLUSTER_DOMAIN";
    public static final String ENV_OPERATOR_NAMESPACE = "SWARMNET_OPERATOR_NAMESPACE";
    public static final String ENV_POD_NAMESPACE = "POD_NAMESPACE";
    public static final String ENV_WATCH_NAMESPACES = "SWARMNET_WATCH_NAMESPACES";
    public static final String ENV_LOG_LEVEL = "SWARMNET_LOG_LEVEL";
    public static final String ENV_HTTP_PORT = "SWARMNET_HTTP_PORT";
    public static final String ENV_LEADER_ELECTION = "SWARMNET_LEADER_ELECTION";
    public static final String ENV_LEASE_NAME = "SWARMNET_LEASE_NAME";
    public static final String ENV_KEY_ROTATION_INTERVAL = "SWARMNET_KEY_ROTATION_INTERVAL";
    public static final String ENV_ADDRESS_WARNING_PERCENT = "SWARMNET_ADDRESS_WARNING_PERCENT";
    public static final String ENV_RECONCILE_THREADS = "SWARMNET_RECONCILE_THREADS";
    public static final String ENV_IMAGE = "SWARMNET_IMAGE";
    public static final String ENV_IMAGE_PULL_POLICY = "SWARMNET_IMAGE_PULL_POLICY";
    public static final String ENV_ATTACH_TIMEOUT = "SWARMNET_ATTACH_TIMEOUT";
    public static final String ENV_VXLAN_ID_RANGE = "SWARMNET_VXLAN_ID_RANGE";

    /** Swarm's default pool (docker swarm init --default-addr-pool 10.0.0.0/8 --default-addr-pool-mask-length 24). */
    public static final String DEFAULT_ADDRESS_POOLS = "10.0.0.0/8";
    public static final int DEFAULT_POOL_SUBNET_SIZE = 24;
    /**
     * The pod and service CIDRs of the common distributions (kubeadm: 10.244.0.0/16 with flannel
     * and 10.96.0.0/12; k3s: 10.42.0.0/16 and 10.43.0.0/16), all inside 10.0.0.0/8: left out of
     * the pools by default so that an overlay never shadows cluster routes (Docker's overlap problem).
     */
    public static final String DEFAULT_EXCLUDED_CIDRS = "10.96.0.0/12,10.244.0.0/16,10.42.0.0/16,10.43.0.0/16";
    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";
    public static final String DEFAULT_OPERATOR_NAMESPACE = "swarmnet-system";
    public static final String DEFAULT_LOG_LEVEL = "INFO";
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final boolean DEFAULT_LEADER_ELECTION = true;
    public static final String DEFAULT_LEASE_NAME = "swarmnet-operator";
    public static final Duration DEFAULT_KEY_ROTATION_INTERVAL = Duration.ofHours(12);
    public static final int DEFAULT_ADDRESS_WARNING_PERCENT = 90;
    public static final int DEFAULT_RECONCILE_THREADS = 10;

    public OperatorConfig {
        addressPools = List.copyOf(addressPools);
        excludedCidrs = List.copyOf(excludedCidrs);
        watchNamespaces = List.copyOf(watchNamespaces);
        if (addressPools.isEmpty()) {
            throw new IllegalArgumentException(ENV_ADDRESS_POOLS + " is empty; give at least one CIDR, e.g. " + DEFAULT_ADDRESS_POOLS);
        }
        if (poolSubnetSize < 1 || poolSubnetSize > 29) {
            throw new IllegalArgumentException(ENV_POOL_SUBNET_SIZE + "=" + poolSubnetSize
                    + " is outside 1..29; a network needs at least a /29 (gateway, a virtual IP and tasks)");
        }
        for (Cidr pool : addressPools) {
            if (pool.prefixLength() > poolSubnetSize) {
                throw new IllegalArgumentException(ENV_ADDRESS_POOLS + ": pool " + pool + " is smaller than one /" + poolSubnetSize
                        + " subnet (" + ENV_POOL_SUBNET_SIZE + "); use a larger pool or a longer prefix");
            }
        }
        if (addressWarningPercent < 1 || addressWarningPercent > 100) {
            throw new IllegalArgumentException(ENV_ADDRESS_WARNING_PERCENT + "=" + addressWarningPercent + " is outside 1..100");
        }
        if (reconcileThreads < 1) {
            throw new IllegalArgumentException(ENV_RECONCILE_THREADS + "=" + reconcileThreads + " must be at least 1");
        }
        if (keyRotationInterval.isNegative() || keyRotationInterval.isZero()) {
            throw new IllegalArgumentException(ENV_KEY_ROTATION_INTERVAL + "=" + keyRotationInterval + " must be positive");
        }
    }

    public static OperatorConfig defaults() {
        return fromEnvironment(Map.of());
    }

    /** Reads the configuration; a bad value throws {@link IllegalArgumentException} naming the variable, the value and what is expected. */
    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        String namespace = value(env, ENV_OPERATOR_NAMESPACE, null);
        if (namespace == null) {
            namespace = value(env, ENV_POD_NAMESPACE, DEFAULT_OPERATOR_NAMESPACE);
        }
        return new OperatorConfig(
                cidrs(env, ENV_ADDRESS_POOLS, DEFAULT_ADDRESS_POOLS),
                integer(env, ENV_POOL_SUBNET_SIZE, DEFAULT_POOL_SUBNET_SIZE),
                cidrs(env, ENV_EXCLUDED_CIDRS, DEFAULT_EXCLUDED_CIDRS),
                value(env, ENV_CLUSTER_DOMAIN, DEFAULT_CLUSTER_DOMAIN),
                namespace,
                list(value(env, ENV_WATCH_NAMESPACES, "")),
                value(env, ENV_LOG_LEVEL, DEFAULT_LOG_LEVEL).toUpperCase(Locale.ROOT),
                integer(env, ENV_HTTP_PORT, DEFAULT_HTTP_PORT),
                bool(env, ENV_LEADER_ELECTION, DEFAULT_LEADER_ELECTION),
                value(env, ENV_LEASE_NAME, DEFAULT_LEASE_NAME),
                duration(env, ENV_KEY_ROTATION_INTERVAL, DEFAULT_KEY_ROTATION_INTERVAL),
                integer(env, ENV_ADDRESS_WARNING_PERCENT, DEFAULT_ADDRESS_WARNING_PERCENT),
                integer(env, ENV_RECONCILE_THREADS, DEFAULT_RECONCILE_THREADS),
                vniRange(env),
                attachWait(env));
    }

    private static AttachWait attachWait(Map<String, String> env) {
        String pullPolicy = value(env, ENV_IMAGE_PULL_POLICY, null);
        if (pullPolicy != null && !List.of("Always", "IfNotPresent", "Never").contains(pullPolicy)) {
            throw new IllegalArgumentException(ENV_IMAGE_PULL_POLICY + "='" + pullPolicy + "' is not Always, IfNotPresent or Never");
        }
        Duration timeout = duration(env, ENV_ATTACH_TIMEOUT, AttachWait.DEFAULT_TIMEOUT);
        try {
            return new AttachWait(value(env, ENV_IMAGE, null), pullPolicy, timeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENV_ATTACH_TIMEOUT + "=" + value(env, ENV_ATTACH_TIMEOUT, "") + ": " + e.getMessage());
        }
    }

    /** A copy with other pools and excluded ranges; for tests and embedders. */
    public OperatorConfig withPools(List<Cidr> pools, int subnetSize, List<Cidr> excluded) {
        return new OperatorConfig(pools, subnetSize, excluded, clusterDomain, operatorNamespace, watchNamespaces, logLevel,
                httpPort, leaderElection, leaseName, keyRotationInterval, addressWarningPercent, reconcileThreads, vxlanIdRange, attachWait);
    }

    /** A copy with the HTTP endpoints on another port (0 turns them off). */
    public OperatorConfig withHttpPort(int port) {
        return new OperatorConfig(addressPools, poolSubnetSize, excludedCidrs, clusterDomain, operatorNamespace, watchNamespaces,
                logLevel, port, leaderElection, leaseName, keyRotationInterval, addressWarningPercent, reconcileThreads, vxlanIdRange, attachWait);
    }

    /** A copy with leader election switched on or off. */
    public OperatorConfig withLeaderElection(boolean enabled) {
        return new OperatorConfig(addressPools, poolSubnetSize, excludedCidrs, clusterDomain, operatorNamespace, watchNamespaces,
                logLevel, httpPort, enabled, leaseName, keyRotationInterval, addressWarningPercent, reconcileThreads, vxlanIdRange, attachWait);
    }

    /** A copy with another automatic VXLAN id range. */
    public OperatorConfig withVxlanIdRange(VniRange range) {
        return new OperatorConfig(addressPools, poolSubnetSize, excludedCidrs, clusterDomain, operatorNamespace, watchNamespaces,
                logLevel, httpPort, leaderElection, leaseName, keyRotationInterval, addressWarningPercent, reconcileThreads, range, attachWait);
    }

    private static VniRange vniRange(Map<String, String> env) {
        String v = value(env, ENV_VXLAN_ID_RANGE, null);
        if (v == null) {
            return VniRange.DEFAULT;
        }
        try {
            return VniRange.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENV_VXLAN_ID_RANGE + ": " + e.getMessage() + " (default " + VniRange.DEFAULT
                    + ", chosen to miss the VXLAN ids of Calico, flannel and Cilium)");
        }
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static List<String> list(String text) {
        List<String> items = new ArrayList<>();
        for (String item : text.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    private static List<Cidr> cidrs(Map<String, String> env, String name, String fallback) {
        List<Cidr> result = new ArrayList<>();
        String text = value(env, name, fallback);
        if (text.equalsIgnoreCase("none")) {
            // an empty variable means "the default"; "none" is how to ask for no ranges at all
            return result;
        }
        for (String item : list(text)) {
            try {
                result.add(Cidr.parse(item));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage() + "; expected comma-separated CIDRs such as 10.0.0.0/8");
            }
        }
        return result;
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not a whole number (default " + fallback + ")");
        }
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(name + "='" + v + "' is not a boolean; use true or false (default " + fallback + ")");
        };
    }

    /** Accepts 12h, 30m, 45s, 2d or an ISO-8601 duration (PT12H). */
    static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        try {
            if (v.toUpperCase(Locale.ROOT).startsWith("P")) {
                return Duration.parse(v);
            }
            long amount = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not a duration; use e.g. 12h, 30m, 45s or PT12H");
        }
    }
}
