package io.wssink.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP CONNECT proxy on 127.0.0.1 for the tests: answers CONNECT host:port with 200 and relays bytes both
 * ways; with credentials, answers 407 to a request without the right Proxy-Authorization. {@link #die()} hangs up
 * every tunnel at once, mid-stream. All state is on its event loop but the counters and the open-channel group.
 */
public final class ConnectProxy implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel server;
    private final String expectedAuthorization;
    /** CONNECT requests answered 200, and those refused. */
    public final AtomicInteger tunnels = new AtomicInteger();
    public final AtomicInteger refused = new AtomicInteger();
    /** The last CONNECT target, e.g. "127.0.0.1:8080". */
    public volatile String lastTarget;

    /** A proxy that requires {@code user}:{@code password} (basic), or none when user is null. */
    public ConnectProxy(String user, String password) {
        this.expectedAuthorization = user == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        open.add(client);
                        client.pipeline().addLast("codec", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(8192))
                                .addLast("connect", new ConnectHandler());
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** http://[user:password@]127.0.0.1:port */
    public URI url(String userInfo) {
        return URI.create("http://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port());
    }

    /** Hangs up every open tunnel, both sides, at once (with RST): the proxy as a dying process leaves them. */
    public void die() {
        for (Channel c : open) {
            if (c.isActive()) {
                c.config().setOption(ChannelOption.SO_LINGER, 0);
            }
        }
        open.close().syncUninterruptibly();
    }

    private final class ConnectHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            FullHttpRequest request = (FullHttpRequest) msg;
            try {
                if (request.method() != HttpMethod.CONNECT) {
                    answer(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, true);
                    return;
                }
                if (expectedAuthorization != null
                        && !expectedAuthorization.equals(request.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION))) {
                    refused.incrementAndGet();
                    DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED);
                    res.headers().set(HttpHeaderNames.PROXY_AUTHENTICATE, "Basic realm=\"test\"")
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                String target = request.uri();
                lastTarget = target;
                int colon = target.lastIndexOf(':');
                String host = target.substring(0, colon);
                int port = Integer.parseInt(target.substring(colon + 1));
                Channel client = ctx.channel();
                client.config().setAutoRead(false);
                new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                        .handler(new Relay(client))
                        .connect(host, port).addListener((ChannelFutureListener) f -> {
                            if (!f.isSuccess()) {
                                answer(ctx, HttpResponseStatus.BAD_GATEWAY, true);
                                return;
                            }
                            Channel upstream = f.channel();
                            open.add(upstream);
                            tunnels.incrementAndGet();
                            DefaultFullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                            ctx.writeAndFlush(ok).addListener((ChannelFutureListener) w -> {
                                ctx.pipeline().remove("aggregator");
                                ctx.pipeline().remove("codec");
                                ctx.pipeline().replace("connect", "relay", new Relay(upstream));
                                client.config().setAutoRead(true);
                            });
                        });
            } finally {
                ReferenceCountUtil.release(request);
            }
        }

        private void answer(ChannelHandlerContext ctx, HttpResponseStatus status, boolean close) {
            DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            ctx.writeAndFlush(res).addListener(close ? ChannelFutureListener.CLOSE : ChannelFutureListener.CLOSE_ON_FAILURE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Copies what one side reads to the other; closes the other when one side ends. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Relay(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (other.isActive()) {
                other.writeAndFlush(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        open.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
