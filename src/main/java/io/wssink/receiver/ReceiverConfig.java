package io.wssink.receiver;

import io.netty.handler.ssl.SslContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** Immutable settings of the {@link ReferenceReceiver}; build with {@link #builder(Path)}. */
public final class ReceiverConfig {
    private final String bind;
    private final int port;
    private final Path output;
    private final boolean binary;
    private final String token;
    private final SslContext ssl;
    private final boolean speaksWssink;
    private final boolean compression;
    private final int maxFrameBytes;
    private final int maxMessageBytes;
    private final int maxStreams;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final Duration ackInterval;
    private final int ackBytes;

    private ReceiverConfig(Builder b) {
        this.bind = b.bind;
        this.port = b.port;
        this.output = Objects.requireNonNull(b.output, "output");
        this.binary = b.binary;
        this.token = b.token;
        this.ssl = b.ssl;
        this.speaksWssink = b.speaksWssink;
        this.compression = b.compression;
        this.maxFrameBytes = b.maxFrameBytes;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxStreams = b.maxStreams;
        this.handshakeTimeout = b.handshakeTimeout;
        this.idleTimeout = b.idleTimeout;
        this.ackInterval = b.ackInterval;
        this.ackBytes = b.ackBytes;
    }

    public static Builder builder(Path output) {
        return new Builder(output);
    }

    public String bind() { return bind; }
    public int port() { return port; }
    public Path output() { return output; }
    public boolean binary() { return binary; }
    /** The bearer token clients must present, or null for none. */
    public String token() { return token; }
    public SslContext ssl() { return ssl; }
    /** False makes a plain WebSocket endpoint that selects no subprotocol: raw mode only. */
    public boolean speaksWssink() { return speaksWssink; }
    public boolean compression() { return compression; }
    public int maxFrameBytes() { return maxFrameBytes; }
    public int maxMessageBytes() { return maxMessageBytes; }
    public int maxStreams() { return maxStreams; }
    public Duration handshakeTimeout() { return handshakeTimeout; }
    public Duration idleTimeout() { return idleTimeout; }
    public Duration ackInterval() { return ackInterval; }
    public int ackBytes() { return ackBytes; }

    public static final class Builder {
        private String bind = "127.0.0.1";
        private int port;
        private final Path output;
        private boolean binary;
        private String token;
        private SslContext ssl;
        private boolean speaksWssink = true;
        private boolean compression = true;
        private int maxFrameBytes = 16 << 20;
        private int maxMessageBytes = 16 << 20;
        private int maxStreams = 1024;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration ackInterval = Duration.ofMillis(100);
        private int ackBytes = 1 << 20;

        private Builder(Path output) {
            this.output = output;
        }

        public Builder bind(String v) { bind = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder binary(boolean v) { binary = v; return this; }
        public Builder token(String v) { token = v; return this; }
        public Builder ssl(SslContext v) { ssl = v; return this; }
        public Builder speaksWssink(boolean v) { speaksWssink = v; return this; }
        public Builder compression(boolean v) { compression = v; return this; }
        public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder maxStreams(int v) { maxStreams = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder ackInterval(Duration v) { ackInterval = v; return this; }
        public Builder ackBytes(int v) { ackBytes = v; return this; }

        public ReceiverConfig build() {
            return new ReceiverConfig(this);
        }
    }
}
