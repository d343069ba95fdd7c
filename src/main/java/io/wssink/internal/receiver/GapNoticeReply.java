package io.wssink.internal.receiver;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AttributeKey;
import io.wssink.protocol.WireFormat;

/**
 * Takes a sink's offer of gap notices ({@link WireFormat#GAP_NOTICES_HEADER}): answers the header in the handshake's
 * 101 response (Netty's handshaker writes it through the whole pipeline), marks the channel so that
 * {@link ReceiverHandler} reads the notices, then leaves the pipeline. Put in place by {@link HandshakeGate}.
 */
final class GapNoticeReply extends ChannelOutboundHandlerAdapter {
    /** Set on a channel whose sink was told that this receiver takes gap notices. */
    static final AttributeKey<Boolean> TAKES_GAP_NOTICES = AttributeKey.valueOf("wssink.gapNotices");

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            if (response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                response.headers().set(WireFormat.GAP_NOTICES_HEADER, "1");
                ctx.channel().attr(TAKES_GAP_NOTICES).set(Boolean.TRUE);
            }
            ctx.pipeline().remove(this);
        }
        super.write(ctx, msg, promise);
    }
}
