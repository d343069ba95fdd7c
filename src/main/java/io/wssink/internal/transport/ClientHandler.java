package io.wssink.internal.transport;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wssink.internal.PeerText;
import io.wssink.protocol.Acks;
import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;

import java.nio.charset.StandardCharsets;

/**
 * The wssink.v1 side of one connection, after Netty's WebSocket handshake: decides the mode from the negotiated
 * subprotocol, tells acks from application messages, puts a {@link Heartbeat} in front of itself, and reports each
 * connection's end once, with its cause.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private final Connection connection;
    private final TransportConfig config;

    ClientHandler(Connection connection, TransportConfig config) {
        this.connection = connection;
        this.config = config;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            String selected = ctx.pipeline().get(WebSocketClientProtocolHandler.class).handshaker().actualSubprotocol();
            connection.mode = WireFormat.SUBPROTOCOL.equals(selected) ? Mode.ACK : Mode.RAW;
            ctx.pipeline().addBefore(ctx.name(), "heartbeat", new Heartbeat(connection, config));
            // Netty's frame decoder answers a frame over maxMessageBytes with a close frame (1009) written from its
            // own place in the pipeline, which is before the frame encoder: unencoded, the frame never left, and
            // the channel's close then sent 1000 instead. This encoder, just before the decoder, sends it.
            if (ctx.pipeline().get("ws-decoder") != null) {
                ctx.pipeline().addBefore("ws-decoder", "ws-violation-encoder", new WebSocket13FrameEncoder(true));
            }
            connection.events().opened(connection);
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            connection.fail(new Failure(Failure.Kind.HANDSHAKE_TIMEOUT, "the WebSocket handshake timed out"));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame text) {
                onText(text.text());
            } else if (msg instanceof BinaryWebSocketFrame binary) {
                connection.events().message(connection, new InboundMessage(false, ByteBufUtil.getBytes(binary.content())));
            } else if (msg instanceof CloseWebSocketFrame close) {
                connection.fail(new Failure(Failure.Kind.CLOSED_BY_RECEIVER, close.statusCode(),
                        "the receiver closed the connection: " + close.statusCode()
                        + (close.reasonText().isEmpty() ? "" : " " + PeerText.sanitize(close.reasonText(), 123))));
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(f -> ctx.close());
            } else if (!(msg instanceof PongWebSocketFrame) && msg instanceof WebSocketFrame) {
                connection.fail(new Failure(Failure.Kind.UNEXPECTED_FRAME, "unexpected frame " + msg.getClass().getSimpleName()));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onText(String text) {
        if (connection.mode != Mode.ACK) {
            connection.events().message(connection, new InboundMessage(true, text.getBytes(StandardCharsets.UTF_8)));
            return;
        }
        Acks.Parsed parsed = Acks.parse(text);
        switch (parsed.kind()) {
            case ACK -> connection.events().ack(connection, parsed.id());
            case MALFORMED_ACK -> {
                connection.close(1002, "malformed ack", new Failure(Failure.Kind.PROTOCOL_ERROR, 1002,
                        "protocol error: " + PeerText.sanitize(parsed.problem(), 200)));
            }
            case NOT_AN_ACK -> connection.events().message(connection,
                    new InboundMessage(true, text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        connection.events().writabilityChanged(connection);
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException
                || cause instanceof CorruptedWebSocketFrameException c && c.closeStatus() != null
                && c.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
            connection.close(1009, "message too big", new Failure(Failure.Kind.MESSAGE_TOO_BIG, 1009,
                    "the receiver sent a message larger than maxMessageBytes"));
            return;
        }
        if (cause instanceof CorruptedFrameException) {
            connection.fail(new Failure(Failure.Kind.PROTOCOL_ERROR,
                    "the receiver sent a malformed frame: " + cause.getMessage()));
        } else {
            connection.fail(Failure.of(cause));
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (connection.closeStatus == -1) {
            connection.fail(new Failure(Failure.Kind.DROPPED, connection.mode == null
                    ? "the connection closed during the handshake" : "the connection dropped without a close frame"));
        }
        connection.reportEnded();
        super.channelInactive(ctx);
    }
}
