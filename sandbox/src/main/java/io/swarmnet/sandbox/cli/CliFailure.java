package io.swarmnet.sandbox.cli;

/** A command failed in a way the user can act on: printed as one line "swarmnet: MESSAGE", then exit with {@code exitCode}. */
public final class CliFailure extends RuntimeException {

    private final int exitCode;

    public CliFailure(String message) {
        this(message, 1);
    }

    public CliFailure(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
