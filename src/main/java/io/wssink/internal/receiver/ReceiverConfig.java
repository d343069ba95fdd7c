package io.wssink.internal.receiver;

import io.netty.handler.ssl.SslContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/** Immutable settings of the {@link ReferenceReceiver}; build with {@link #builder(Path)}. */
public final class ReceiverConfig {
    /** How the receiver forces its output before an ack covers it. */
    public enum Fsync {
        /** Output, state and directory are forced before each ack (group commit): an ack survives a power cut. */
        ALWAYS,
        /** Written to the page cache only: an ack survives a crash of the receiver, not of the machine. */
        NEVER
    }

    private final String bind;
    private final int port;
    private final Path output;
    private final OutputFormat format;
    private final Fsync fsync;
    private final String token;
    private final Path tokenFile;
    private final Set<String> allowedOrigins;
    private final SslContext ssl;
    private final boolean speaksWssink;
    private final boolean compression;
    private final int maxFrameBytes;
    private final int maxMessageBytes;
    private final int maxStreams;
    private final int maxConnections;
    private final Duration forgetAfter;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final Duration ackInterval;
    private final int ackBytes;
    private final boolean ackOnReadComplete;
    private final Duration ackBurstSpacing;
    private final boolean ui;

    private ReceiverConfig(Builder b) {
        this.bind = b.bind;
        this.port = b.port;
        this.output = b.output; // null when the receiver is given another store (ReferenceReceiver.start)
        this.format = Objects.requireNonNull(b.format, "format");
        this.fsync = Objects.requireNonNull(b.fsync, "fsync");
        this.token = b.token;
        this.tokenFile = b.tokenFile;
        this.allowedOrigins = Set.copyOf(b.allowedOrigins);
        this.ssl = b.ssl;
        this.speaksWssink = b.speaksWssink;
        this.compression = b.compression;
        this.maxFrameBytes = b.maxFrameBytes;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxStreams = b.maxStreams;
        this.maxConnections = b.maxConnections;
        this.forgetAfter = Objects.requireNonNull(b.forgetAfter, "forgetAfter");
        this.handshakeTimeout = b.handshakeTimeout;
        this.idleTimeout = b.idleTimeout;
        this.ackInterval = b.ackInterval;
        this.ackBytes = b.ackBytes;
        this.ackOnReadComplete = b.ackOnReadComplete;
        this.ackBurstSpacing = b.ackBurstSpacing;
        this.ui = b.ui;
        if (token != null && token.isBlank()) {
            // an empty WSSINK_TOKEN would otherwise let "Authorization: Bearer " in
            throw new IllegalArgumentException("the token is empty: give a non-empty token, or none to accept anyone");
        }
        if (token != null && tokenFile != null) {
            throw new IllegalArgumentException("give a token or a token file, not both");
        }
        if (maxStreams < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("maxStreams and maxConnections must be at least 1");
        }
        if (maxFrameBytes < 1024 || maxMessageBytes < maxFrameBytes) {
            throw new IllegalArgumentException("need maxFrameBytes >= 1024 and maxMessageBytes >= maxFrameBytes");
        }
        if (forgetAfter.isNegative() || forgetAfter.isZero()) {
            throw new IllegalArgumentException("forgetAfter must be positive, not " + forgetAfter);
        }
    }

    /** {@code output} may be null for a receiver started with its own store (e.g. Kafka). */
    public static Builder builder(Path output) {
        return new Builder(output);
    }

