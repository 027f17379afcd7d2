package io.swarmnet.operator.ipam;

/** The outcome of planning one network: its allocation, or why it cannot have one. */
public sealed interface NetworkDecision permits NetworkDecision.Allocated, NetworkDecision.Rejected {

    /** The network holds this allocation; {@code fresh} when it was decided just now (worth an Event). */
    record Allocated(NetworkAllocation allocation, boolean fresh) implements NetworkDecision {
    }

    /**
     * The spec cannot be honoured. {@code reason} is a CamelCase condition reason; {@code message}
     * names the field, the value, what it collides with and what to do. {@code held} is the
     * allocation the network keeps from before (an invalid update never takes away what works), or
     * null.
     */
    record Rejected(String reason, String message, NetworkAllocation held) implements NetworkDecision {
    }
}
