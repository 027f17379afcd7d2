package io.swarmnet.operator.service;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Docker and Go write them ({@code 10s}, {@code 1m30s}, {@code 1.5h},
 * {@code 250ms}): {@code docker service update --update-delay} takes this form, so the spec does too.
 */
public final class GoDuration {

    private static final Pattern WHOLE = Pattern.compile("^(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h))+$");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private GoDuration() {
    }

    /**
     * Parses {@code text}; {@code field} names where it came from so the error can say which field
     * of which object to fix.
     */
    public static Duration parse(String text, String field) {
        if (text == null || text.isBlank()) {
            return Duration.ZERO;
        }
        String trimmed = text.trim();
        if (!WHOLE.matcher(trimmed).matches()) {
            throw new IllegalArgumentException(field + " '" + text + "' is not a duration; write it as Docker does, "
                    + "e.g. 10s, 1m30s, 1.5h or 250ms");
        }
        Matcher part = PART.matcher(trimmed);
        double nanos = 0;
        while (part.find()) {
            double amount = Double.parseDouble(part.group(1));
            nanos += amount * switch (part.group(2)) {
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
        }
        if (nanos > Long.MAX_VALUE) {
            throw new IllegalArgumentException(field + " '" + text + "' is too long a duration");
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /** Writes a duration as Docker does ({@code 5s}, {@code 1m30s}, {@code 250ms}). */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        long hours = millis / 3_600_000;
        long minutes = millis / 60_000 % 60;
        long seconds = millis / 1000 % 60;
        long rest = millis % 1000;
        if (hours > 0) {
            text.append(hours).append('h');
        }
        if (minutes > 0) {
            text.append(minutes).append('m');
        }
        if (seconds > 0) {
            text.append(seconds).append('s');
        }
        if (rest > 0) {
            text.append(rest).append("ms");
        }
        return text.toString();
    }
}
