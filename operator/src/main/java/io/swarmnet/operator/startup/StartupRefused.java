package io.swarmnet.operator.startup;

/** The cluster is not ready for this operator; the message says what is wrong and what to do. */
public final class StartupRefused extends RuntimeException {

    public StartupRefused(String message) {
        super(message);
    }
}
