package io.swarmnet.operator.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a task belongs: slot {@code 1..N} of a replicated service, or one node of a global
 * service. The slot outlives its tasks: a failed, deleted or updated task is replaced in the same
 * slot, as swarm does. {@link #label()} is the value of the {@code swarmnet.io/slot} pod label.
 *
 * @param number the 1-based slot of a replicated service, 0 for a global one
 * @param node   the node key of a global service's slot (see {@link #nodeKey}), null for a replicated one
 */
public record TaskSlot(int number, String node) implements Comparable<TaskSlot> {

    private static final int MAX_LABEL = 63;

    public TaskSlot {
        if ((number > 0) == (node != null)) {
            throw new IllegalArgumentException("a task slot is either numbered (replicated) or a node (global), got "
                    + number + " and " + node);
        }
        if (number < 0) {
            throw new IllegalArgumentException("task slot " + number + " is negative");
        }
    }

    public static TaskSlot replicated(int number) {
        if (number < 1) {
            throw new IllegalArgumentException("replicated task slots start at 1, got " + number);
        }
        return new TaskSlot(number, null);
    }

    public static TaskSlot global(String nodeName) {
        return new TaskSlot(0, nodeKey(nodeName));
    }

    /** Reads a {@code swarmnet.io/slot} label; digits are a replicated slot, anything else a node key. */
    public static TaskSlot fromLabel(String label) {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("pod has no swarmnet.io/slot label");
        }
        if (label.chars().allMatch(Character::isDigit) && label.length() <= 9) {
            return replicated(Integer.parseInt(label));
        }
        return new TaskSlot(0, label);
    }

    /**
     * A node name as a label value. Node names may be DNS subdomains of up to 253 characters but
     * label values stop at 63: longer names keep their start and gain a hash of the whole name so
     * two long names sharing a prefix still get distinct slots.
     */
    public static String nodeKey(String nodeName) {
        if (nodeName == null || nodeName.isEmpty()) {
            throw new IllegalArgumentException("a global task slot needs a node name");
        }
        if (nodeName.length() <= MAX_LABEL) {
            return nodeName;
        }
        String hash = sha256(nodeName).substring(0, 10);
        String head = nodeName.substring(0, MAX_LABEL - hash.length() - 1);
        while (!head.isEmpty() && !Character.isLetterOrDigit(head.charAt(head.length() - 1))) {
            head = head.substring(0, head.length() - 1);
        }
        return head + "-" + hash;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    public boolean isGlobal() {
        return node != null;
    }

    public String label() {
        return isGlobal() ? node : Integer.toString(number);
    }

    /** Numbered slots in ascending order, then node slots by node key. */
    @Override
    public int compareTo(TaskSlot other) {
        if (isGlobal() != other.isGlobal()) {
            return isGlobal() ? 1 : -1;
        }
        return isGlobal() ? node.compareTo(other.node) : Integer.compare(number, other.number);
    }

    @Override
    public String toString() {
        return isGlobal() ? "node " + node : "slot " + number;
    }
}
