package io.wssink.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * A gap notice (sink to receiver, only where both sides agreed to {@link WireFormat#GAP_NOTICES_HEADER}): a text
 * frame holding exactly {@code {"gap":{"after":"<id>","before":"<id>"}}}. It says that the sink skipped, on purpose,
 * every event with an id between {@code after} and {@code before} (both exclusive) that it had not delivered: they
 * were older than its maxEventAge, damaged on its disk, or dropped by its DROP_OLDEST full policy, and will never be
 * sent. It comes right before the record {@code before}. Ids are decimal strings, as in acks; {@code after} is 0 when
 * the gap starts at the stream's beginning.
 */
public record GapNotice(long after, long before) {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    public String format() {
        return "{\"gap\":{\"after\":\"" + Long.toUnsignedString(after) + "\",\"before\":\""
                + Long.toUnsignedString(before) + "\"}}";
    }

    /** The notice in {@code text}, or null if it is none (not this exact shape, ids not decimal, after >= before). */
    public static GapNotice parse(String text) {
        if (!text.startsWith("{\"gap\"")) {
            return null;
        }
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !"gap".equals(p.currentName()) || p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            long after = -1;
            long before = -1;
            boolean haveAfter = false;
            boolean haveBefore = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    return null;
                }
                long id = unsigned(p.getText());
                if ("after".equals(name) && !haveAfter) {
                    after = id;
                    haveAfter = true;
                } else if ("before".equals(name) && !haveBefore) {
                    before = id;
                    haveBefore = true;
                } else {
                    return null;
                }
            }
            if (!haveAfter || !haveBefore || p.currentToken() != JsonToken.END_OBJECT
                    || p.nextToken() != JsonToken.END_OBJECT || p.nextToken() != null
                    || Long.compareUnsigned(after, before) >= 0) {
                return null;
            }
            return new GapNotice(after, before);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    private static long unsigned(String digits) {
        if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException(digits);
        }
        return Long.parseUnsignedLong(digits);
    }
}
