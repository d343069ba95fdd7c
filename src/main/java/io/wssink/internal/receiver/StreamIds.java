package io.wssink.internal.receiver;

import java.util.Locale;
import java.util.regex.Pattern;

/** Stream ids are UUIDs in their canonical 8-4-4-4-12 form (any case), kept in lower case. */
final class StreamIds {
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private StreamIds() {
    }

    /** The id in lower case, or null when {@code text} is no UUID. */
    static String parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        return UUID.matcher(t).matches() ? t.toLowerCase(Locale.ROOT) : null;
    }
}
