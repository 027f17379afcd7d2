package io.swarmnet.sandboxapi;

/**
 * A Kubernetes minor release, e.g. 1.31.
 *
 * <p>{@link #OLDEST_SUPPORTED} is the oldest release swarmnet installs on, and the release the
 * embedded API behaves as: it reports it at {@code /version} and admits CRDs as its API server
 * does, so a CRD that works here also registers there. The chart's {@code kubeVersion}
 * ({@code charts/swarmnet/Chart.yaml}) states the same release; a chart test keeps the two equal.
 * Why 1.31: the CRDs' rules call the IP/CIDR CEL library ({@code cidr(...).containsIP}), which
 * an API server accepts in new CRD rules from 1.31 on; docs/install.md ("Supported Kubernetes releases") has the rest.
 */
public record KubernetesVersion(int major, int minor) implements Comparable<KubernetesVersion> {

    public static final KubernetesVersion OLDEST_SUPPORTED = new KubernetesVersion(1, 31);

    public KubernetesVersion {
        if (major < 1 || minor < 0) {
            throw new IllegalArgumentException("not a Kubernetes release: " + major + "." + minor);
        }
    }

    /**
     * The release before this one: an API server compiles new CEL expressions with the libraries of
     * this release (its default minimum compatibility version), so that a rollback by one minor
     * release can still compile every expression it stored.
     */
    public KubernetesVersion previous() {
        return new KubernetesVersion(major, Math.max(0, minor - 1));
    }

    public boolean isAfter(KubernetesVersion other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(KubernetesVersion other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    /** {@code 1.31}. */
    @Override
    public String toString() {
        return major + "." + minor;
    }
}
