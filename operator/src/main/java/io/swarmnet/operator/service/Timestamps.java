package io.swarmnet.operator.service;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * Reads the timestamps of Kubernetes objects ({@code metadata.creationTimestamp}, a condition's
 * {@code lastTransitionTime}, the update status' times): RFC 3339, in the API server's own form
 * {@code 2026-12-06T04:33:46Z} read directly (every task pod's times are read on every reconcile), any other form
 * through {@link Instant#parse}.
 */
final class Timestamps {

    private Timestamps() {
    }

    /** The instant, or null for none or one that cannot be read. */
    static Instant parse(String text) {
        if (text == null) {
            return null;
        }
        try {
            Instant seconds = inApiServerForm(text);
            return seconds != null ? seconds : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code yyyy-MM-ddTHH:mm:ssZ}, or null when the text is not in exactly that form. */
    private static Instant inApiServerForm(String text) {
        if (text.length() != 20 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T' || text.charAt(13) != ':'
                || text.charAt(16) != ':' || text.charAt(19) != 'Z') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second).toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            // 2026-02-30, 25:00: let Instant.parse say no
            return null;
        }
    }

    /** The decimal number {@code text[start, end)}, or -1 if any of it is no ASCII digit. */
    private static int digits(String text, int start, int end) {
        int value = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
