package io.wssink.internal.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Spec section 6: a ping every interval whatever this side sends, and a ping that nothing (pong, ack or data)
 * follows within the timeout closes the link, so a half-open connection is found within interval + timeout.
 *
 * <p>It pinged only after the sink had written nothing for an interval, and gave up after reading nothing for
 * interval + timeout: a plain server sends nothing unprompted, so every raw-mode link under steady traffic was cut
 * after interval + timeout.
 *
 * <p>Added behind the WebSocket codec once the handshake is done; every frame read passes through it. Event loop only.
 */
final class Heartbeat extends ChannelInboundHandlerAdapter {
    private final Connection connection;
    private final long intervalNanos;
    private final long timeoutNanos;

    // event loop only
    /** The number of the last ping sent. */
    private long pingsSent;
    /** Every ping up to this number was followed by a frame read. */
    private long answeredUpTo;
    private ScheduledFuture<?> ticks;

    Heartbeat(Connection connection, TransportConfig config) {
        this.connection = connection;
        this.intervalNanos = config.pingInterval().toNanos();
        this.timeoutNanos = config.pingTimeout().toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ticks = ctx.executor().scheduleAtFixedRate(() -> ping(ctx), intervalNanos, intervalNanos,
                TimeUnit.NANOSECONDS);
    }

    private void ping(ChannelHandlerContext ctx) {
        long ping = ++pingsSent;
        ctx.writeAndFlush(new PingWebSocketFrame());
        if (ctx.channel().config().isAutoRead()) { // while reading is paused, no answer could be read in time
            ctx.executor().schedule(() -> check(ctx, ping), timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check(ChannelHandlerContext ctx, long ping) {
        if (!ctx.channel().config().isAutoRead()) {
            answeredUpTo = pingsSent; // reading is paused for a slow listener: the silence is this side's own
            return;
        }
        if (answeredUpTo < ping && ctx.channel().isActive()) {
            connection.fail(new Failure(Failure.Kind.SILENT, "nothing received within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms of a ping (no pong, ack or data): the link is"
                    + " half-open or the receiver is stuck"));
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        answeredUpTo = pingsSent;
        connection.heardFromPeer = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ticks.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ticks.cancel(false);
    }
}
