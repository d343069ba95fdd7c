package io.wssink.internal.transport;

import io.netty.buffer.ByteBuf;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;

/**
 * Packs records into a connection's frames: in ack mode as many whole records per binary frame as
 * {@code maxFrameBytes} allows ({@link WireFormat}), in raw mode one frame per event. The caller hands it records
 * in id order and {@link #finish()}es each batch, which sends the open frame and flushes once.
 *
 * <p>One thread only (the forwarder's). The frame under construction is a pooled direct buffer owned by this
 * packer until it is sent: every batch ends with {@link #finish()}, or with {@link #discard()} when it failed, so no
 * frame stays open between batches.
 */
public final class FramePacker {
    /** Frames start at this size (or the record's, if larger) and grow up to maxFrameBytes. */
    private static final int INITIAL_FRAME_BYTES = 16 << 10;

    private final Connection connection;
    private final int maxFrameBytes;
    // the sending thread only
    private ByteBuf frame;
    private int frames;
    private boolean packed;
    private long lastPacked;

    FramePacker(Connection connection, int maxFrameBytes) {
        this.connection = connection;
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Packs one event.
     *
     * @return true when packed; false when the open frame had no room for it and was sent instead (the record was
     *         not taken: check whether the connection is still writable and offer it again)
     */
    public boolean pack(long id, boolean text, byte[] src, int offset, int length) {
        if (connection.mode() == Mode.RAW) {
            connection.sendRaw(text, connection.alloc().directBuffer(length).writeBytes(src, offset, length));
            frames++;
        } else {
            int need = WireFormat.RECORD_HEADER_BYTES + length;
            if (frame != null && frame.readableBytes() + need > maxFrameBytes) {
                sendFrame();
                return false;
            }
            if (frame == null) {
                frame = connection.alloc().directBuffer(Math.max(need, Math.min(maxFrameBytes, INITIAL_FRAME_BYTES)));
            }
            WireFormat.writeRecord(frame, id, src, offset, length);
        }
        packed = true;
        lastPacked = id;
        return true;
    }

    /** Frames sent since the last {@link #finish()}, not counting the open one. */
    public int framesSent() {
        return frames;
    }

    /**
     * Ends the batch: sends the open frame and, if anything was packed, flushes (in raw mode after asking to be told
     * through {@link ConnectionEvents#written} once the batch is on the socket).
     */
    public void finish() {
        if (frame != null) {
            sendFrame();
        }
        if (packed) {
            if (connection.mode() == Mode.RAW) {
                connection.markWritten(lastPacked);
            }
            connection.flush();
        }
        frames = 0;
        packed = false;
    }

    /** Releases the open frame without sending it: the turn that packed it failed, the connection is being dropped. */
    public void discard() {
        if (frame != null) {
            frame.release();
            frame = null;
        }
        frames = 0;
        packed = false;
    }

    private void sendFrame() {
        connection.sendRecords(frame);
        frame = null;
        frames++;
    }
}
