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
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One sink's connection to the reference receiver: the stream's ownership (a new connection for a stream replaces the
 * old one), the resume ack, records deduplicated by id into the store, and acks every ack interval or every ackBytes
 * received, and (unless turned off) at the end of each read burst, each only once a commit covers it.
 *
 * <p><b>Acking at the end of a read burst.</b> With acks only every 100 ms, a sink that writes one event waits up to
 * 100 ms (plus the commit) for its ack, and a sink whose connection breaks every few thousand records resends up to
 * 100 ms of what the receiver already held: FlakyLinkBenchmark measured 0.16x of an unbroken link with a cut every
 * ~3,000 records. So when the socket has no more to read for now ({@code channelReadComplete}), the handler commits
 * and acks what it holds. While a commit runs, the bursts that end meanwhile wait for it and are covered by the next
 * commit, so under load this is group commit (one fsync per commit, not per burst), and the interval and byte bounds
 * still hold. Read-burst acks are spaced at least {@link ReceiverConfig#ackBurstSpacing()} (1 ms) apart: at 10k
 * events/s a burst is about one event, and with cheap commits (session 10) the receiver acked about once per event,
 * work for both event loops and the sink's forwarder on every event; spaced 1 ms apart, wssink's p99 arrival in
 * LatencyHarness was 0.9-1.2 ms in three runs against 1.5-3.0 ms unspaced (alternated, same jar), and the ack's
 * median went from ~70 us to ~620 us. In raw mode, each frame is an event. It also holds the handshake
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

        /** A sink said it skipped events on purpose, not yet reported for its stream. */
        void gapNotice(String stream, GapNotice notice);
        /** A wssink.v1 connection took {@code stream}, of which the store holds up to {@code highest} (--ui). */
        default void streamConnected(String stream, Channel channel, long highest) {
        }

        /** The store accepted a frame of {@code stream}'s records (--ui). */
        default void accepted(String stream, ByteBuf frame) {
        }

        /** The connection of {@code stream} ended (--ui). */
        default void streamClosed(String stream, Channel channel) {
        }
    }

    private final ReceiverStore store;
    private final ReceiverConfig config;
    private final Connections connections;
    private final ReceiverMeters meters;
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
    /** A read burst ended while {@link #committing}: ack again once that commit completes. */
    private boolean ackAfterCommit;
    /** {@link ReceiverConfig#ackBurstSpacing()}, read once. */
    private final long burstSpacingNanos;
    /** When the last commit for an ack began: a read burst's ack waits until {@link #burstSpacingNanos} after it. */
    private long lastAckCommitNanos;
    /** A read burst's ack, put off until the spacing allows it; null when none is. */
    private ScheduledFuture<?> burstAckTimer;
    /**
     * What let this connection in, when tokens come from a file; checked again at each ack tick (100 ms by default), so
     * that a token revoked in --token-file ends its open connections as it refuses new ones.
     */
    private HandshakeGate.Credential credential;

    ReceiverHandler(ReceiverStore store, ReceiverConfig config, Connections connections) {
        this(store, config, connections, new ReceiverMeters());
    }

    ReceiverHandler(ReceiverStore store, ReceiverConfig config, Connections connections, ReceiverMeters meters) {
        this.store = store;
        this.config = config;
        this.burstSpacingNanos = config.ackBurstSpacing().toNanos();
        this.connections = connections;
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // on the loop's clock (a test's frozen one too); the first burst's ack may go at once
        lastAckCommitNanos = ctx.executor().ticker().nanoTime() - burstSpacingNanos;
        if (ctx.channel().isActive()) {
            startHandshakeDeadline(ctx); // added to a channel that is already connected
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startHandshakeDeadline(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (handshakeDeadline != null && !open) {
            handshakeDeadline.cancel(false); // the console took the connection for its page (--ui)
        }
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
            credential = ctx.channel().attr(HandshakeGate.CREDENTIAL).get();
            long every = config.ackInterval().toNanos();
            ackTimer = ctx.executor().scheduleAtFixedRate(this::ackAtInterval, every, every, TimeUnit.NANOSECONDS);
            connections.connected(ctx.channel());
            if (ackMode) {
                connections.streamConnected(stream.id(), ctx.channel(), store.highest(stream));
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
        meters.streamConnected(); // undone in channelInactive, as is the claim
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
            } else if (msg instanceof TextWebSocketFrame text && ackMode && stream != null
                    && ctx.channel().hasAttr(GapNoticeReply.TAKES_GAP_NOTICES)) {
                onGapNotice(ctx, text.text());
            }
            // any other text frame in ack mode is no record: nothing to do
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (ackMode && config.ackOnReadComplete() && store.commitsAtEveryReadBurst() && bytesSinceAck > 0) {
            burstEnded();
        }
        super.channelReadComplete(ctx);
    }

    /**
     * A read burst ended with bytes not yet acked: commit and ack, or, within {@code ackBurstSpacing} of the last
     * commit for an ack, once that time is up (one ack then covers every burst that ended meanwhile).
     */
    private void burstEnded() {
        long wait = lastAckCommitNanos + burstSpacingNanos - ctx.executor().ticker().nanoTime();
        if (wait > 0) {
            if (burstAckTimer == null) {
                burstAckTimer = ctx.executor().schedule(() -> {
                    burstAckTimer = null;
                    if (open && bytesSinceAck > 0) {
                        burstEnded();
                    }
                }, wait, TimeUnit.NANOSECONDS);
            }
            return;
        }
        if (committing) {
            ackAfterCommit = true;
        } else {
            ackIfNeeded();
        }
    }

    /**
     * A gap notice: the sink skipped, on purpose, what it had not delivered between two ids. Reported once per gap: a
     * sink whose connection breaks before the record after the gap is acked sends the notice again.
     */
    private void onGapNotice(ChannelHandlerContext ctx, String text) {
        GapNotice notice = GapNotice.parse(text);
        if (notice == null) {
            close(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "a text frame that is no gap notice");
            return;
        }
        // compared with what this stream already holds and was already told: news only
        if (Long.compareUnsigned(notice.before(), stream.gapReportedBefore) > 0
                && Long.compareUnsigned(notice.before(), store.highest(stream)) > 0) {
            stream.gapReportedBefore = notice.before();
            connections.gapNotice(stream.id(), notice);
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
            if (ackMode) {
                log.warn("stream {} from {}: refused a frame ({}); closing with 1007, the sink keeps its events",
                        stream.id(), ctx.channel().remoteAddress(), refused);
            } else {
                log.warn("raw mode from {}: refused an event ({}); closing with 1007. Raw mode has no acks: the sink"
                        + " counted it delivered once written, so it is lost, with whatever followed it on this"
                        + " connection", ctx.channel().remoteAddress(), refused);
            }
            close(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, refused);
            return;
        }
        if (!ackMode) {
            connections.rawReceived();
        } else {
            connections.accepted(stream.id(), data);
            if (ctx.channel().config().isAutoRead() && store.backlogged(stream, this, this::resumeReading)) {
                ctx.channel().config().setAutoRead(false); // TCP holds the sink back until the store took more
            }
        }
        bytesSinceAck += size;
        if (bytesSinceAck >= config.ackBytes()) {
            ackIfNeeded();
        }
    }

    /** The store took what it held back: read again. Any thread. */
    private void resumeReading() {
        try {
            ctx.executor().execute(() -> ctx.channel().config().setAutoRead(true));
        } catch (RejectedExecutionException e) {
            // the receiver closed and shut its event loops down, and the channel with them: nothing to read. Thrown,
            // it broke the Kafka store's drain, failure and close (which then never closed its producers)
        }
    }

    /**
     * The ack interval's tick: as {@link #ackIfNeeded()}, and it also commits when bytes came since the last commit
     * but the highest id did not move, which a store that lost them shows (the Kafka store, failing a send, sets its
     * highest back to what Kafka holds, which may be the last ack): that commit fails and closes the connection, where
     * the test of the highest alone left it open, the sink's records unacked, until the sink wrote again. Only here,
     * once an interval: at ackBytes or a read burst, exactly-once's highest id may simply lag its drain, and a commit
     * then would reset the byte count that brings the next ack; duplicates alone cost one commit with nothing to write.
     */
    private void ackAtInterval() {
        if (credential != null && open && !credential.stillAllowed()) {
            log.info("{} from {}: its token was revoked (--token-file); closing with 1008",
                    ackMode ? "stream " + stream.id() : "raw mode", ctx.channel().remoteAddress());
            close(ctx, WebSocketCloseStatus.POLICY_VIOLATION, "the token of this connection was revoked");
            return;
        }
        ackIfNeeded(bytesSinceAck > 0);
    }

    private void ackIfNeeded() {
        ackIfNeeded(false);
    }

    private void ackIfNeeded(boolean bytesCame) {
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
        } else if (store.highest(stream) != lastAcked || bytesCame) {
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
        lastAckCommitNanos = ctx.executor().ticker().nanoTime();
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
                meters.ackSent();
            }
            boolean burstWaited = ackAfterCommit;
            ackAfterCommit = false;
            if (bytesSinceAck >= config.ackBytes()) {
                ackIfNeeded();
            } else if (burstWaited && bytesSinceAck > 0) {
                burstEnded();
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
        if (burstAckTimer != null) {
            burstAckTimer.cancel(false);
        }
        if (stream != null) {
            store.release(stream, this);
            connections.streamClosed(stream.id(), ctx.channel());
            meters.streamDisconnected();
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
