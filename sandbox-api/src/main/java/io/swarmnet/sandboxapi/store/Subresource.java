package io.swarmnet.sandboxapi.store;

/** Which part of an object a write may change: the main resource leaves status alone, {@code /status} changes only status. */
public enum Subresource {
    MAIN, STATUS
}
