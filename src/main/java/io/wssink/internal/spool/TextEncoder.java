package io.wssink.internal.spool;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 encoding of text events into reused buffers, so that appending text allocates nothing once the buffers
 * have grown to the largest event. (Chronicle's own appendUtf8 writes surrogate pairs as CESU-8, which is not UTF-8.)
 * Not thread-safe.
 */
final class TextEncoder {
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private char[] chars = new char[256];
    private CharBuffer charBuffer = CharBuffer.wrap(chars);
    private ByteBuffer bytes = ByteBuffer.allocate(1024);

    /**
     * Encodes {@code text}; the result is {@link #array()}[0..length).
     *
     * @return the encoded length, or -1 if it exceeds {@code maxBytes}
     */
    int encode(CharSequence text, int maxBytes) {
        int n = text.length();
        if (n > maxBytes) {
            return -1; // every char takes at least one byte
        }
        if (chars.length < n) {
            chars = new char[Math.max(n, chars.length * 2)];
            charBuffer = CharBuffer.wrap(chars);
        }
        if (text instanceof String s) {
            s.getChars(0, n, chars, 0);
        } else {
            for (int i = 0; i < n; i++) {
                chars[i] = text.charAt(i);
            }
        }
        long worst = (long) n * 3;
        if (bytes.capacity() < worst) {
            bytes = ByteBuffer.allocate((int) Math.min(Math.max(worst, bytes.capacity() * 2L), (long) maxBytes * 3 + 3));
        }
        charBuffer.clear().limit(n);
        bytes.clear();
        encoder.reset();
        encoder.encode(charBuffer, bytes, true);
        encoder.flush(bytes);
        return bytes.position() > maxBytes ? -1 : bytes.position();
    }

    byte[] array() {
        return bytes.array();
    }
}
