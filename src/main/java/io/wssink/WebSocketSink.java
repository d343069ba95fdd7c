package io.wssink;

import io.netty.channel.EventLoopGroup;
import io.wssink.internal.forward.Forwarder;
import io.wssink.internal.forward.ForwarderStatus;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.transport.ProxySettings;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;
import io.wssink.spool.Durability;
import io.wssink.spool.EventIds;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A sink that never loses an event: {@code write} appends to an on-disk spool and returns the event's id; a
 * forwarder delivers the spool to a WebSocket endpoint, over reconnects, endpoint outages and restarts of this
 * process. See README.md for the guarantees and docs/PROTOCOL.md for the wire contract.
 *
 * <pre>{@code
 * try (WebSocketSink sink = WebSocketSink.builder()
 *         .url("ws://127.0.0.1:8080/events")
 *         .spool(Path.of("/var/lib/myapp/wssink"))
 *         .build()) {
 *     long id = sink.write("{\"step\":1}");
 *     sink.acked(id).get(10, TimeUnit.SECONDS); // only if the caller needs to know it arrived
 * }
 * }</pre>
 */
public final class WebSocketSink implements Sink {

    private final Spool spool;
    private final Forwarder forwarder;
    private final Duration drainTimeout;
    private volatile MessageListener listener;
    private volatile boolean closed;

