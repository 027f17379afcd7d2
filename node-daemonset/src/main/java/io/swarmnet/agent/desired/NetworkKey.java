package io.swarmnet.agent.desired;

/** An OverlayNetwork, cluster-wide: networks are namespaced. */
public record NetworkKey(String namespace, String name) implements Comparable<NetworkKey> {

    /**
     * The network an object of {@code ownNamespace} records as {@code recorded}: {@code my-network} (its own namespace) or
     * {@code infra/proxy} (a network another namespace shares with it), as in the swarmnet.io/addresses annotation, a
     * service's spec.networks and status.virtualIPs. Nothing is checked: a record that names no network gives a key no
     * network has.
     */
    public static NetworkKey resolve(String ownNamespace, String recorded) {
        int slash = recorded.indexOf('/');
        return slash < 0 ? new NetworkKey(ownNamespace, recorded)
                : new NetworkKey(recorded.substring(0, slash), recorded.substring(slash + 1));
    }

    /** The network as an object of {@code ownNamespace} records it: its name, or {@code namespace/name} from another. */
    public String relativeTo(String ownNamespace) {
        return namespace.equals(ownNamespace) ? name : toString();
    }

    @Override
    public int compareTo(NetworkKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
