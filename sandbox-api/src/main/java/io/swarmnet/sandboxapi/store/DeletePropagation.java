package io.swarmnet.sandboxapi.store;

/**
 * What happens to an object's dependents when it is deleted. Foreground is served as Background
 * (the owner goes first, then its dependents), which is what the sandbox's clients need.
 */
public enum DeletePropagation {
    BACKGROUND, FOREGROUND, ORPHAN;

    public static DeletePropagation parse(String value) {
        if (value == null || value.isEmpty()) {
            return BACKGROUND;
        }
        return switch (value) {
            case "Orphan" -> ORPHAN;
            case "Foreground" -> FOREGROUND;
            default -> BACKGROUND;
        };
    }
}
