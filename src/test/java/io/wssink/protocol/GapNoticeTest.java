package io.wssink.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GapNoticeTest {
    @Test
    void formatsIdsAsDecimalStringsAndParsesItsOwnFormatBack() {
        GapNotice n = new GapNotice(0, -2); // -2: 2^64-2, past what a JavaScript number holds
        assertEquals("{\"gap\":{\"after\":\"0\",\"before\":\"18446744073709551614\"}}", n.format());
        assertEquals(n, GapNotice.parse(n.format()));
        assertEquals(new GapNotice(5, 9), GapNotice.parse("{\"gap\":{\"before\":\"9\",\"after\":\"5\"}}"));
    }

    @Test
    void anythingElseIsNoNotice() {
        for (String s : new String[] {
                "{\"ack\":\"3\"}",
                "{\"gap\":{\"after\":\"9\",\"before\":\"9\"}}", // empty
                "{\"gap\":{\"after\":\"10\",\"before\":\"9\"}}", // backwards
                "{\"gap\":{\"after\":5,\"before\":\"9\"}}", // a number, not a string
                "{\"gap\":{\"after\":\"5\"}}",
                "{\"gap\":{\"after\":\"5\",\"before\":\"9\",\"n\":\"1\"}}",
                "{\"gap\":{\"after\":\"5\",\"after\":\"6\",\"before\":\"9\"}}",
                "{\"gap\":{\"after\":\"-5\",\"before\":\"9\"}}",
                "{\"gap\":{\"after\":\"5\",\"before\":\"18446744073709551616\"}}", // past 2^64-1
                "{\"gap\":{\"after\":\"5\",\"before\":\"9\"}} trailing",
                "{\"gap\":{\"after\":\"5\",\"before\":\"9\"}",
                "hello"}) {
            assertNull(GapNotice.parse(s), s);
        }
    }
}
