package io.swarmnet.agent.encryption.userspace;

/** A packet that must be dropped: malformed, unauthenticated, or replayed. The message says which, never key material. */
public final class EspException extends Exception {

    public EspException(String message) {
        super(message);
    }
}
