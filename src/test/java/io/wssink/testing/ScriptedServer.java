package io.wssink.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.WireFormat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A misbehaving peer for tests: answers every HTTP request with a fixed status, or completes the wssink.v1
 * handshake and then runs a script on each data frame (to send bad acks, oversized messages, garbage).
 */
public final class ScriptedServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final List<Long> closeStatuses = new CopyOnWriteArrayList<>();
    private final List<String> texts = new CopyOnWriteArrayList<>();

    /** Answers every request with {@code status}. */
    public static ScriptedServer httpStatus(int status) {
        return new ScriptedServer(status, null, null, false);
    }

    /**
     * Completes the handshake (selecting wssink.v1) and calls {@code onRecords} with the channel and the ids of each
     * data frame received; {@code onOpen} runs after the handshake.
     */
    public static ScriptedServer wssink(Consumer<Channel> onOpen, BiConsumer<Channel, List<Long>> onRecords) {
        return new ScriptedServer(0, onOpen, onRecords, false);
    }

    /** As {@link #wssink}, and answers the sink's offer of gap notices ({@link WireFormat#GAP_NOTICES_HEADER}). */
    public static ScriptedServer wssinkTakingGapNotices(Consumer<Channel> onOpen,
                                                        BiConsumer<Channel, List<Long>> onRecords) {
        return new ScriptedServer(0, onOpen, onRecords, true);
    }

    private ScriptedServer(int status, Consumer<Channel> onOpen, BiConsumer<Channel, List<Long>> onRecords,
                           boolean takesGapNotices) {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 10));
                        if (status != 0) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ReferenceCountUtil.release(msg);
                                    DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                            HttpResponseStatus.valueOf(status));
                                    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                                    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                                }
                            });
                            return;
                        }
                        if (takesGapNotices) {
                            ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                                @Override
                                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
                                        throws Exception {
                                    if (msg instanceof HttpResponse r) {
                                        r.headers().set(WireFormat.GAP_NOTICES_HEADER, "1");
                                    }
                                    super.write(ctx, msg, promise);
                                }
                            });
                        }
                        ch.pipeline().addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig
                                .newBuilder().websocketPath("/").checkStartsWith(true)
                                .subprotocols(WireFormat.SUBPROTOCOL).handleCloseFrames(false).build()));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                                    onOpen.accept(ctx.channel());
                                }
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                try {
                                    if (msg instanceof BinaryWebSocketFrame frame) {
                                        List<Long> ids = new ArrayList<>();
                                        WireFormat.readRecords(frame.content(), (id, p) -> ids.add(id));
                                        onRecords.accept(ctx.channel(), ids);
                                    } else if (msg instanceof TextWebSocketFrame t) {
                                        texts.add(t.text());
                                    } else if (msg instanceof CloseWebSocketFrame c) {
                                        closeStatuses.add((long) c.statusCode());
                                        ctx.close();
                                    }
                                } finally {
                                    ReferenceCountUtil.release(msg);
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    public String url() {
        return "ws://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/";
    }

    /** Close statuses the sink sent. */
    public List<Long> closeStatuses() {
        return closeStatuses;
    }

    /** Text frames the sink sent (in ack mode: gap notices, if this server takes them). */
    public List<String> texts() {
        return texts;
    }

    /** The port it listens on. */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Raw bytes that are no WebSocket frame. */
    public static ByteBuf garbage() {
        return Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, 0x7f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
