package io.wssink.internal.receiver;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.wssink.internal.receiver.console.Console;
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The receiving side of wssink.v1 and of raw mode, on Netty: used by {@code wssink serve}, by the tests and by the
 * demo. Each payload goes to one output file; see {@link FileReceiverStore} for what makes it exactly-once and
 * durable, {@link HandshakeGate} for who may connect, {@link ReceiverHandler} for one connection.
 */
public final class ReferenceReceiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReferenceReceiver.class);
    private final ReceiverConfig config;
    private final ReceiverStore store;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final LongAdder connections = new LongAdder();
    private final LongAdder raw = new LongAdder();
    private final LongAdder replaced = new LongAdder();
    private final LongAdder refusedConnections = new LongAdder();
    private final LongAdder gapNotices = new LongAdder();
    /** Open TCP connections, handshaken or not. */
    private final AtomicInteger open = new AtomicInteger();
    private final TokenFile tokens;
    /** The live console (--ui), or null. */
    private final Console console;
    private final Channel server;
    private final ReceiverMeters meters = new ReceiverMeters();

    private ReferenceReceiver(ReceiverConfig config, FileOpener files, ReceiverStore given) throws IOException {
        this.config = config;
        this.tokens = config.tokenFile() != null ? TokenFile.read(config.tokenFile())
                : config.token() != null ? TokenFile.single(config.token()) : null;
        this.store = given != null ? given : FileReceiverStore.open(config, files);
        store.meters(meters);
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.console = !config.ui() ? null : new Console(tokens == null ? null : authorization -> {
            TokenFile.Grant grant = tokens.check(authorization);
            return grant == null ? null : grant::allows;
        }, config.allowedOrigins(), config.maxStreams());
        ReceiverHandler.Connections events = new ReceiverHandler.Connections() {
            @Override
            public void connected(Channel channel) {
                connections.increment();
                clients.add(channel);
            }

            @Override
            public void replaced() {
                replaced.increment();
            }

            @Override
            public void rawReceived() {
                raw.increment();
            }

            @Override
            public void gapNotice(String stream, GapNotice notice) {
                gapNotices.increment();
                log.warn("stream {}: its sink skipped, on purpose, the events it had not delivered after id {} and"
                                + " before id {} (older than its maxEventAge, damaged on its disk, or dropped when its"
                                + " spool was full): they will never arrive", stream,
                        Long.toUnsignedString(notice.after()), Long.toUnsignedString(notice.before()));
            }

            @Override
            public void streamConnected(String stream, Channel channel, long highest) {
                if (console != null) {
                    console.connected(stream, channel, highest);
                }
            }

            @Override
            public void accepted(String stream, ByteBuf frame) {
                if (console != null) {
                    console.accepted(stream, frame);
                }
            }

            @Override
            public void streamClosed(String stream, Channel channel) {
                if (console != null) {
                    console.disconnected(stream, channel);
                }
            }
        };
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.ssl() != null) {
                            p.addLast(config.ssl().newHandler(ch.alloc()));
                        }
                        p.addLast(new HttpServerCodec(4096, 8192, 8192),
                                new HttpObjectAggregator(ReceiverConfig.HTTP_REQUEST_BYTES));
                        if (open.incrementAndGet() > config.maxConnections()) {
                            ch.closeFuture().addListener(f -> open.decrementAndGet());
                            refusedConnections.increment();
                            p.addLast(new ReadTimeoutHandler(config.handshakeTimeout().toMillis(),
                                    TimeUnit.MILLISECONDS), new Overloaded(config.maxConnections()));
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        p.addLast(new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
                        if (console != null) {
                            p.addLast(console.newHttpHandler());
                        }
                        p.addLast(new HandshakeGate(tokens, config.allowedOrigins(), config.speaksWssink(),
                                store.refusesRaw()));
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
                        p.addLast(new ReceiverHandler(store, config, events, meters));
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

    /** Answers 503 to the request of a connection past --max-connections. */
    private static final class Overloaded extends ChannelInboundHandlerAdapter {
        private final int max;

        Overloaded(int max) {
            this.max = max;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (msg instanceof FullHttpRequest) {
                HandshakeGate.refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the receiver holds its maximum of "
                        + max + " connections; retry later");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the read timeout, or a broken request
        }
    }

    /**
     * Starts listening.
     *
     * @throws IOException when the port is in use or the output cannot be opened
     */
    public static ReferenceReceiver start(ReceiverConfig config) throws IOException {
        return new ReferenceReceiver(config, FileOpener.REAL, null);
    }

    /**
     * Starts listening, writing to {@code store} (e.g. a {@link KafkaReceiverStore}) instead of the config's output
     * file; the receiver closes the store when it closes, or when it cannot start.
     */
    public static ReferenceReceiver start(ReceiverConfig config, ReceiverStore store) throws IOException {
        try {
            return new ReferenceReceiver(config, FileOpener.REAL, store);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Starts with the store's files opened through {@code files}: for tests that make writes fail. */
    static ReferenceReceiver start(ReceiverConfig config, FileOpener files) throws IOException {
        return new ReferenceReceiver(config, files, null);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The URL sinks connect to. */
    public String url() {
        return (config.ssl() != null ? "wss" : "ws") + "://" + config.bind() + ":" + port() + "/";
    }

    /** Sends an application message to every connected sink. */
    public void sendToAll(String text) {
        clients.writeAndFlush(new TextWebSocketFrame(text));
    }

    /** Sends a binary application message to every connected sink. */
    public void sendToAll(byte[] data) {
        clients.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(data)));
    }

    /** Closes every client connection abruptly (no close frame): for tests of reconnects. */
    public void dropConnections() {
        clients.close();
    }

    /** The live console, or null without {@link ReceiverConfig#ui()}. */
    public Console console() {
        return console;
    }

    /** The console's page, or null without {@link ReceiverConfig#ui()}. */
    public String consoleUrl() {
        return console == null ? null : (config.ssl() != null ? "https" : "http") + "://" + hostForUrl() + ":" + port() + "/";
    }

    private String hostForUrl() {
        String b = config.bind();
        return b.contains(":") && !b.startsWith("[") ? "[" + b + "]" : b;
    }

    public ReceiverStore store() {
        return store;
    }

    /** Listening, and its output takes writes (it was not closed, nor broken by a write it could not roll back). */
    public boolean isHealthy() {
        return server.isActive() && !(store instanceof FileReceiverStore f && f.isDead());
    }

    /** What operators watch: streams, records, bytes, duplicates, acks, fsync times. */
    public ReceiverMeters meters() {
        return meters;
    }

    /** Handshakes completed. */
    public long connections() {
        return connections.sum();
    }

    /** Connections that replaced an older connection of their stream. */
    public long replacedConnections() {
        return replaced.sum();
    }

    /** Gap notices taken: each says a sink skipped events on purpose (docs/PROTOCOL.md, "Gap notices"). */
    public long gapNotices() {
        return gapNotices.sum();
    }

    /** Connections refused for being past --max-connections. */
    public long refusedConnections() {
        return refusedConnections.sum();
    }

    /** TCP connections open now, handshaken or not. */
    public int openConnections() {
        return open.get();
    }

    @Override
    public void close() throws IOException {
        server.close().syncUninterruptibly();
        clients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        store.close();
    }
}
