package io.wssink.receiver;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.wssink.protocol.Acks;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * One sink's connection to the reference receiver: the resume ack after the handshake, records deduplicated by id
 * into the store, and acks every ack interval or every ackBytes received, always after a commit. In raw mode, each
 * frame is an event, committed at the same interval.
 */
final class ReceiverHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ReceiverHandler.class);

    private final ReferenceReceiver receiver;
    private final ReceiverStore store;
    private final ReceiverConfig config;
    private ReceiverStore.Stream stream;
    private boolean ackMode;
    private long bytesSinceAck;
    private long lastAcked = -1;
    private ScheduledFuture<?> ackTimer;

    ReceiverHandler(ReferenceReceiver receiver, ReceiverStore store, ReceiverConfig config) {
        this.receiver = receiver;
        this.store = store;
        this.config = config;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete hs) {
            ackMode = WireFormat.SUBPROTOCOL.equals(hs.selectedSubprotocol());
            String streamId = hs.requestHeaders().get(WireFormat.STREAM_HEADER);
            if (ackMode) {
                if (streamId == null || streamId.isBlank() || streamId.length() > 128) {
                    close(ctx, 1008, "wssink.v1 needs the Wssink-Stream header");
                    return;
                }
                if (!store.knows(streamId) && store.streams() >= config.maxStreams()) {
                    close(ctx, 1008, "too many streams");
                    return;
                }
                stream = store.stream(streamId);
                store.commit(); // the resume ack, like every ack, covers only committed output
                sendAck(ctx); // the resume ack: what this receiver already holds for the stream (0: nothing)
            }
            long every = config.ackInterval().toNanos();
            ackTimer = ctx.executor().scheduleAtFixedRate(() -> ackIfNeeded(ctx), every, every, TimeUnit.NANOSECONDS);
            receiver.connected(ctx.channel());
        } else if (evt instanceof IdleStateEvent) {
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
        try {
            if (msg instanceof BinaryWebSocketFrame frame) {
                if (ackMode) {
                    onRecords(ctx, frame.content());
                } else {
                    store.acceptRaw(frame.content());
                    receiver.rawReceived();
                }
            } else if (msg instanceof TextWebSocketFrame text) {
                if (!ackMode) {
                    store.acceptRaw(text.content());
                    receiver.rawReceived();
                }
            } else if (msg instanceof CloseWebSocketFrame close) {
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRecords(ChannelHandlerContext ctx, ByteBuf frame) throws IOException {
        int size = frame.readableBytes();
        String malformed = store.acceptFrame(stream, frame);
        if (malformed != null) {
            log.warn("stream {}: malformed frame ({}); closing with 1007", stream.id(), malformed);
            close(ctx, 1007, "malformed frame");
            return;
        }
        bytesSinceAck += size;
        if (bytesSinceAck >= config.ackBytes()) {
            ackIfNeeded(ctx);
        }
    }

    private void ackIfNeeded(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        try {
            store.commit();
        } catch (IOException e) {
            log.error("cannot commit output {}: {}; not acking", store.output(), e.toString());
            ctx.close();
            return;
        }
        if (ackMode && store.highest(stream) != lastAcked) {
            sendAck(ctx);
        }
    }

    private void sendAck(ChannelHandlerContext ctx) {
        bytesSinceAck = 0;
        lastAcked = store.highest(stream);
        ctx.writeAndFlush(new TextWebSocketFrame(Acks.format(lastAcked)));
    }

    private static void close(ChannelHandlerContext ctx, int status, String reason) {
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ackTimer != null) {
            ackTimer.cancel(false);
        }
        store.commit();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
