package io.wssink.receiver;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.wssink.protocol.WireFormat;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The receiving side of wssink.v1 and of raw mode, on Netty: used by {@code wssink serve}, by the tests and by the
 * demo. Each payload goes to one output file; see {@link ReceiverStore} for what makes it exactly-once.
 */
public final class ReferenceReceiver implements AutoCloseable {
    private final ReceiverConfig config;
    private final ReceiverStore store;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final LongAdder connections = new LongAdder();
    private final LongAdder raw = new LongAdder();
    private final Channel server;

    private ReferenceReceiver(ReceiverConfig config) throws IOException {
        this.config = config;
        this.store = new ReceiverStore(config.output(), config.binary());
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.ssl() != null) {
                            p.addLast(config.ssl().newHandler(ch.alloc()));
                        }
                        p.addLast(new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
                        p.addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 10));
                        if (config.token() != null) {
                            p.addLast(new BearerAuth(config.token()));
                        }
                        if (config.compression()) {
                            p.addLast(new WebSocketServerCompressionHandler(config.maxMessageBytes()));
                        }
                        p.addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath("/")
                                .checkStartsWith(true)
                                .subprotocols(config.speaksWssink() ? WireFormat.SUBPROTOCOL : null)
                                .allowExtensions(config.compression())
                                .maxFramePayloadLength(config.maxFrameBytes())
                                .handshakeTimeoutMillis(config.handshakeTimeout().toMillis())
                                .handleCloseFrames(false)
                                .build()));
                        p.addLast(new WebSocketFrameAggregator(config.maxMessageBytes()));
                        p.addLast(new ReceiverHandler(ReferenceReceiver.this, store, config));
                    }
                });
        try {
            this.server = b.bind(config.bind(), config.port()).syncUninterruptibly().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            store.close();
            if (e instanceof BindException) {
                throw new IOException("cannot listen on " + config.bind() + ":" + config.port() + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Starts listening.
     *
     * @throws IOException when the port is in use or the output cannot be opened
     */
    public static ReferenceReceiver start(ReceiverConfig config) throws IOException {
        return new ReferenceReceiver(config);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The URL sinks connect to. */
    public String url() {
        return (config.ssl() != null ? "wss" : "ws") + "://" + config.bind() + ":" + port() + "/";
    }

    void connected(Channel ch) {
        connections.increment();
        clients.add(ch);
    }

    void rawReceived() {
        raw.increment();
    }

    /** Sends an application message to every connected sink. */
    public void sendToAll(String text) {
        clients.writeAndFlush(new TextWebSocketFrame(text));
    }

    /** Sends a binary application message to every connected sink. */
    public void sendToAll(byte[] data) {
        clients.writeAndFlush(new BinaryWebSocketFrame(io.netty.buffer.Unpooled.wrappedBuffer(data)));
    }

    /** Closes every client connection abruptly (no close frame): for tests of reconnects. */
    public void dropConnections() {
        clients.close();
    }

    public ReceiverStore store() {
        return store;
    }

    public long connections() {
        return connections.sum();
    }

    @Override
    public void close() throws IOException {
        server.close().syncUninterruptibly();
        clients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        store.close();
    }
}
