package io.swarmnet.api.contract;

import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a node's agent has programmed from the key Secret: the generations it accepts inbound and the one it sends
 * with. The value of {@link SwarmnetKeys#ANNOTATION_KEY_GENERATIONS} on the Node, as {@code accepts=3,4 sends=4}; the
 * operator moves a key rotation on only once every agent confirms the step before it. Generation numbers only, never
 * key material.
 *
 * @param accepted generations accepted inbound, ascending
 * @param sending  the generation used outbound
 */
public record KeyGenerations(List<Long> accepted, long sending) {

    private static final Pattern FORMAT = Pattern.compile("accepts=(\\d{1,18}(?:,\\d{1,18})*) sends=(\\d{1,18})");

    public KeyGenerations {
        accepted = List.copyOf(new TreeSet<>(accepted));
    }

    public boolean accepts(long generation) {
        return accepted.contains(generation);
    }

    public String format() {
        StringBuilder out = new StringBuilder("accepts=");
        for (int i = 0; i < accepted.size(); i++) {
            out.append(i == 0 ? "" : ",").append(accepted.get(i));
        }
        return out.append(" sends=").append(sending).toString();
    }

    /** Reads the annotation; absent, empty or unreadable (never written so by an agent) means no confirmation. */
    public static Optional<KeyGenerations> parse(String annotation) {
        if (annotation == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(annotation.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        List<Long> accepted = java.util.Arrays.stream(m.group(1).split(",")).map(Long::parseLong).toList();
        return Optional.of(new KeyGenerations(accepted, Long.parseLong(m.group(2))));
    }
}
