package io.wssink.internal.spool;

import java.util.Arrays;

/**
 * A record read from the spool: a flyweight that the reader refills on each {@link SpoolReader#next(SpoolRecord)},
 * so reading allocates nothing. The payload bytes are valid until the next call.
 */
public final class SpoolRecord {
    // Filled by the reader on the thread that calls next, and read by it until the next call.
    long id;
    EventKind kind;
    long timestampMillis;
    byte[] buffer;
    int payloadOffset;
    int payloadLength;

    /** The event's id: its Chronicle index, strictly increasing within the stream. */
    public long id() { return id; }
    public EventKind kind() { return kind; }
    /** When it was appended, in milliseconds since the epoch. */
    public long timestampMillis() { return timestampMillis; }
    /** The array holding the payload at {@link #payloadOffset()}; owned by the reader. */
    public byte[] buffer() { return buffer; }
    public int payloadOffset() { return payloadOffset; }
    public int payloadLength() { return payloadLength; }

    /** A copy of the payload, for tests and tools; allocates. */
    public byte[] payloadCopy() {
        return Arrays.copyOfRange(buffer, payloadOffset, payloadOffset + payloadLength);
    }
}
