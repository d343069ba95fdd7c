package io.wssink.protocol;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The ack parser: every well-formed ack is read exactly, and nothing else is ever taken for one. */
class AcksProperties {

    @Property
    void everyIdRoundTripsAsAStringAck(@ForAll long id) {
        Acks.Parsed p = Acks.parse(Acks.format(id));
        assertEquals(Acks.Parsed.Kind.ACK, p.kind());
        assertEquals(id, p.id());
    }

    @Property
    void nonNegativeIdsAreAcceptedAsJsonIntegersToo(@ForAll long id) {
        Acks.Parsed p = Acks.parse("{\"ack\":" + Long.toUnsignedString(id) + "}");
        assertEquals(Acks.Parsed.Kind.ACK, p.kind());
        assertEquals(id, p.id());
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().withChars("{}[]\":,ack0123456789 -.e+").ofMaxLength(30),
                Arbitraries.strings().withChars("0123456789x-. ").ofMaxLength(25).map(v -> "{\"ack\":\"" + v + "\"}"),
                Arbitraries.strings().withChars("0123456789-.e").ofMaxLength(25).map(v -> "{\"ack\":" + v + "}"));
    }

    @Property(tries = 3000)
    void anyTextParsesWithoutThrowingAndIsAnAckOnlyWhenItIsOne(@ForAll("jsonish") String text) {
        Acks.Parsed p = Acks.parse(text);
        if (p.kind() == Acks.Parsed.Kind.ACK) {
            String value = text.strip().replaceAll("^\\{\\s*\"ack\"\\s*:\\s*|\\s*}$", "");
            boolean quoted = value.startsWith("\"");
            String digits = quoted ? value.substring(1, value.length() - 1) : value;
            // a string holds decimal digits only; a JSON integer may be written -0, which is 0
            assertTrue(quoted ? digits.matches("[0-9]{1,20}") : digits.matches("-?[0-9]{1,20}"), "taken for an ack: " + text);
            BigInteger id = new BigInteger(digits);
            assertTrue(id.signum() >= 0 && id.bitLength() <= 64, "taken for an ack: " + text);
            assertEquals(id.longValue(), p.id());
        }
    }

    @Example
    void malformedAcksAreNamedAndMessagesAreNotAcks() {
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":\"-1\"}").kind());
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":\"18446744073709551616\"}").kind());
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":1.5}").kind());
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":\"12\"").kind());
        assertEquals(Acks.Parsed.Kind.NOT_AN_ACK, Acks.parse("{\"ack\":\"12\",\"note\":\"hi\"}").kind());
        assertEquals(Acks.Parsed.Kind.NOT_AN_ACK, Acks.parse("pause").kind());
        assertEquals(-1L, Acks.parse("{\"ack\":\"18446744073709551615\"}").id());
        assertEquals(0L, Acks.parse("{\"ack\":-0}").id(), "-0 is a JSON integer, and 0");
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":-5}").kind());
        assertEquals(Acks.Parsed.Kind.MALFORMED_ACK, Acks.parse("{\"ack\":\"-0\"}").kind());
    }
}
