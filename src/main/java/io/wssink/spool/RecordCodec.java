package io.wssink.spool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * One codec belongs to one thread at a time (it reuses its CRC and record buffers), so encoding allocates nothing
 * once its buffer has grown to the largest event.
 */
final class RecordCodec {
    static final int FORMAT = 1;
    static final int HEADER_BYTES = 18;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final CRC32C crc = new CRC32C();
    private byte[] record = new byte[HEADER_BYTES + 1024];

    /**
     * Encodes a whole record, header and a copy of the payload, into {@link #record()} and returns its length. One
     * contiguous record costs one CRC update and one write into Chronicle instead of three: less than the copy.
     */
    int encode(EventKind kind, long timestampMillis, byte[] payload, int offset, int length) {
        byte[] r = recordFor(length);
        System.arraycopy(payload, offset, r, HEADER_BYTES, length);
        return seal(r, kind, timestampMillis, length);
    }

    /** As {@link #encode(EventKind, long, byte[], int, int)} for the remaining bytes of a buffer, left unmoved. */
    int encode(EventKind kind, long timestampMillis, ByteBuffer payload) {
        int length = payload.remaining();
        byte[] r = recordFor(length);
        payload.get(payload.position(), r, HEADER_BYTES, length);
        return seal(r, kind, timestampMillis, length);
    }

    /** The record last encoded, in {@code [0, length)}; reused by the next. */
    byte[] record() {
        return record;
    }

    private byte[] recordFor(int payloadLength) {
        int needed = HEADER_BYTES + payloadLength;
        if (record.length < needed) {
            record = new byte[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * record.length))];
        }
        return record;
    }

    private int seal(byte[] r, EventKind kind, long timestampMillis, int payloadLength) {
        r[4] = (byte) FORMAT;
        r[5] = (byte) kind.code();
        LONG.set(r, 6, timestampMillis);
        INT.set(r, 14, payloadLength);
        crc.reset();
        crc.update(r, 4, HEADER_BYTES - 4 + payloadLength);
        INT.set(r, 0, (int) crc.getValue());
        return HEADER_BYTES + payloadLength;
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
        int storedCrc = (int) INT.get(buf, 0);
        crc.reset();
        crc.update(buf, 4, length - 4);
        if ((int) crc.getValue() != storedCrc) {
            return "CRC32C mismatch";
        }
        if (buf[4] != FORMAT) {
            return "unknown record format " + buf[4];
        }
        EventKind kind = EventKind.ofCode(buf[5]);
        int payloadLength = (int) INT.get(buf, 14);
        if (kind == null || payloadLength != length - HEADER_BYTES) {
            return "inconsistent header";
        }
        into.kind = kind;
        into.timestampMillis = (long) LONG.get(buf, 6);
        into.buffer = buf;
        into.payloadOffset = HEADER_BYTES;
        into.payloadLength = payloadLength;
        return null;
    }
}
