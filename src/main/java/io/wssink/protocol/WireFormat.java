package io.wssink.protocol;

import io.netty.buffer.ByteBuf;

/**
 * wssink.v1 records inside binary frames: {@code id:u64 | length:u32 | payload}, big-endian, back to back, whole
 * records only.
 */
public final class WireFormat {
    public static final String SUBPROTOCOL = "wssink.v1";
    public static final String STREAM_HEADER = "Wssink-Stream";
    /**
     * An extension of wssink.v1 (docs/PROTOCOL.md, "Gap notices"): the sink offers it with this request header (value
     * {@code 1}); a receiver that answers the handshake with the same header gets a {@link GapNotice} before the first
     * record sent after events the sink skipped on purpose. A receiver that does not answer it gets none.
     */
    public static final String GAP_NOTICES_HEADER = "Wssink-Gap-Notices";
    public static final int RECORD_HEADER_BYTES = 12;

    private WireFormat() {
    }

    public static void writeRecord(ByteBuf frame, long id, byte[] payload, int offset, int length) {
        frame.writeLong(id).writeInt(length).writeBytes(payload, offset, length);
    }

    /** Receives the records of a frame; the payload is a slice of the frame, valid during the call. */
    @FunctionalInterface
    public interface RecordConsumer {
        void record(long id, ByteBuf payload);
    }

    /**
     * Checks a whole frame first, then hands each record to {@code consumer}: a malformed frame delivers nothing.
     *
     * @return null, or why the frame is malformed
     */
    public static String readRecords(ByteBuf frame, RecordConsumer consumer) {
        int start = frame.readerIndex();
        int end = frame.writerIndex();
        if (start == end) {
            return "empty frame";
        }
        int at = start;
        while (at < end) {
            if (end - at < RECORD_HEADER_BYTES) {
                return "truncated record header at byte " + (at - start);
            }
            long length = frame.getUnsignedInt(at + 8);
            if (length > end - at - RECORD_HEADER_BYTES) {
                return "record length " + length + " runs past the frame's end at byte " + (at - start);
            }
            at += RECORD_HEADER_BYTES + (int) length;
        }
        at = start;
        while (at < end) {
            long id = frame.getLong(at);
            int length = (int) frame.getUnsignedInt(at + 8);
            consumer.record(id, frame.slice(at + RECORD_HEADER_BYTES, length));
            at += RECORD_HEADER_BYTES + length;
        }
        return null;
    }
}
