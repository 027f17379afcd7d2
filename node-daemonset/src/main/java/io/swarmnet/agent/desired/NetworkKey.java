package io.swarmnet.agent.desired;

/** An OverlayNetwork, cluster-wide: networks are namespaced. */
public record NetworkKey(String namespace, String name) implements Comparable<NetworkKey> {

    @Override
    public int compareTo(NetworkKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
