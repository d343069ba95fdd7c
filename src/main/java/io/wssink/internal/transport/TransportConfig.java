package io.wssink.internal.transport;

import io.netty.util.NetUtil;
import io.wssink.protocol.Mode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Immutable settings of the WebSocket client; build with {@link #builder()}. Header values are secrets as far as
 * wssink is concerned: they are sent, never logged, never put into messages or {@link #toString()}.
 */
public final class TransportConfig {
    private static final Logger log = LoggerFactory.getLogger(TransportConfig.class);

    private final List<URI> urls;
    private final Mode mode;
    /** Called at every connection attempt (a fixed value is a supplier of itself). */
    private final Map<String, Supplier<String>> headers;
    private final Path trustCertificates;
    private final Path clientCertificate;
    private final Path clientKey;
    private final boolean insecure;
    private final ProxySettings proxy;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final Duration backoffResetAfter;
    private final Duration pingInterval;
    private final Duration pingTimeout;
    private final int maxFrameBytes;
    private final long maxInFlightBytes;
    private final int maxMessageBytes;
    private final boolean compression;
    private final Duration failbackAfter;

    private TransportConfig(Builder b) {
        if (b.urls.isEmpty()) {
            throw new IllegalArgumentException("at least one ws:// or wss:// URL is needed");
        }
        this.urls = List.copyOf(b.urls);
        this.mode = b.mode;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.trustCertificates = b.trustCertificates;
        this.clientCertificate = b.clientCertificate;
        this.clientKey = b.clientKey;
        this.insecure = b.insecure;
        if (b.noProxy != null && b.proxy == null) {
            throw new IllegalArgumentException("noProxy goes with proxy (with proxyFromEnvironment, NO_PROXY says which"
                    + " hosts go direct)");
        }
        this.proxy = b.proxy != null ? ProxySettings.of(b.proxy, b.noProxy)
                : b.proxyFromEnvironment ? ProxySettings.fromEnvironment(System.getenv()) : ProxySettings.NONE;
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.backoffResetAfter = b.backoffResetAfter;
        this.pingInterval = b.pingInterval;
        this.pingTimeout = b.pingTimeout;
        this.maxFrameBytes = b.maxFrameBytes;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.maxMessageBytes = b.maxMessageBytes;
        this.compression = b.compression;
        this.failbackAfter = b.failbackAfter;
        new Backoff(backoffInitial, backoffMax, backoffResetAfter); // validates
        positive("pingInterval", pingInterval);
        positive("pingTimeout", pingTimeout);
        positive("connectTimeout", connectTimeout);
        positive("handshakeTimeout", handshakeTimeout);
        if (maxFrameBytes < 1024 || maxInFlightBytes < maxFrameBytes || maxMessageBytes < 1024) {
            throw new IllegalArgumentException("need maxFrameBytes >= 1024, maxInFlightBytes >= maxFrameBytes and"
                    + " maxMessageBytes >= 1024");
        }
        warnOfCredentialsInClearText();
    }

    /** Warns (once per config) when an Authorization header would cross the network unencrypted. */
    private void warnOfCredentialsInClearText() {
        if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Authorization"))) {
            return;
        }
        for (URI u : urls) {
            if (u.getScheme().equalsIgnoreCase("ws") && !isLoopback(u.getHost())) {
                log.warn("the Authorization header goes in clear text over ws:// to {}: anyone on the path can read"
                        + " and reuse it; use wss://", u.getHost());
            }
        }
    }

    /** Whether {@code host} names this machine without asking DNS: localhost, 127.0.0.0/8 or ::1. */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(h);
        if (ip == null) {
            return false;
        }
        try {
            return InetAddress.getByAddress(ip).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static void positive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + d);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    static void checkHeaderName(String name) {
        if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c >= 127)) {
            throw new IllegalArgumentException("invalid header name '" + name + "'");
        }
    }

    /** Checks a header's value without ever putting it into the message. */
    static void checkHeaderValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("header " + name + " has no value");
        }
        if (value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
            throw new IllegalArgumentException("the value of header " + name + " holds a line break");
        }
    }

    /**
     * Checks a URL: ws:// or wss://, with a host.
     *
     * @throws IllegalArgumentException that says what is wrong, without echoing credentials in the URL
     */
    public static URI checkUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid URL: " + e.getReason() + " at index " + e.getIndex());
        }
        return checkUrl(uri);
    }

    public static URI checkUrl(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("URL must start with ws:// or wss://, not '"
                    + (scheme.isEmpty() ? "(no scheme)" : scheme + "://") + "': " + redact(uri));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("URL has no host: " + redact(uri));
        }
        if (afterHost(uri).indexOf('@') >= 0) {
            // "ws://user:1234/rest@host" is host "user", port 1234: dialled, it sent the password's tail as the path
            // and any Authorization header to whoever answers for the user name
            throw new IllegalArgumentException("URL has an '@' after its host (the text is not shown, it may hold a"
                    + " password): percent-encode '/', '?', '#' and '@' in a user or password, and '@' in a path"
                    + " (%40)");
        }
        return uri;
    }

    /**
     * A URL fit for logs: scheme, host, port and path; no user info, query or fragment (they may hold tokens). An
     * '@' after the host hides all but the scheme: a password holding an unencoded '/', '?' or '#' ends the authority
     * early, so "ws://user:1234/rest@host" parses as host "user", port 1234 and path "/rest@host".
     */
    public static String redact(URI uri) {
        StringBuilder s = new StringBuilder();
        s.append(uri.getScheme() == null ? "" : uri.getScheme() + "://");
        if (afterHost(uri).indexOf('@') >= 0) {
            return s.append("(not shown: an '@' after the host may be part of a password; percent-encode '/', '?' and"
                    + " '#' in a user or password)").toString();
        }
        s.append(uri.getHost() == null ? "?" : uri.getHost());
        if (uri.getPort() != -1) {
            s.append(':').append(uri.getPort());
        }
        s.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        if (uri.getRawQuery() != null) {
            s.append("?…");
        }
        return s.toString();
    }

    private static String afterHost(URI uri) {
        return (uri.getRawPath() == null ? "" : uri.getRawPath()) + (uri.getRawQuery() == null ? "" : uri.getRawQuery())
                + (uri.getRawFragment() == null ? "" : uri.getRawFragment());
    }

    public List<URI> urls() { return urls; }
    public Mode mode() { return mode; }
    /**
     * Extra handshake headers, e.g. Authorization: each supplier is called at every connection attempt, so a
     * credential refreshed elsewhere (a token file, a vault) is picked up by the next attempt.
     */
    public Map<String, Supplier<String>> headers() { return headers; }
    /** A PEM file of CA certificates to trust for wss://, or null for the JDK's default trust store. */
    public Path trustCertificates() { return trustCertificates; }
    /** The PEM certificate (chain) this client presents for mutual TLS, or null for none. */
    public Path clientCertificate() { return clientCertificate; }
    /** The PEM private key (unencrypted PKCS#8) of {@link #clientCertificate()}, or null. */
    public Path clientKey() { return clientKey; }
    /** Trust any certificate and skip hostname verification; logged as a warning at every start. */
    public boolean insecure() { return insecure; }
    /** Which HTTP CONNECT proxy carries the connection to each URL; {@link ProxySettings#NONE} by default. */
    public ProxySettings proxy() { return proxy; }
    public Duration connectTimeout() { return connectTimeout; }
    public Duration handshakeTimeout() { return handshakeTimeout; }
    public Duration backoffInitial() { return backoffInitial; }
    public Duration backoffMax() { return backoffMax; }
    /** How long a connection must stay up before the backoff starts again from {@link #backoffInitial()}. */
    public Duration backoffResetAfter() { return backoffResetAfter; }
    /** A ping goes out every interval, whatever is sent (spec section 6). */
    public Duration pingInterval() { return pingInterval; }
    /** Close the connection when nothing (pong, ack, data) arrives within this long after a ping. */
    public Duration pingTimeout() { return pingTimeout; }
    /** The largest data frame sent; a record larger than this goes alone in a frame of its own. */
    public int maxFrameBytes() { return maxFrameBytes; }
    /** How many bytes may be sent and not yet acknowledged. */
    public long maxInFlightBytes() { return maxInFlightBytes; }
    /** The largest message accepted from the receiver; a larger one closes the connection with 1009. */
    public int maxMessageBytes() { return maxMessageBytes; }
    /** permessage-deflate. */
    public boolean compression() { return compression; }
    /** With several URLs: after this long on a later one, go back and try the first. */
    public Duration failbackAfter() { return failbackAfter; }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        urls.forEach(u -> shown.add(redact(u)));
        return "TransportConfig{urls=" + shown + ", mode=" + mode + ", headers=" + headers.keySet()
                + ", proxy=" + proxy + ", clientCertificate=" + clientCertificate + ", insecure=" + insecure + ", compression=" + compression + "}";
    }

    public static final class Builder {
        private final List<URI> urls = new ArrayList<>();
        private Mode mode = Mode.AUTO;
        private final Map<String, Supplier<String>> headers = new LinkedHashMap<>();
        private Path trustCertificates;
        private Path clientCertificate;
        private Path clientKey;
        private boolean insecure;
        private URI proxy;
        private String noProxy;
        private boolean proxyFromEnvironment;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration backoffInitial = Duration.ofMillis(100);
        private Duration backoffMax = Duration.ofSeconds(30);
        private Duration backoffResetAfter = Duration.ofSeconds(10);
        private Duration pingInterval = Duration.ofSeconds(10);
        private Duration pingTimeout = Duration.ofSeconds(10);
        private int maxFrameBytes = 64 << 10;
        private long maxInFlightBytes = 8L << 20;
        private int maxMessageBytes = 1 << 20;
        private boolean compression;
        private Duration failbackAfter = Duration.ofMinutes(5);

        private Builder() {
        }

        public Builder url(String url) { urls.add(checkUrl(url)); return this; }
        public Builder url(URI url) { urls.add(checkUrl(url)); return this; }
        public Builder mode(Mode v) { mode = Objects.requireNonNull(v); return this; }
        public Builder header(String name, String value) {
            checkHeaderName(name);
            checkHeaderValue(name, value);
            headers.put(name, () -> value);
            return this;
        }
        /**
         * A header whose value is asked for at every connection attempt (a rotating token). A supplier that throws
         * or returns null or a line break fails that attempt, which is retried with backoff; the value is never
         * logged.
         */
        public Builder header(String name, Supplier<String> value) {
            checkHeaderName(name);
            headers.put(name, Objects.requireNonNull(value));
            return this;
        }
        public Builder trustCertificates(Path pemFile) { trustCertificates = pemFile; return this; }
        /**
         * Mutual TLS: the certificate (chain) to present, and its private key, both PEM files; the key unencrypted
         * PKCS#8 ({@code BEGIN PRIVATE KEY}, as {@code openssl genpkey} writes; convert an {@code RSA PRIVATE KEY}
         * with {@code openssl pkcs8 -topk8 -nocrypt}).
         */
        public Builder clientCertificate(Path certPem, Path keyPem) {
            clientCertificate = Objects.requireNonNull(certPem);
            clientKey = Objects.requireNonNull(keyPem);
            return this;
        }
        public Builder insecure(boolean v) { insecure = v; return this; }
        /**
         * Connect through this HTTP proxy ({@code http://[user:password@]host[:port]}, HTTP CONNECT, basic auth from
         * the user info, which is never logged). Wins over {@link #proxyFromEnvironment(boolean)}.
         */
        public Builder proxy(URI v) { proxy = Objects.requireNonNull(v); return this; }
        /** Hosts to reach directly despite {@link #proxy(URI)}: NO_PROXY's syntax ("localhost,.internal,10.0.0.1"). */
        public Builder noProxy(String v) { noProxy = v; return this; }
        /** Take the proxy from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (read at build); off: the library reads no environment unless asked. */
        public Builder proxyFromEnvironment(boolean v) { proxyFromEnvironment = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder backoff(Duration initial, Duration max) { backoffInitial = initial; backoffMax = max; return this; }
        public Builder backoffResetAfter(Duration v) { backoffResetAfter = v; return this; }
        public Builder ping(Duration interval, Duration timeout) { pingInterval = interval; pingTimeout = timeout; return this; }
        public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
        public Builder maxInFlightBytes(long v) { maxInFlightBytes = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder compression(boolean v) { compression = v; return this; }
        public Builder failbackAfter(Duration v) { failbackAfter = Objects.requireNonNull(v); return this; }

        public TransportConfig build() {
            return new TransportConfig(this);
        }
    }
}