    public String bind() { return bind; }
    public int port() { return port; }
    public Path output() { return output; }
    public OutputFormat format() { return format; }
    /** Whether the output holds length-prefixed records ({@link OutputFormat#BINARY}). */
    public boolean binary() { return format == OutputFormat.BINARY; }
    public Fsync fsync() { return fsync; }
    /** The bearer token clients must present, or null (see {@link #tokenFile()}). */
    public String token() { return token; }
    /** A file of tokens and the streams each may write (see {@link TokenFile}), re-read on change; or null. */
    public Path tokenFile() { return tokenFile; }
    /** Origins a browser's handshake may come from; a handshake with any other Origin header gets 403. */
    public Set<String> allowedOrigins() { return allowedOrigins; }
    public SslContext ssl() { return ssl; }
    /** False makes a plain WebSocket endpoint that selects no subprotocol: raw mode only. */
    public boolean speaksWssink() { return speaksWssink; }
    public boolean compression() { return compression; }
    public int maxFrameBytes() { return maxFrameBytes; }
    /** The largest message, after reassembly and after inflating permessage-deflate. */
    public int maxMessageBytes() { return maxMessageBytes; }
    public int maxStreams() { return maxStreams; }
    /** Open TCP connections beyond this get 503 to their handshake. */
    public int maxConnections() { return maxConnections; }
    /** A stream with no connection for this long is forgotten (its dedupe state too), making room for new ones. */
    public Duration forgetAfter() { return forgetAfter; }
    /** From the TCP accept to the end of the WebSocket handshake; bytes trickling in do not extend it. */
    public Duration handshakeTimeout() { return handshakeTimeout; }
    public Duration idleTimeout() { return idleTimeout; }
    public Duration ackInterval() { return ackInterval; }
    public int ackBytes() { return ackBytes; }
    /** Also commit and ack when a read burst ends (the socket has nothing more for now); on by default. */
    public boolean ackOnReadComplete() { return ackOnReadComplete; }
    /** The shortest time from one commit for an ack to a read burst's ack; 1 ms by default, 0: every burst. */
    public Duration ackBurstSpacing() { return ackBurstSpacing; }
    /** Serve the live console (page, JSON API, messages to streams) on the sinks' port: docs/CONSOLE.md. */
    public boolean ui() { return ui; }

    /**
     * The most memory one connection can hold at once: the HTTP request, one frame, and one reassembled (inflated)
     * message. Multiply by {@link #maxConnections()} for the receiver's bound.
     */
    public long maxBytesPerConnection() {
        return HTTP_REQUEST_BYTES + (long) maxFrameBytes + maxMessageBytes;
    }

    static final int HTTP_REQUEST_BYTES = 16 << 10;

    public static final class Builder {
        private String bind = "127.0.0.1";
        private int port;
        private final Path output;
        private OutputFormat format = OutputFormat.LINES;
        private Fsync fsync = Fsync.ALWAYS;
        private String token;
        private Path tokenFile;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private SslContext ssl;
        private boolean speaksWssink = true;
        private boolean compression = true;
        // the sink's events are at most 1 MiB by default (SpoolConfig.DEFAULT_MAX_EVENT_BYTES), 12 bytes of header
        private int maxFrameBytes = 2 << 20;
        private int maxMessageBytes = 2 << 20;
        private int maxStreams = 1024;
        private int maxConnections = 128; // x 4 MiB per connection: at most 512 MiB held by clients
        private Duration forgetAfter = Duration.ofDays(30);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration ackInterval = Duration.ofMillis(100);
        private int ackBytes = 1 << 20;
        private boolean ackOnReadComplete = true;
        private Duration ackBurstSpacing = Duration.ofMillis(1);
        private boolean ui;

        private Builder(Path output) {
            this.output = output;
        }

        public Builder bind(String v) { bind = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder format(OutputFormat v) { format = v; return this; }
        /** Shorthand for {@link OutputFormat#BINARY} (true) or {@link OutputFormat#LINES} (false). */
        public Builder binary(boolean v) { format = v ? OutputFormat.BINARY : OutputFormat.LINES; return this; }
        public Builder fsync(Fsync v) { fsync = v; return this; }
        public Builder token(String v) { token = v; return this; }
        public Builder tokenFile(Path v) { tokenFile = v; return this; }
        public Builder allowOrigin(String v) { allowedOrigins.add(v); return this; }
        public Builder ssl(SslContext v) { ssl = v; return this; }
        public Builder speaksWssink(boolean v) { speaksWssink = v; return this; }
        public Builder compression(boolean v) { compression = v; return this; }
        public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder maxStreams(int v) { maxStreams = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder forgetAfter(Duration v) { forgetAfter = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder ackInterval(Duration v) { ackInterval = v; return this; }
        public Builder ackBytes(int v) { ackBytes = v; return this; }
        /** False: ack only every {@link #ackInterval} or {@link #ackBytes} (the behaviour before 2026-11-26). */
        public Builder ackOnReadComplete(boolean v) { ackOnReadComplete = v; return this; }
        /** Read-burst acks at least this far apart (from the last commit for an ack); zero: at every burst. */
        public Builder ackBurstSpacing(Duration v) {
            if (v.isNegative()) {
                throw new IllegalArgumentException("ackBurstSpacing must not be negative: " + v);
            }
            ackBurstSpacing = v;
            return this;
        }
        public Builder ui(boolean v) { ui = v; return this; }

        public ReceiverConfig build() {
            return new ReceiverConfig(this);
        }
    }
}
