package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.wssink.protocol.Acks;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One sink's connection to the reference receiver: the stream's ownership (a new connection for a stream replaces the
 * old one), the resume ack, records deduplicated by id into the store, and acks every ack interval or every ackBytes
 * received, each only once a commit covers it. In raw mode, each frame is an event. It also holds the handshake
 * deadline: from the TCP accept, however slowly the request's bytes trickle in.
 *
 * <p>Every field is owned by the channel's event loop; the store's commits complete on its committer thread and come
 * back to the event loop before anything is sent.
 */
final class ReceiverHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ReceiverHandler.class);

    /** What the handler tells the receiver that owns it. */
    interface Connections {
        /** A handshake completed. */
        void connected(Channel channel);

        /** A connection for a stream replaced the stream's older one. */
        void replaced();

        /** A raw-mode event was written. */
        void rawReceived();
    }

    private final ReceiverStore store;
    private final ReceiverConfig config;
    private final Connections connections;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> handshakeDeadline;
    private ScheduledFuture<?> ackTimer;
    private ReceiverStore.Stream stream;
    private boolean open;
    private boolean ackMode;
    private long epoch;
    private long bytesSinceAck;
    private long lastAcked = -1;
    /** A commit for an ack is in progress: the next waits for it (its fsync covers what came meanwhile). */
    private boolean committing;

    ReceiverHandler(ReceiverStore store, ReceiverConfig config, Connections connections) {
        this.store = store;
        this.config = config;
        this.connections = connections;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            startHandshakeDeadline(ctx); // added to a channel that is already connected
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startHandshakeDeadline(ctx);
        super.channelActive(ctx);
    }

    private void startHandshakeDeadline(ChannelHandlerContext ctx) {
        if (handshakeDeadline != null) {
            return;
        }
        // WebSocketServerProtocolHandler's own handshake timeout starts once the whole request is in: a client that
        // sends one byte a second would hold the socket for ever, so this deadline starts at the accept
        handshakeDeadline = ctx.executor().schedule(() -> {
            log.debug("{}: no WebSocket handshake within {}; closing", ctx.channel().remoteAddress(),
                    config.handshakeTimeout());
            ctx.close();
        }, config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete hs) {
            if (handshakeDeadline != null) {
                handshakeDeadline.cancel(false);
            }
            open = true;
            epoch = store.epoch();
            ackMode = WireFormat.SUBPROTOCOL.equals(hs.selectedSubprotocol());
            if (ackMode && !claimStream(ctx, hs)) {
                return;
            }
            long every = config.ackInterval().toNanos();
            ackTimer = ctx.executor().scheduleAtFixedRate(this::ackIfNeeded, every, every, TimeUnit.NANOSECONDS);
            connections.connected(ctx.channel());
            if (ackMode) {
                openThenResumeAck();
            }
        } else if (evt instanceof IdleStateEvent) {
            log.debug("{}: idle for {}; closing", ctx.channel().remoteAddress(), config.idleTimeout());
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    private boolean claimStream(ChannelHandlerContext ctx, HandshakeComplete hs) {
        String id = ctx.channel().attr(HandshakeGate.STREAM).get();
        if (id == null) {
            id = StreamIds.parse(hs.requestHeaders().get(WireFormat.STREAM_HEADER));
        }
        if (id == null) {
            close(ctx, WebSocketCloseStatus.POLICY_VIOLATION, "wssink.v1 needs a Wssink-Stream header holding a UUID");
            return false;
        }
        stream = store.stream(id);
        if (stream == null) {
            log.warn("refused stream {}: the receiver holds its maximum of {} streams, none idle for longer than {}",
                    id, config.maxStreams(), config.forgetAfter());
            close(ctx, WebSocketCloseStatus.POLICY_VIOLATION, "too many streams; retry later");
            return false;
        }
        Object previous = store.claim(stream, this);
        if (previous instanceof ReceiverHandler older && older != this) {
            connections.replaced();
            log.info("stream {}: a new connection from {} replaces the one from {}", id,
                    ctx.channel().remoteAddress(), older.ctx.channel().remoteAddress());
            older.ctx.executor().execute(() -> older.close(older.ctx, WebSocketCloseStatus.POLICY_VIOLATION,
                    "replaced by a newer connection for this stream"));
        }
        return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!open) {
                log.debug("{}: dropped {} that came after the close", ctx.channel().remoteAddress(), msg);
                return;
            }
            if (msg instanceof BinaryWebSocketFrame || (msg instanceof TextWebSocketFrame && !ackMode)) {
                onData(ctx, ((WebSocketFrame) msg).content());
            } else if (msg instanceof CloseWebSocketFrame close) {
                open = false;
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
            }
            // a text frame in ack mode is no record: nothing to do
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onData(ChannelHandlerContext ctx, ByteBuf data) {
        int size = data.readableBytes();
        String refused;
        try {
            refused = ackMode ? store.acceptFrame(stream, this, epoch, data) : store.acceptRaw(epoch, data);
        } catch (IOException e) {
            failed(e);
            return;
        }
        if (refused == ReceiverStore.REPLACED) {
            close(ctx, WebSocketCloseStatus.POLICY_VIOLATION, "replaced by a newer connection for this stream");
            return;
        }
        if (refused != null) {
            log.warn("{} from {}: refused a frame ({}); closing with 1007, the sink keeps its events",
                    ackMode ? "stream " + stream.id() : "raw mode", ctx.channel().remoteAddress(), refused);
            close(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, refused);
            return;
        }
        if (!ackMode) {
            connections.rawReceived();
        }
        bytesSinceAck += size;
        if (bytesSinceAck >= config.ackBytes()) {
            ackIfNeeded();
        }
    }

    private void ackIfNeeded() {
        if (!open || committing) {
            return;
        }
        if (store.epoch() != epoch) {
            failed(new IOException("the receiver rolled its output back after a failed write"));
            return;
        }
        if (!ackMode) {
            bytesSinceAck = 0;
            store.commit().whenComplete((v, e) -> {
                if (e != null) {
                    ctx.executor().execute(() -> failed(e));
                }
            });
        } else if (store.highest(stream) != lastAcked) {
            commitAndAck();
        }
    }

    /**
     * The resume ack: what the store already holds for the stream (0: nothing), once the store opened the stream
     * (a store may read its state from elsewhere first) and committed.
     */
    private void openThenResumeAck() {
        CompletableFuture<Void> opened = store.open(stream, this);
        if (opened.isDone() && !opened.isCompletedExceptionally()) {
            commitAndAck();
            return;
        }
        committing = true; // no ack before the stream's state is known
        opened.whenComplete((v, e) -> ctx.executor().execute(() -> {
            committing = false;
            if (e != null) {
                failed(e);
            } else {
                commitAndAck();
            }
        }));
    }

    /** Commits, then acks what this stream held when the commit was asked for: never more than is durable. */
    private void commitAndAck() {
        long upTo = store.highest(stream);
        committing = true;
        bytesSinceAck = 0;
        store.commit(stream, this).whenComplete((v, e) -> ctx.executor().execute(() -> {
            committing = false;
            if (e != null) {
                failed(e);
                return;
            }
            if (open && upTo != lastAcked) {
                lastAcked = upTo;
                ctx.writeAndFlush(new TextWebSocketFrame(Acks.format(upTo)));
            }
            if (bytesSinceAck >= config.ackBytes()) {
                ackIfNeeded();
            }
        }));
    }

    /** The store could not write or commit: close without acking; the sink resends from its last ack. */
    private void failed(Throwable e) {
        if (!open) {
            return;
        }
        Throwable cause = e.getCause() != null && !(e instanceof IOException) ? e.getCause() : e;
        log.debug("{}: closing without acking: {}", ctx.channel().remoteAddress(), cause.toString());
        close(ctx, WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "the receiver cannot write its output; retry later");
    }

    private void close(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        open = false;
        String r = reason.length() > 120 ? reason.substring(0, 120) : reason; // a close reason holds 123 bytes
        ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), r)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open = false;
        if (handshakeDeadline != null) {
            handshakeDeadline.cancel(false);
        }
        if (ackTimer != null) {
            ackTimer.cancel(false);
        }
        if (stream != null) {
            store.release(stream, this);
        }
        if (ackTimer != null) {
            store.commit(); // nothing else may commit what this connection wrote last; nobody is left to ack it
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // oversized or malformed frames end here, after Netty's decoder sent its close frame (1009, 1002, 1007); a
        // message that inflates (permessage-deflate) or reassembles past the limit ends here before any close frame
        log.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        if (open && (cause instanceof DecompressionException || cause instanceof TooLongFrameException)) {
            close(ctx, WebSocketCloseStatus.MESSAGE_TOO_BIG, "a message larger than the receiver's limit of "
                    + config.maxMessageBytes() + " bytes");
        } else {
            ctx.close();
        }
    }
}
