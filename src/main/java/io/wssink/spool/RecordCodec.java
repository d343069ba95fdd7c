package io.wssink.spool;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The layout of one event inside a Chronicle document (little-endian, as Chronicle writes):
 * <pre>
 *   0  u32  crc32c of bytes 4..end
 *   4  u8   format (1)
 *   5  u8   kind (0 text, 1 binary)
 *   6  i64  append time, ms since the epoch
 *  14  i32  payload length
 *  18  ...  payload
 * </pre>
 * One codec belongs to one thread at a time (it reuses its CRC and header buffers), so encoding allocates nothing.
 */
final class RecordCodec {
    static final int FORMAT = 1;
    static final int HEADER_BYTES = 18;
    private static final int CRC_COVERED_HEADER = HEADER_BYTES - 4;

    private final CRC32C crc = new CRC32C();
    private final ByteBuffer header = ByteBuffer.allocate(CRC_COVERED_HEADER).order(ByteOrder.LITTLE_ENDIAN);

    /** Fills the header (after the CRC) and returns the CRC over it and the payload. */
    int headerAndCrc(EventKind kind, long timestampMillis, byte[] payload, int offset, int length) {
        fillHeader(kind, timestampMillis, length);
        crc.update(payload, offset, length);
        return (int) crc.getValue();
    }

    /** As {@link #headerAndCrc(EventKind, long, byte[], int, int)} for the remaining bytes of a buffer. */
    int headerAndCrc(EventKind kind, long timestampMillis, ByteBuffer payload) {
        fillHeader(kind, timestampMillis, payload.remaining());
        int position = payload.position();
        crc.update(payload);
        payload.position(position);
        return (int) crc.getValue();
    }

    /** The 14 header bytes that follow the CRC, valid after {@code headerAndCrc}. */
    byte[] header() {
        return header.array();
    }

    private void fillHeader(EventKind kind, long timestampMillis, int length) {
        header.clear();
        header.put((byte) FORMAT).put((byte) kind.code()).putLong(timestampMillis).putInt(length);
        crc.reset();
        crc.update(header.array(), 0, CRC_COVERED_HEADER);
    }

    /**
     * Decodes a whole stored record held in {@code buf[0..length)} into {@code into}.
     *
     * @return null when it is intact, else why it is damaged
     */
    String decode(byte[] buf, int length, SpoolRecord into) {
        if (length < HEADER_BYTES) {
            return "record of " + length + " bytes is shorter than its header";
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        int storedCrc = b.getInt(0);
        crc.reset();
        crc.update(buf, 4, length - 4);
        if ((int) crc.getValue() != storedCrc) {
            return "CRC32C mismatch";
        }
        if (buf[4] != FORMAT) {
            return "unknown record format " + buf[4];
        }
        EventKind kind = EventKind.ofCode(buf[5]);
        int payloadLength = b.getInt(14);
        if (kind == null || payloadLength != length - HEADER_BYTES) {
            return "inconsistent header";
        }
        into.kind = kind;
        into.timestampMillis = b.getLong(6);
        into.buffer = buf;
        into.payloadOffset = HEADER_BYTES;
        into.payloadLength = payloadLength;
        return null;
    }
}
