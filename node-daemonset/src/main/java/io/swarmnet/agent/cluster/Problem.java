package io.swarmnet.agent.cluster;

/**
 * Something wrong with a cluster object that made the agent skip it (or part of it). Never thrown:
 * collected, so that one bad object does not disturb the others, and published as a Warning event.
 *
 * @param subject the object at fault
 * @param reason  a CamelCase event reason, e.g. {@code InvalidAddresses}
 * @param message what is wrong, naming the field and the value, and what to do
 * @param node    the node whose agent should report it (a pod's node), or null when every agent sees it
 *                the same way (networks, services, nodes), in which case one event is shared by all agents
 */
public record Problem(ObjectRef subject, String reason, String message, String node) implements Comparable<Problem> {

    public static Problem clusterWide(ObjectRef subject, String reason, String message) {
        return new Problem(subject, reason, message, null);
    }

    @Override
    public int compareTo(Problem other) {
        int c = subject.toString().compareTo(other.subject.toString());
        if (c == 0) {
            c = reason.compareTo(other.reason);
        }
        return c != 0 ? c : message.compareTo(other.message);
    }

    @Override
    public String toString() {
        return subject + ": " + message;
    }
}
