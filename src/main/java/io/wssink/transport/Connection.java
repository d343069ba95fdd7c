package io.wssink.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

import java.net.URI;

/**
 * One WebSocket connection, as the forwarder sees it. Sending methods may be called from any thread; Netty queues
 * them to the event loop in call order.
 */
public final class Connection {
    private final URI url;
    private final boolean offeredSubprotocol;
    private final ConnectionEvents events;
    volatile Channel channel;
    volatile Mode mode;
    volatile int closeStatus = -1;
    volatile String failureKind;
    volatile String failure;
    final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

    Connection(URI url, boolean offeredSubprotocol, ConnectionEvents events) {
        this.url = url;
        this.offeredSubprotocol = offeredSubprotocol;
        this.events = events;
    }

    public URI url() {
        return url;
    }

    /** ACK or RAW once opened; null before. */
    public Mode mode() {
        return mode;
    }

    /** Whether the handshake offered wssink.v1. */
    public boolean offeredSubprotocol() {
        return offeredSubprotocol;
    }

    ConnectionEvents events() {
        return events;
    }

    public boolean isWritable() {
        Channel ch = channel;
        return ch != null && ch.isActive() && ch.isWritable();
    }

    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Ack mode: a binary frame of whole records. Takes ownership of {@code records}. */
    public void sendRecords(ByteBuf records) {
        channel.write(new BinaryWebSocketFrame(records), channel.voidPromise());
    }

    /**
     * Raw mode: one event as one frame. Takes ownership of {@code payload}. With {@code report}, the events get
     * {@link ConnectionEvents#written} once the frame is on the socket; frames complete in order, so reporting the
     * last of a batch covers the batch.
     */
    public void sendRaw(boolean text, ByteBuf payload, long id, boolean report) {
        Object frame = text ? new TextWebSocketFrame(payload) : new BinaryWebSocketFrame(payload);
        if (report) {
            channel.write(frame).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    events.written(this, id);
                }
            });
        } else {
            channel.write(frame, channel.voidPromise());
        }
    }

    /**
     * Raw mode: reports {@link ConnectionEvents#written} for {@code id} once every frame written before this call is
     * on the socket. An empty buffer rides behind the frames, so one listener covers a whole batch.
     */
    public void markWritten(long id) {
        channel.write(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                events.written(this, id);
            }
        });
    }

    public void flush() {
        channel.flush();
    }

    /**
     * Closes with a status code: 1000 is orderly (the connection's end is no failure); any other status, such as
     * 1002 for a protocol error or 1009 for a message too big, makes it a failed connection, with backoff.
     */
    public void close(int status, String reason) {
        close(status, reason, "closed with " + status + " (" + reason + ")");
    }

    /** As {@link #close(int, String)}, with the failure's full text for logs and status ({@code reason} goes to
     * the peer, and a close frame holds at most 123 bytes of it). */
    public void close(int status, String reason, String failure) {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            if (closeStatus == -1) {
                closeStatus = status;
            }
            if (status != 1000) {
                fail("closed-" + status, failure);
            }
            if (ch.isActive() && mode != null) {
                ch.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
                ch.eventLoop().schedule(() -> ch.close(), 2, java.util.concurrent.TimeUnit.SECONDS);
            } else {
                ch.close();
            }
        });
    }

    /** Records why the connection is ending, first cause wins. Event loop only. */
    void fail(String kind, String why) {
        if (failure == null) {
            failureKind = kind;
            failure = why;
        }
    }
}
