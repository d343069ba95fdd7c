package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * How the reference receiver writes events to its output. Every format is unambiguous: one event never reads back as
 * two, whatever its bytes.
 */
public enum OutputFormat {
    /**
     * One line per event, the payload untouched. An event holding a line break (LF or CR: Java's line readers split
     * at either) would read back as two lines, so such an event is refused: the connection closes with 1007 and the
     * sink keeps the event (in wssink.v1; a raw-mode sink counted it delivered once written: it is lost). Use
     * {@link #JSONL} or {@link #BINARY} when events may hold line breaks.
     */
    LINES,
    /**
     * One JSON value per line: a JSON string when the payload is UTF-8 (line breaks escaped as {@code \n}), else
     * {@code {"base64":"..."}}.
     */
    JSONL,
    /** A 4-byte big-endian length, then the payload: any bytes. */
    BINARY;

    /** Parses {@code lines}, {@code jsonl} or {@code binary}, with an error that names the choices. */
    public static OutputFormat parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format must be lines, jsonl or binary, not '" + text + "'");
        }
    }

    /** Why {@code payload} cannot be written in this format, or null. */
    String refuse(ByteBuf payload) {
        if (this != LINES) {
            return null;
        }
        int from = payload.readerIndex();
        int to = payload.writerIndex();
        if (payload.indexOf(from, to, (byte) '\n') >= 0 || payload.indexOf(from, to, (byte) '\r') >= 0) {
            return "an event holds a line break, which --format lines cannot write as one line"
                    + " (serve with --format jsonl or binary)";
        }
        return null;
    }

    /** The JSONL line of {@code payload}, without the newline. */
    static byte[] json(ByteBuf payload) {
        byte[] bytes = ByteBufUtil.getBytes(payload);
        if (!ByteBufUtil.isText(payload, StandardCharsets.UTF_8)) {
            return ("{\"base64\":\"" + Base64.getEncoder().encodeToString(bytes) + "\"}")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        ByteArrayOutputStream s = new ByteArrayOutputStream(bytes.length + 8);
        s.write('"');
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '"' -> s.writeBytes(new byte[] {'\\', '"'});
                case '\\' -> s.writeBytes(new byte[] {'\\', '\\'});
                case '\n' -> s.writeBytes(new byte[] {'\\', 'n'});
                case '\r' -> s.writeBytes(new byte[] {'\\', 'r'});
                case '\t' -> s.writeBytes(new byte[] {'\\', 't'});
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        s.writeBytes(String.format("\\u%04x", c).getBytes(StandardCharsets.US_ASCII));
                    } else {
                        s.write(c); // bytes of multi-byte UTF-8 sequences pass as they are: JSON text is UTF-8
                    }
                }
            }
        }
        s.write('"');
        return s.toByteArray();
    }
}
