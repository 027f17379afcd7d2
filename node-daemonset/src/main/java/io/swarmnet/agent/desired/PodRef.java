package io.swarmnet.agent.desired;

/** A task pod. The UID is what finds its network namespace on a real node. */
public record PodRef(String namespace, String name, String uid) implements Comparable<PodRef> {

    @Override
    public int compareTo(PodRef other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
