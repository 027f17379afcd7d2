package io.swarmnet.agent.cluster;

/** A SwarmService, cluster-wide. */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {

    @Override
    public int compareTo(ServiceKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