    private WebSocketSink(Builder b) {
        TransportConfig transport = b.transport.build();
        SpoolConfig spoolConfig = b.spool.build(); // throws for a missing spool directory
        this.drainTimeout = b.drainTimeout;
        this.listener = b.listener;
        this.spool = Spool.open(spoolConfig);
        try {
            this.forwarder = new Forwarder(spool, transport, this::deliver, b.eventLoopGroup);
        } catch (RuntimeException e) {
            spool.close();
            throw e;
        }
        forwarder.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Appends a text event to the spool and returns its id; never waits for the network.
     *
     * @return the id, or {@link EventIds#DROPPED} when the spool is full and the policy is DROP_NEWEST
     * @throws io.wssink.spool.SpoolFullException when the spool is full and the policy says so
     * @throws IllegalArgumentException           when the event is larger than maxEventBytes
     */
    @Override
    public long write(CharSequence text) {
        long id = spool.append(text);
        forwarder.wake();
        return id;
    }

    @Override
    public long write(byte[] bytes) {
        long id = spool.append(bytes, 0, bytes.length);
        forwarder.wake();
        return id;
    }

    @Override
    public long write(ByteBuffer bytes) {
        long id = spool.append(bytes);
        forwarder.wake();
        return id;
    }

    /**
     * Completes once the receiver acknowledged {@code id} (in raw mode: once it was written to the socket). Fails if
     * the sink closes first; the event stays in the spool. Dependent actions that are not {@code *Async} run on a
     * forwarder thread that all sinks of the process share: keep them short, or pass an executor.
     */
    public CompletableFuture<Void> acked(long id) {
        return forwarder.acked(id);
    }

    /** Sets who receives the receiver's application messages; they arrive in order on a thread of the sink's own. */
    public void onMessage(MessageListener listener) {
        this.listener = listener;
    }

    /** On the forwarder's message thread: one message at a time, in order. */
    private void deliver(InboundMessage message) {
        MessageListener l = listener;
        if (l != null) {
            l.onMessage(message);
        }
    }

    public SinkStatus status() {
        ForwarderStatus s = forwarder.status();
        return new SinkStatus(s.state(), s.mode(), s.rawFallback(), s.url(), s.connections(), s.failedAttempts(),
                s.protocolErrors(), s.lastError(), spool.stats());
    }

    /**
     * As {@link #status()}, but never takes a lock that {@code write} takes, for figures read often (a metrics
     * scrape): the spool's byte counts may be off by up to 63 writes for an instant, and {@code diskBytes} is the one
     * {@link #status()} last measured (0 before). Allocates a little (it reads the spool's index), so not for a hot
     * loop either.
     *
     * @throws IllegalStateException once the sink is closed
     */
    public SinkStatus quickStatus() {
        ForwarderStatus s = forwarder.status();
        return new SinkStatus(s.state(), s.mode(), s.rawFallback(), s.url(), s.connections(), s.failedAttempts(),
                s.protocolErrors(), s.lastError(), spool.statsWithoutLock());
    }

    /**
     * Adds a listener that hears of each event sent from now on once its ack arrives (see {@link AckListener}).
     * Listeners cannot be removed; they live as long as the sink.
     */
    public void addAckListener(AckListener listener) {
        Objects.requireNonNull(listener, "listener");
        forwarder.addAckObserver(listener::acked);
    }

    /**
     * Events whose acknowledgement moved the spool's cursor since this sink was built (in raw mode: written to the
     * socket), including those a receiver's resume ack covered after a reconnect; readable after close. Reads one
     * volatile field: cheap enough for any scrape.
     */
    public long ackedEvents() {
        return forwarder.ackedEvents();
    }

    /**
     * Whether the sink still forwards: false once closed, or if its forwarder thread ended on an error it could not
     * recover from (logged; the spool keeps every event for the next start).
     */
    public boolean isForwarding() {
        return !closed && forwarder.isAlive();
    }

    /** The stream id: a UUID that names this spool to receivers. */
    public String streamId() {
        return spool.streamId();
    }

    /**
     * Stops forwarding: waits up to the drain timeout for acks of what is in flight, closes the connection with
     * 1000 and closes the spool. Whatever was not acknowledged is delivered by the next sink on the same spool.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        forwarder.close(drainTimeout.toMillis());
        spool.close();
    }

    /** Settings of a {@link WebSocketSink}; every time is a {@link Duration}. */
    public static final class Builder {
        /** Both set up and read by the thread that builds. */
        private final TransportConfig.Builder transport = TransportConfig.builder();
        private final SpoolConfig.Builder spool = SpoolConfig.builder();
        private Duration drainTimeout = Duration.ofSeconds(5);
        private MessageListener listener;
        private EventLoopGroup eventLoopGroup;

        private Builder() {
        }

        /** An endpoint, ws:// or wss://; several are tried in order, moving on after a failure. */
        public Builder url(String url) { transport.url(url); return this; }
        public Builder url(URI url) { transport.url(url); return this; }
        /** The spool directory: created on first use (0700); one forwarding sink per directory at a time. */
        public Builder spool(Path directory) { spool.directory(directory); return this; }
        public Builder mode(Mode mode) { transport.mode(mode); return this; }
        /** An extra handshake header, e.g. Authorization; its value is never logged. */
        public Builder header(String name, String value) { transport.header(name, value); return this; }
        /**
         * A header whose value is asked for at every connection attempt, for credentials that rotate (see
         * {@link io.wssink.HeaderFile} for one kept in a file); never logged.
         */
        public Builder header(String name, Supplier<String> value) { transport.header(name, value); return this; }
        /** A PEM file of CA certificates to trust for wss:// (the JDK's trust store otherwise). */
        public Builder trustCertificates(Path pem) { transport.trustCertificates(pem); return this; }
        /**
         * Mutual TLS: the PEM certificate (chain) to present for wss://, and its unencrypted PKCS#8 PEM key
         * ({@code BEGIN PRIVATE KEY}).
         */
        public Builder clientCertificate(Path certPem, Path keyPem) { transport.clientCertificate(certPem, keyPem); return this; }
        /**
         * Connect through an HTTP CONNECT proxy, {@code http://[user:password@]host[:port]}; the user info (basic
         * auth) is never logged.
         */
        public Builder proxy(URI proxy) { transport.proxy(proxy); return this; }
        /**
         * As {@link #proxy(URI)}, from text as an operator writes it ({@code http://[user:password@]host[:port]} or
         * {@code host:port}); a text that is no URL is refused with a message that does not hold it (it may hold a
         * password), where {@link URI#create}'s would.
         */
        public Builder proxy(String proxy) { return proxy(ProxySettings.parse(proxy, "the proxy URL")); }
        /** Hosts reached directly despite the proxy, in NO_PROXY's syntax. */
        public Builder noProxy(String hosts) { transport.noProxy(hosts); return this; }
        /** Take the proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY; off by default (the library reads no environment). */
        public Builder proxyFromEnvironment(boolean on) { transport.proxyFromEnvironment(on); return this; }
        /** Trust any certificate and skip hostname verification. Warned about at every start. */
        public Builder insecure(boolean insecure) { transport.insecure(insecure); return this; }
        public Builder connectTimeout(Duration d) { transport.connectTimeout(d); return this; }
        public Builder handshakeTimeout(Duration d) { transport.handshakeTimeout(d); return this; }
        /** Capped exponential backoff with full jitter between failed attempts. */
        public Builder backoff(Duration initial, Duration max) { transport.backoff(initial, max); return this; }
        /** How long a connection must stay up before the backoff starts from the beginning again. */
        public Builder backoffResetAfter(Duration d) { transport.backoffResetAfter(d); return this; }
        public Builder ping(Duration interval, Duration timeout) { transport.ping(interval, timeout); return this; }
        public Builder maxFrameBytes(int n) { transport.maxFrameBytes(n); return this; }
        public Builder maxInFlightBytes(long n) { transport.maxInFlightBytes(n); return this; }
        /** The largest application message accepted from the receiver (larger closes with 1009). */
        public Builder maxMessageBytes(int n) { transport.maxMessageBytes(n); return this; }
        public Builder compression(boolean on) { transport.compression(on); return this; }
        public Builder failbackAfter(Duration d) { transport.failbackAfter(d); return this; }
        public Builder drainTimeout(Duration d) { drainTimeout = Objects.requireNonNull(d); return this; }
        public Builder onMessage(MessageListener l) { listener = l; return this; }
        /**
         * The Netty event loop group to connect on, e.g. the program's own; the sink never shuts it down. By default
         * every sink of the process shares one group of daemon threads (one per core, at most 4), created with the
         * first sink and never shut down; the forwarders' turns likewise run on a few shared threads, so a sink
         * costs no thread of its own.
         */
        public Builder eventLoopGroup(EventLoopGroup group) { eventLoopGroup = Objects.requireNonNull(group); return this; }
        public Builder durability(Durability d) { spool.durability(d); return this; }
        public Builder maxSpoolBytes(long n) { spool.maxSpoolBytes(n); return this; }
        /**
         * Free space the spool leaves on its file system: below it the spool counts as full (4 blocks, 64 MiB, by
         * default). Chronicle maps its files, and a write into a mapped block the disk cannot back kills the JVM
         * with SIGBUS; raise it where other writers share the disk (docs/SPOOL.md, "Bounded size and full disks").
         * At least one block ({@link #blockSize}).
         */
        public Builder minFreeDiskBytes(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("minFreeDiskBytes must be at least one block, not " + n);
            }
            spool.minFreeDiskBytes(n); // at least blockSize: checked once both are known, at build()
            return this;
        }
        public Builder fullPolicy(FullPolicy p) { spool.fullPolicy(p); return this; }
        public Builder blockTimeout(Duration d) { spool.blockTimeout(d); return this; }
        public Builder maxEventBytes(int n) { spool.maxEventBytes(n); return this; }
        public Builder rollPeriod(RollPeriod p) { spool.rollPeriod(p); return this; }
        /** Skip, never send, events older than this when the forwarder reaches them (off by default); see
         * docs/SPOOL.md. Waiting for the ack of a skipped one fails with ExpiredEventException. */
        public Builder maxEventAge(Duration d) { spool.maxEventAge(d); return this; }
        /** Chronicle's block: spool files grow by this much (16 MiB; at least 1 MiB, a power of two). */
        public Builder blockSize(long n) { spool.blockSize(n); return this; }

        /**
         * Opens the spool and starts forwarding.
         *
         * @throws IllegalArgumentException          for a missing or invalid setting
         * @throws io.wssink.spool.SpoolException    when the spool cannot be opened or is held by another sink
         */
        public WebSocketSink build() {
            return new WebSocketSink(this);
        }
    }
}
