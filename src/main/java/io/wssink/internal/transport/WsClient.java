package io.wssink.internal.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketClientCompressionHandler;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.resolver.NoopAddressResolverGroup;
import io.wssink.protocol.WireFormat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The Netty WebSocket client: on an event loop group it does not own (the process-wide {@link SharedEventLoop}, or
 * the program's own), TLS with hostname verification, the wssink.v1 subprotocol offer and the {@code Wssink-Stream}
 * header. {@link #connect} starts one attempt; its outcome and the connection's whole life arrive through
 * {@link ConnectionEvents}. {@link #close} closes its own channels and never shuts the group down.
 */
public final class WsClient implements AutoCloseable {
    private final TransportConfig config;
    private final String streamId;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;
    private final SslContext ssl;
    /** This client's channels not yet closed: added by connect(), removed by their close futures (event loop). */
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

    /** A client on the process-wide {@link SharedEventLoop}. */
    public WsClient(TransportConfig config, String streamId) {
        this(config, streamId, null);
    }

    /**
     * @param group the event loop group to run on, never shut down by this client; null for the shared one
     */
    public WsClient(TransportConfig config, String streamId, EventLoopGroup group) {
        this.config = config;
        this.streamId = streamId;
        this.group = group != null ? group : SharedEventLoop.group();
        this.channelType = SharedEventLoop.channelType(this.group);
        this.ssl = config.urls().stream().anyMatch(u -> u.getScheme().equalsIgnoreCase("wss")) ? sslContext(config) : null;
    }

    private static SslContext sslContext(TransportConfig config) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (config.clientCertificate() != null) {
                b.keyManager(config.clientCertificate().toFile(), config.clientKey().toFile());
            }
            if (config.insecure()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                if (config.trustCertificates() != null) {
                    b.trustManager(config.trustCertificates().toFile());
                }
                b.endpointIdentificationAlgorithm("HTTPS");
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS"
                    + (config.trustCertificates() == null ? "" : " with trust file " + config.trustCertificates())
                    + (config.clientCertificate() == null ? "" : " with client certificate " + config.clientCertificate()
                    + " and key " + config.clientKey() + " (PEM; the key unencrypted PKCS#8, 'BEGIN PRIVATE KEY')")
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts an attempt to connect to {@code url}. With {@code offerSubprotocol}, the handshake offers wssink.v1.
     *
     * @return the connection, whose events report the outcome
     */
    public Connection connect(URI url, boolean offerSubprotocol, ConnectionEvents events) {
        Connection connection = new Connection(offerSubprotocol, events, config.maxFrameBytes());
        boolean tls = url.getScheme().equalsIgnoreCase("wss");
        String host = url.getHost();
        int port = url.getPort() != -1 ? url.getPort() : tls ? 443 : 80;
        HttpHeaders headers = new DefaultHttpHeaders();
        Failure noHeader = resolveHeaders(headers);
        if (noHeader != null) {
            // reported from the event loop, as every other outcome of an attempt is
            group.next().execute(() -> {
                connection.fail(noHeader);
                connection.reportEnded();
            });
            return connection;
        }
        headers.set(WireFormat.STREAM_HEADER, streamId); // last: a user header never names another stream
        if (offerSubprotocol) {
            headers.set(WireFormat.GAP_NOTICES_HEADER, "1");
        }
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(url)
                .subprotocol(offerSubprotocol ? WireFormat.SUBPROTOCOL : null)
                .customHeaders(headers)
                .allowExtensions(config.compression())
                .maxFramePayloadLength(config.maxMessageBytes())
                .handshakeTimeoutMillis(config.handshakeTimeout().toMillis())
                .handleCloseFrames(false)
                .sendCloseFrame(null) // close frames are sent explicitly, with their real status (Connection.close)
                .generateOriginHeader(false) // not a browser: receivers refuse handshakes that carry an Origin
                .dropPongFrames(false)
                .build();
        URI proxy = config.proxy().proxyFor(url);
        Bootstrap b = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.maxFrameBytes(), 2 * config.maxFrameBytes() + (1 << 16)))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // before any event of this channel can fire: a loopback handshake can fail and close the
                        // channel before connect() has even returned to the forwarder thread
                        connection.channel = ch;
                        ChannelPipeline p = ch.pipeline();
                        if (proxy != null) {
                            p.addLast("proxy", proxyHandler(proxy));
                        }
                        if (tls) {
                            p.addLast("tls", ssl.newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(64 << 10));
                        if (offerSubprotocol) {
                            p.addLast(new GapNoticeAnswer(connection));
                        }
                        if (config.compression()) {
                            p.addLast(new WebSocketClientCompressionHandler(config.maxMessageBytes()));
                        }
                        p.addLast("ws", new WebSocketClientProtocolHandler(ws));
                        p.addLast(new WebSocketFrameAggregator(config.maxMessageBytes()));
                        p.addLast("wssink", new ClientHandler(connection, config));
                    }
                });
        ChannelFuture f;
        if (proxy == null) {
            f = b.connect(host, port);
        } else {
            // the proxy resolves the endpoint's name: it may be one only the proxy's side of the network knows
            f = b.resolver(NoopAddressResolverGroup.INSTANCE).connect(InetSocketAddress.createUnresolved(host, port));
        }
        connection.channel = f.channel(); // also set by initChannel, first; the same channel
        channels.add(f.channel());
        f.channel().closeFuture().addListener(closed -> channels.remove(f.channel()));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                connection.fail(Failure.of(done.cause()));
                connection.reportEnded();
            }
        });
        return connection;
    }

    private ProxyHandler proxyHandler(URI proxy) {
        InetSocketAddress address = new InetSocketAddress(proxy.getHost(), ProxySettings.port(proxy));
        String[] credentials = ProxySettings.credentials(proxy);
        HttpProxyHandler h = credentials == null ? new HttpProxyHandler(address)
                : new HttpProxyHandler(address, credentials[0], credentials[1]);
        h.setConnectTimeoutMillis(config.connectTimeout().toMillis());
        return h;
    }

    /**
     * Asks each header's supplier for its value, now: a token file rewritten since the last attempt is read again.
     *
     * @return null, or why the attempt cannot be made (naming the header, never its value)
     */
    private Failure resolveHeaders(HttpHeaders headers) {
        for (Map.Entry<String, Supplier<String>> h : config.headers().entrySet()) {
            String value;
            try {
                value = h.getValue().get();
                TransportConfig.checkHeaderValue(h.getKey(), value);
            } catch (RuntimeException e) {
                return new Failure(Failure.Kind.CREDENTIALS, "cannot get the value of header " + h.getKey() + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                        + "; fix it, the next attempt asks again");
            }
            headers.set(h.getKey(), value);
        }
        return null;
    }

    /**
     * Closes this client's channels still open (the forwarder closed its connection with a status before, when it
     * could) and waits up to 2 seconds for each; the group is not this client's to shut down.
     */
    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
