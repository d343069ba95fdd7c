package io.wssink.internal.spool;

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
 * One codec belongs to one thread at a time (it reuses its CRC and record buffers), so encoding allocates nothing.
 */
final class RecordCodec {
    static final int FORMAT = 1;
    static final int HEADER_BYTES = 18;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Payloads up to this size are copied behind the header: one CRC update over contiguous bytes and one write into
     * Chronicle cost less than a second of each (235 against 203 ns an append at 100 B). Larger ones are written after
     * the header from where they are, where the copy would cost more than it saves.
     */
    static final int COPY_LIMIT = 256;

    private final CRC32C crc = new CRC32C();
    private final byte[] record = new byte[HEADER_BYTES + COPY_LIMIT];

    /**
     * Encodes a record into {@link #record()} and returns how many of its bytes to write from there: the header, and
     * the payload if it is at most {@link #COPY_LIMIT} bytes. If the count is short of {@code HEADER_BYTES + length},
     * the caller writes the payload after it.
     */
    int encode(EventKind kind, long timestampMillis, byte[] payload, int offset, int length) {
        fillHeader(kind, timestampMillis, length);
        if (length <= COPY_LIMIT) {
            System.arraycopy(payload, offset, record, HEADER_BYTES, length);
            crc.update(record, 4, HEADER_BYTES - 4 + length);
            return seal(HEADER_BYTES + length);
        }
        crc.update(record, 4, HEADER_BYTES - 4);
        crc.update(payload, offset, length);
        return seal(HEADER_BYTES);
    }

    /** As {@link #encode(EventKind, long, byte[], int, int)} for the remaining bytes of a buffer, left unmoved. */
    int encode(EventKind kind, long timestampMillis, ByteBuffer payload) {
        int length = payload.remaining();
        fillHeader(kind, timestampMillis, length);
        if (length <= COPY_LIMIT) {
            payload.get(payload.position(), record, HEADER_BYTES, length);
            crc.update(record, 4, HEADER_BYTES - 4 + length);
            return seal(HEADER_BYTES + length);
        }
        int position = payload.position();
        crc.update(record, 4, HEADER_BYTES - 4);
        crc.update(payload);
        payload.position(position);
        return seal(HEADER_BYTES);
    }

    /** The record last encoded, in {@code [0, encode(..))}; reused by the next. */
    byte[] record() {
        return record;
    }

    private void fillHeader(EventKind kind, long timestampMillis, int payloadLength) {
        record[4] = (byte) FORMAT;
        record[5] = (byte) kind.code();
        LONG.set(record, 6, timestampMillis);
        INT.set(record, 14, payloadLength);
        crc.reset();
    }

    private int seal(int bytesInRecord) {
        INT.set(record, 0, (int) crc.getValue());
        return bytesInRecord;
    }

    /** The append time of the record in {@code buf}, which holds at least its header; unchecked. */
    static long timestampOf(byte[] buf) {
        return (long) LONG.get(buf, 6);
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
        into.timestampMillis = timestampOf(buf);
        into.buffer = buf;
        into.payloadOffset = HEADER_BYTES;
        into.payloadLength = payloadLength;
        return null;
    }
}
