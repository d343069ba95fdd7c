package io.wssink.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PeerTextTest {
    @Test
    void lineBreaksEscapesAndBidiOverridesBecomeQuestionMarks() {
        assertEquals("bye??2026-11-26 ERROR forged", PeerText.sanitize("bye\r\n2026-11-26 ERROR forged", 100));
        assertEquals("?[31mred", PeerText.sanitize("\u001b[31mred", 100));
        assertEquals("abc?def", PeerText.sanitize("abc\u202edef", 100));
        assertEquals("café ✓", PeerText.sanitize("café ✓", 100), "printable text is kept");
    }

    @Test
    void longTextIsCut() {
        assertEquals("xxxxxxx...", PeerText.sanitize("x".repeat(500), 10));
        assertEquals("", PeerText.sanitize(null, 10));
    }
}
