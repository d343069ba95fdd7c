package io.wssink.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import io.wssink.HeaderFile;
import io.wssink.WebSocketSink;
import io.wssink.protocol.Mode;
import io.wssink.spool.Durability;
import io.wssink.spool.EventIds;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.SpoolFullException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A Logback appender that ships each event through a {@link WebSocketSink}: {@code append} returns once the encoded
 * event is in the on-disk spool (never waiting for the network), the sink delivers it, acknowledged, across
 * reconnects and restarts; {@code stop()} drains like {@link WebSocketSink#close()}.
 *
 * <pre>{@code
 * <appender name="WS" class="io.wssink.logback.WebSocketAppender">
 *   <url>wss://logs.example.com/ingest</url>
 *   <spool>/var/lib/myapp/wssink</spool>
 *   <encoder class="ch.qos.logback.classic.encoder.JsonEncoder"/>
 * </appender>
 * }</pre>
 *
 * <p>Trouble (a full spool, an event too large, a spool that cannot be opened) is reported through Logback's status
 * manager, never by logging: an appender that logs its own trouble can feed on itself. For the same reason the
 * events of wssink's own loggers ({@code io.wssink.*}), of its spool ({@code net.openhft.*}, Chronicle), and of the sink's network and forwarder threads, are never
 * appended here (a forwarder that had to wait for its own spool would wait forever): give {@code io.wssink} another
 * appender, such as the console, to see them. Set
 * {@code -Dchronicle.analytics.disable=true}, as the README says.
 *
 * <p>Threads: the setters are called by Logback's configurator before {@link #start()}, on its thread; Logback's
 * start publishes them to the appending threads. {@link #append} runs on any thread, concurrently.
 */
public class WebSocketAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /**
     * Events of these loggers are the sink's own, wssink's and its spool's (Chronicle logs from inside an append, on
     * the appending thread): appending them could recurse into the sink, or wait on it from its own thread.
     */
    static final String[] OWN_LOGGERS = {"io.wssink.", "net.openhft."};

    // settings: written by the configuring thread before start(), read-only after
    private final List<String> urls = new ArrayList<>();
    private final List<String> headers = new ArrayList<>();
    private String spool;
    private Encoder<ILoggingEvent> encoder;
    private String mode;
    private String durability;
    private String fullPolicy;
    private long maxSpoolBytes;
    private Long minFreeDiskBytes;
    private long blockSize;
    private int maxEventBytes;
    private String blockTimeout;
    private String drainTimeout;
    private String trustCertificates;
    private boolean insecure;
    private boolean binary;
    private String tokenFile;
    private final List<String> headerFiles = new ArrayList<>();
    private String clientCertificate;
    private String clientKey;
    private String proxy;
    private String noProxy;
    private boolean proxyFromEnvironment;

    /** Set by start(), cleared by stop(); read by every appending thread. */
    private volatile WebSocketSink sink;
    /** Whether the current drop or failure episode was reported already; any appending thread. */
    private volatile boolean troubleReported;
    /** Set on a thread while it appends: a nested append on it (a logging encoder, say) is dropped. */
    private final ThreadLocal<Boolean> appending = new ThreadLocal<>();

    /** An endpoint, ws:// or wss://; repeat the element for failover, in order. */
    public void addUrl(String url) { urls.add(url.trim()); }
    /** The spool directory (created 0700 on first use). */
    public void setSpool(String path) { spool = path.trim(); }
    /** A handshake header as {@code Name: value} (or {@code Name=value}); values are never logged. */
    public void addHeader(String header) { headers.add(header); }
    public void setEncoder(Encoder<ILoggingEvent> encoder) { this.encoder = encoder; }
    /** auto, ack or raw. */
    public void setMode(String mode) { this.mode = mode; }
    /** process, sync-each or sync-interval:&lt;interval&gt; (200ms, 5s, 1m or PT5S). */
    public void setDurability(String durability) { this.durability = durability; }
    /** block, drop_newest or fail: what a full spool does to {@code append}. */
    public void setFullPolicy(String fullPolicy) { this.fullPolicy = fullPolicy; }
    public void setMaxSpoolBytes(long maxSpoolBytes) { this.maxSpoolBytes = maxSpoolBytes; }
    /** Free space the spool leaves on its file system (4 blocks by default); see docs/SPOOL.md. */
    public void setMinFreeDiskBytes(long minFreeDiskBytes) { this.minFreeDiskBytes = minFreeDiskBytes; }
    /** Chronicle's block (16 MiB; at least 1 MiB, a power of two): spool files grow by this much. */
    public void setBlockSize(long blockSize) { this.blockSize = blockSize; }
    /** Larger encoded events are not spooled (reported to the status manager); 1 MiB by default. */
    public void setMaxEventBytes(int maxEventBytes) { this.maxEventBytes = maxEventBytes; }
    /** ISO-8601 (PT30S) or 30s / 500ms: how long BLOCK waits. */
    public void setBlockTimeout(String blockTimeout) { this.blockTimeout = blockTimeout; }
    /** How long {@link #stop()} waits for acks of what is in flight. */
    public void setDrainTimeout(String drainTimeout) { this.drainTimeout = drainTimeout; }
    public void setTrustCertificates(String pem) { trustCertificates = pem.trim(); }
    public void setInsecure(boolean insecure) { this.insecure = insecure; }
    /** A file holding a bearer token for Authorization, read again at every connection attempt. */
    public void setTokenFile(String path) { tokenFile = path.trim(); }
    /** A header {@code Name=file} whose value is the file's content, read again at every connection attempt. */
    public void addHeaderFile(String nameAndFile) { headerFiles.add(nameAndFile.trim()); }
    /** Mutual TLS: the PEM certificate (chain) to present; needs {@link #setClientKey}. */
    public void setClientCertificate(String pem) { clientCertificate = pem.trim(); }
    /** Mutual TLS: the unencrypted PKCS#8 PEM key of the client certificate. */
    public void setClientKey(String pem) { clientKey = pem.trim(); }
    /** An HTTP CONNECT proxy, http://[user:password@]host[:port]. */
    public void setProxy(String url) { proxy = url.trim(); }
    /** Hosts reached directly despite the proxy (NO_PROXY's syntax). */
    public void setNoProxy(String hosts) { noProxy = hosts; }
    /** Take the proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY. */
    public void setProxyFromEnvironment(boolean on) { proxyFromEnvironment = on; }
    /** The payload is the encoder's bytes as a binary event; by default it is text, less one trailing newline. */
    public void setBinary(boolean binary) { this.binary = binary; }

    /** The sink while started, for its status and {@code acked}; null otherwise. */
    public WebSocketSink sink() {
        return sink;
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (encoder == null) {
            addError("no encoder for appender \"" + name + "\": add <encoder class=\"ch.qos.logback.classic.encoder"
                    + ".JsonEncoder\"/> (or any encoder)");
            return;
        }
        if (spool == null || urls.isEmpty()) {
            addError("appender \"" + name + "\" needs <url> and <spool>");
            return;
        }
        try {
            sink = builder().build();
        } catch (RuntimeException e) {
            addError("appender \"" + name + "\" cannot start: " + e.getMessage()
                    + "; its events are not spooled until it is fixed", e);
            return;
        }
        super.start();
    }

    WebSocketSink.Builder builder() {
        WebSocketSink.Builder b = WebSocketSink.builder().spool(Path.of(spool));
        urls.forEach(b::url);
        for (String h : headers) {
            int sep = h.indexOf(':');
            int eq = h.indexOf('=');
            int at = sep < 0 ? eq : eq < 0 ? sep : Math.min(sep, eq);
            if (at <= 0) {
                throw new IllegalArgumentException("<header> takes Name: value (the value is not shown here)");
            }
            b.header(h.substring(0, at).trim(), h.substring(at + 1).trim());
        }
        if (mode != null) b.mode(Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT)));
        if (durability != null) b.durability(Durability.parse(durability.trim()));
        if (fullPolicy != null) b.fullPolicy(FullPolicy.valueOf(fullPolicy.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
        if (maxSpoolBytes > 0) b.maxSpoolBytes(maxSpoolBytes);
        if (minFreeDiskBytes != null) b.minFreeDiskBytes(minFreeDiskBytes);
        if (blockSize > 0) b.blockSize(blockSize);
        if (maxEventBytes > 0) b.maxEventBytes(maxEventBytes);
        if (blockTimeout != null) b.blockTimeout(duration(blockTimeout));
        if (drainTimeout != null) b.drainTimeout(duration(drainTimeout));
        if (trustCertificates != null) b.trustCertificates(Path.of(trustCertificates));
        if (insecure) b.insecure(true);
        if (tokenFile != null) b.header("Authorization", HeaderFile.bearer(Path.of(tokenFile)));
        for (String h : headerFiles) {
            int eq = h.indexOf('=');
            if (eq <= 0 || eq == h.length() - 1) {
                throw new IllegalArgumentException("<headerFile> takes Name=file, not '" + h + "'");
            }
            b.header(h.substring(0, eq).trim(), HeaderFile.value(Path.of(h.substring(eq + 1).trim())));
        }
        if ((clientCertificate == null) != (clientKey == null)) {
            throw new IllegalArgumentException("<clientCertificate> and <clientKey> go together: give both");
        }
        if (clientCertificate != null) b.clientCertificate(Path.of(clientCertificate), Path.of(clientKey));
        if (proxy != null) b.proxy(proxy);
        if (noProxy != null) b.noProxy(noProxy);
        b.proxyFromEnvironment(proxyFromEnvironment);
        return b;
    }

    private static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("p")) {
            return Duration.parse(t.toUpperCase(Locale.ROOT));
        }
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
        }
        if (t.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).trim()));
        }
        throw new IllegalArgumentException("duration '" + text + "': use ISO-8601 (PT30S), 30s or 500ms");
    }

    @Override
    protected void append(ILoggingEvent event) {
        WebSocketSink s = sink;
        if (s == null || isOwn(event) || appending.get() != null) {
            return;
        }
        appending.set(Boolean.TRUE);
        try {
            byte[] bytes = encoder.encode(event);
            long id;
            if (binary) {
                id = s.write(bytes);
            } else {
                int end = bytes.length;
                if (end > 0 && bytes[end - 1] == '\n') end--;
                if (end > 0 && bytes[end - 1] == '\r') end--;
                String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
                // an encoder whose charset is not UTF-8 gave bytes that decode with U+FFFD for what they held: the
                // event as it was encoded, its exact bytes, goes instead (as wssink send does with such a line)
                byte[] again = text.indexOf('\uFFFD') >= 0 ? text.getBytes(StandardCharsets.UTF_8) : null;
                boolean altered = again != null && !Arrays.equals(again, 0, again.length, bytes, 0, end);
                id = altered ? s.write(Arrays.copyOf(bytes, end)) : s.write(text);
            }
            if (id == EventIds.DROPPED) {
                reportOnce(() -> addWarn("spool of appender \"" + name + "\" is full: events are dropped (policy"
                        + " DROP_NEWEST; " + s.status().spool().droppedEvents() + " so far); the endpoint is not taking"
                        + " them fast enough, or maxSpoolBytes is too small"));
            } else if (troubleReported) {
                troubleReported = false; // read, not written, on the usual path
            }
        } catch (SpoolFullException e) {
            reportOnce(() -> addError("spool of appender \"" + name + "\" is full; event not logged: "
                    + e.getMessage()));
        } catch (RuntimeException e) {
            reportOnce(() -> addError("appender \"" + name + "\" could not spool an event: " + e.getMessage(), e));
        } finally {
            appending.remove();
        }
    }

    /** The first trouble of an episode is reported; later ones until an append succeeds are not (they are counted). */
    private void reportOnce(Runnable report) {
        if (!troubleReported) {
            troubleReported = true;
            report.run();
        }
    }

    /** The sink's own events: its loggers, and anything logged on its network or forwarder thread. */
    static boolean isOwn(ILoggingEvent event) {
        String logger = event.getLoggerName();
        if (logger != null) {
            for (String own : OWN_LOGGERS) {
                if (logger.startsWith(own)) {
                    return true;
                }
            }
        }
        String thread = Thread.currentThread().getName();
        return thread.equals("wssink-io") || thread.equals("wssink-forwarder");
    }

    /** Stops appending, then drains like {@link WebSocketSink#close()}: what was not acknowledged stays spooled. */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        WebSocketSink s = sink;
        sink = null;
        if (s != null) {
            s.close();
        }
    }
}
