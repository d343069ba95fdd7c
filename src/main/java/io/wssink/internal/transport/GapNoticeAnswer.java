package io.wssink.internal.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.wssink.protocol.WireFormat;

/**
 * Reads the receiver's answer to the gap-notice offer ({@link WireFormat#GAP_NOTICES_HEADER}) from the handshake
 * response, before Netty's handshaker takes it, then leaves the pipeline. A receiver that does not answer gets no
 * notice: wssink.v1 itself has no text frames from sink to receiver.
 */
final class GapNoticeAnswer extends ChannelInboundHandlerAdapter {
    private final Connection connection;

    GapNoticeAnswer(Connection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpResponse response) {
            connection.gapNotices = response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)
                    && "1".equals(response.headers().get(WireFormat.GAP_NOTICES_HEADER));
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }
}
