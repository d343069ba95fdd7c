package io.wssink.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;

import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket connection, as the forwarder sees it. Sending methods may be called from any thread; Netty queues
 * them to the event loop in call order. Records go out through its {@link #packer()}.
 */
public final class Connection {
    private final boolean offeredSubprotocol;
    private final ConnectionEvents events;
    private final FramePacker packer;
    /** Set by the connecting thread, then once more by the event loop's initializer: the same channel. */
    volatile Channel channel;
    /** Set once by the event loop when the handshake completes: ACK or RAW. */
    volatile Mode mode;
    /** The first close status this side sent, or -1; event loop only. */
    volatile int closeStatus = -1;
    /** Why the connection ends, first cause wins; written by the event loop, read when {@code closed} is reported. */
    volatile Failure failure;
    /** Set once by the event loop before the handshake completes: the receiver answered the gap-notice offer. */
    volatile boolean gapNotices;
    /** Set by the event loop once any frame came from the peer after the handshake (a pong, an ack, a message). */
    volatile boolean heardFromPeer;
    /** Whether {@link ConnectionEvents#closed} was reported: a failed connect and channelInactive may both try. */
    final AtomicBoolean ended = new AtomicBoolean();

    Connection(boolean offeredSubprotocol, ConnectionEvents events, int maxFrameBytes) {
        this.offeredSubprotocol = offeredSubprotocol;
        this.events = events;
        this.packer = new FramePacker(this, maxFrameBytes);
    }

    /** ACK or RAW once opened; null before. */
    public Mode mode() {
        return mode;
    }

    /**
     * Whether any frame (a pong, an ack, a message) came from the peer after the handshake: in raw mode the only
     * sign that the peer reads what it is sent, since events count as delivered once they are on the socket.
     */
    public boolean heardFromPeer() {
        return heardFromPeer;
    }

    /** Whether the handshake offered wssink.v1. */
    public boolean offeredSubprotocol() {
        return offeredSubprotocol;
    }

    /** Whether the receiver takes gap notices ({@link WireFormat#GAP_NOTICES_HEADER}); known once opened. */
    public boolean gapNotices() {
        return gapNotices;
    }

    /**
     * Ack mode, receivers that take them only: sends a gap notice. For the one thread that sends, between frames:
     * {@link FramePacker#finish()} first, so that it goes out after the records before the gap.
     */
    public void sendGapNotice(GapNotice notice) {
        channel.write(new TextWebSocketFrame(notice.format()), channel.voidPromise());
    }

    /** Packs records into this connection's frames; for the one thread that sends. */
    public FramePacker packer() {
        return packer;
    }

    ConnectionEvents events() {
        return events;
    }

    public boolean isWritable() {
        Channel ch = channel;
        return ch != null && ch.isActive() && ch.isWritable();
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Ack mode: a binary frame of whole records. Takes ownership of {@code records}. */
    void sendRecords(ByteBuf records) {
        channel.write(new BinaryWebSocketFrame(records), channel.voidPromise());
    }

    /**
     * Raw mode: writes a batch of frames, one per event, in one task on the event loop; with {@code last}, also
     * reports {@link ConnectionEvents#written} for {@code lastId} once every frame is on the socket (an empty buffer
     * rides behind the frames, so one listener covers the batch) and flushes. Takes ownership of the frames and the
     * list. One event-loop task per event, as {@code channel.write} from the forwarder thread made, cost more than the
     * event's own work at 100 B (raw mode made 0.32 of a bare client that batches its flushes).
     */
    void sendRaw(List<WebSocketFrame> frames, boolean last, long lastId) {
        Channel ch = channel;
        Runnable write = () -> {
            for (int i = 0; i < frames.size(); i++) {
                ch.write(frames.get(i), ch.voidPromise()); // a closed channel fails the write and releases the frame
            }
            if (last) {
                ch.write(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        events.written(this, lastId);
                    }
                });
                ch.flush();
            }
        };
        if (ch.eventLoop().inEventLoop()) {
            write.run();
            return;
        }
        try {
            ch.eventLoop().execute(write);
        } catch (RejectedExecutionException e) { // the event loop is shutting down: the connection is over anyway
            frames.forEach(ReferenceCountUtil::release);
        }
    }

    void flush() {
        channel.flush();
    }

    /** Stops reading from the socket (TCP then holds the receiver back), until {@link #resumeReading()}. Any thread. */
    public void pauseReading() {
        Channel ch = channel;
        if (ch != null) {
            ch.config().setAutoRead(false);
        }
    }

    /** Runs {@code task} on this connection's event loop (at once if called there); dropped if it has no channel. */
    public void execute(Runnable task) {
        Channel ch = channel;
        if (ch != null) {
            if (ch.eventLoop().inEventLoop()) {
                task.run();
            } else {
                ch.eventLoop().execute(task);
            }
        }
    }

    /** Reads from the socket again. Any thread. */
    public void resumeReading() {
        Channel ch = channel;
        if (ch != null) {
            ch.config().setAutoRead(true);
        }
    }

    /**
     * Closes with a status code: 1000 is orderly (the connection's end is no failure); any other status, such as
     * 1002 for a protocol error or 1009 for a message too big, makes it a failed connection, with backoff.
     */
    public void close(int status, String reason) {
        close(status, reason, new Failure(Failure.Kind.CLOSED_BY_SINK, status,
                "closed with " + status + " (" + reason + ")"));
    }

    /**
     * As {@link #close(int, String)}, with the failure to report ({@code reason} goes to the peer, and a close frame
     * holds at most 123 bytes of it; the failure's text goes to logs and status). Ignored for status 1000.
     */
    public void close(int status, String reason, Failure failure) {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        // at once when a handler closes, on the event loop: its failure must be recorded before the channel can
        // go inactive
        execute(() -> {
            if (closeStatus == -1) {
                closeStatus = status;
            }
            if (status != 1000) {
                fail(failure);
            }
            if (ch.isActive() && mode != null) {
                ch.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
                ch.eventLoop().schedule(() -> ch.close(), 2, TimeUnit.SECONDS);
            } else {
                ch.close();
            }
        });
    }

    /** Reports the end of the connection to its events, once (a failed connect and channelInactive both try). */
    void reportEnded() {
        if (ended.compareAndSet(false, true)) {
            events.closed(this, failure);
        }
    }

    /** Records why the connection is ending, first cause wins. Event loop only. */
    void fail(Failure why) {
        if (failure == null) {
            failure = why;
        }
    }
}
