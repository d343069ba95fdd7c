package io.wssink.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.math.BigInteger;

/**
 * The receiver's acknowledgement: a text frame holding exactly {@code {"ack":"<id>"}} (a decimal string, or a JSON
 * integer). A text frame that is not a JSON object whose only key is "ack" is an application message, never an ack.
 */
public final class Acks {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** A parsed text frame: an ack (valid or not), or no ack at all. */
    public record Parsed(Kind kind, long id, String problem) {
        public enum Kind { ACK, MALFORMED_ACK, NOT_AN_ACK }
    }

    private static final Parsed NOT_AN_ACK = new Parsed(Parsed.Kind.NOT_AN_ACK, 0, null);

    private Acks() {
    }

    public static String format(long id) {
        return "{\"ack\":\"" + Long.toUnsignedString(id) + "\"}";
    }

    public static Parsed parse(String text) {
        String t = text.strip();
        if (!t.startsWith("{") || !t.contains("\"ack\"")) {
            return NOT_AN_ACK;
        }
        try (JsonParser p = JSON.createParser(t)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !"ack".equals(p.currentName())) {
                return NOT_AN_ACK;
            }
            JsonToken value = p.nextToken();
            String digits;
            if (value == JsonToken.VALUE_STRING) {
                digits = p.getText();
            } else if (value == JsonToken.VALUE_NUMBER_INT) {
                digits = p.getBigIntegerValue().toString();
            } else {
                return malformed("ack is not a decimal string or an integer: " + abbreviate(t));
            }
            if (p.nextToken() != JsonToken.END_OBJECT) {
                return NOT_AN_ACK; // more keys: an application message that happens to mention "ack"
            }
            if (p.nextToken() != null) {
                return malformed("trailing content after the ack object: " + abbreviate(t));
            }
            if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return malformed("ack id is not an unsigned decimal: " + abbreviate(digits));
            }
            BigInteger id = new BigInteger(digits);
            if (id.compareTo(MAX_U64) > 0) {
                return malformed("ack id is past 2^64-1: " + abbreviate(digits));
            }
            return new Parsed(Parsed.Kind.ACK, id.longValue(), null);
        } catch (IOException e) {
            return malformed("ack is not valid JSON: " + abbreviate(t));
        }
    }

    private static Parsed malformed(String problem) {
        return new Parsed(Parsed.Kind.MALFORMED_ACK, 0, problem);
    }

    /** Cut to 64 characters; still the peer's text: sanitize it before it reaches a log. */
    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
