package io.wssink.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;

import java.util.ArrayList;
import java.util.List;

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
    /** Raw mode: the frames of the batch, handed to the event loop whole (see {@link Connection#sendRaw}). */
    private List<WebSocketFrame> raw = new ArrayList<>();
    private int rawBytes;
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
            ByteBuf payload = connection.alloc().directBuffer(length).writeBytes(src, offset, length);
            raw.add(text ? new TextWebSocketFrame(payload) : new BinaryWebSocketFrame(payload));
            rawBytes += length;
            frames++;
            if (rawBytes >= maxFrameBytes) { // a batch's bytes bounded as a frame's are: out to the event loop
                sendRaw(false);
            }
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
                sendRaw(true);
            } else {
                connection.flush();
            }
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
        raw.forEach(ReferenceCountUtil::release);
        raw.clear();
        rawBytes = 0;
        frames = 0;
        packed = false;
    }

    private void sendRaw(boolean last) {
        connection.sendRaw(raw, last, lastPacked);
        raw = new ArrayList<>(); // the event loop owns the last one now
        rawBytes = 0;
    }

    private void sendFrame() {
        connection.sendRecords(frame);
        frame = null;
        frames++;
    }
}
