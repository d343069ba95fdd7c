package io.wssink.transport;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

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
            String digits = text.strip().replaceAll("^\\{\\s*\"ack\"\\s*:\\s*\"?|\"?\\s*}$", "");
            assertTrue(digits.matches("[0-9]{1,20}"), "taken for an ack: " + text);
            assertEquals(new BigInteger(digits).longValue(), p.id());
            assertTrue(new BigInteger(digits).bitLength() <= 64);
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
    }
}
