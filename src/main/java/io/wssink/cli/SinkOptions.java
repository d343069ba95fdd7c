package io.wssink.cli;

import io.wssink.HeaderFile;
import io.wssink.WebSocketSink;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.protocol.Mode;
import io.wssink.spool.Durability;
import io.wssink.spool.FullPolicy;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The builder's options, for the commands that open a sink. */
final class SinkOptions {
    @Option(names = "--url", required = true, description = "ws:// or wss:// endpoint; repeat for failover, in order.")
    List<String> urls = new ArrayList<>();

    @Option(names = "--spool", required = true, description = "The spool directory (created 0700 if missing).")
    Path spool;

    @Option(names = "--mode", defaultValue = "auto", description = "auto, ack or raw (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--header", description = "A handshake header K=V, e.g. Authorization=Bearer ...; never logged."
            + " Secrets on the command line show in ps: prefer --header-file.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--token-file", description = "A file holding a bearer token for Authorization, read again at"
            + " every connection attempt (rotated tokens are picked up); never logged.")
    Path tokenFile;

    @Option(names = "--header-file", description = "A file of handshake headers, one 'Name: value' per line (# starts"
            + " a comment), read again at every connection attempt; keeps secrets off the command line.")
    List<Path> headerFiles = new ArrayList<>();

    @Option(names = "--max-event-bytes", description = "The largest event; a longer line or record stops send"
            + " (default: 1 MiB, or a quarter of --block-size if less).")
    Integer maxEventBytes;

    @Option(names = "--trust", description = "PEM file of CA certificates to trust for wss://.")
    Path trust;

    @Option(names = "--client-cert", description = "Mutual TLS: PEM certificate (chain) to present; needs --client-key.")
    Path clientCert;

    @Option(names = "--client-key", description = "Mutual TLS: PEM private key of --client-cert, unencrypted PKCS#8.")
    Path clientKey;

    @Option(names = "--proxy", description = "HTTP CONNECT proxy, http://[user:password@]host[:port] (user info is"
            + " never logged; prefer --proxy-from-env for credentials: argv is visible to other users).")
    String proxy; // a String, not a URI: picocli's own conversion echoes a value it cannot parse, password and all

    @Option(names = "--no-proxy", description = "Hosts reached directly despite --proxy, in NO_PROXY's syntax:"
            + " host or domain suffixes, comma-separated, * for all.")
    String noProxy;

    @Option(names = "--proxy-from-env", description = "Take the proxy from HTTPS_PROXY (wss://), HTTP_PROXY (ws://)"
            + " and NO_PROXY. Off by default.")
    boolean proxyFromEnv;

    @Option(names = "--insecure", description = "Trust any certificate and skip hostname checks (warned at start).")
    boolean insecure;

    @Option(names = "--durability", defaultValue = "process",
            description = "process, sync-each or sync-interval:<interval> (200ms, 5s, 1m or PT5S; default:"
                    + " ${DEFAULT-VALUE}).")
    String durability;

    @Option(names = "--max-spool-bytes", description = "Bound of the spool on disk (default: 1 GiB).")
    Long maxSpoolBytes;

    @Option(names = "--min-free-disk-bytes", description = "Free space the spool leaves on its file system; below it"
            + " the spool counts as full (default: 4 blocks, 64 MiB). Raise it where other writers share the disk.")
    Long minFreeDiskBytes;

    @Option(names = "--full-policy", description = "block, drop_newest, drop_oldest or fail, when the spool is full.")
    String fullPolicy;

    @Option(names = "--max-event-age", description = "Skip events older than this when they come to be sent (counted,"
            + " never sent; a receiver that takes gap notices is told), ISO-8601; default: none, every event is sent.")
    Duration maxEventAge;

    @Option(names = "--drain-timeout", defaultValue = "PT5S",
            description = "How long close waits for acks (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--compression", description = "permessage-deflate.")
    boolean compression;

    @Option(names = "--ping-interval", defaultValue = "PT10S",
            description = "A ping every interval, whatever is sent (default: ${DEFAULT-VALUE}).")
    Duration pingInterval;

    @Option(names = "--ping-timeout", defaultValue = "PT10S",
            description = "Close a link when nothing answers a ping within this (default: ${DEFAULT-VALUE}).")
    Duration pingTimeout;

    @Option(names = "--backoff-initial", defaultValue = "PT0.1S",
            description = "First wait after a failed attempt (default: ${DEFAULT-VALUE}).")
    Duration backoffInitial;

    @Option(names = "--backoff-max", defaultValue = "PT30S",
            description = "Cap of the exponential backoff, with full jitter (default: ${DEFAULT-VALUE}).")
    Duration backoffMax;

    @Option(names = "--block-size", description = "Chronicle's block: spool files grow by this much (default 16 MiB,"
            + " at least 1 MiB, a power of two); smaller suits small disks.")
    Long blockSize;

    WebSocketSink.Builder builder() {
        WebSocketSink.Builder b = WebSocketSink.builder().spool(spool)
                .mode(Enums.parse(Mode.class, mode, "--mode"))
                .durability(Durability.parse(durability)).drainTimeout(drainTimeout)
                .compression(compression).insecure(insecure).ping(pingInterval, pingTimeout)
                .backoff(backoffInitial, backoffMax);
        if (blockSize != null) {
            b.blockSize(blockSize);
        }
        urls.forEach(b::url);
        for (String h : headers) {
            int eq = h.indexOf('=');
            if (eq <= 0 || !validName(h.substring(0, eq))) {
                // the text may be a secret given the wrong way (Authorization: Bearer x): never echo it
                throw new IllegalArgumentException("--header takes NAME=VALUE with a header name before the '='; one"
                        + " --header is not like that (its text is not shown: it may hold a secret)");
            }
            b.header(h.substring(0, eq), h.substring(eq + 1));
        }
        if (tokenFile != null) {
            b.header("Authorization", HeaderFile.bearer(tokenFile));
        }
        for (Path file : headerFiles) {
            HeaderFile.headers(file).forEach(b::header);
        }
        if (maxEventBytes != null) {
            b.maxEventBytes(maxEventBytes);
        }
        if (trust != null) {
            b.trustCertificates(trust);
        }
        if (proxy != null) {
            b.proxy(proxy);
        }
        if (noProxy != null) {
            if (proxy == null) {
                throw new IllegalArgumentException("--no-proxy goes with --proxy (with --proxy-from-env, NO_PROXY says"
                        + " which hosts go direct)");
            }
            b.noProxy(noProxy);
        }
        b.proxyFromEnvironment(proxyFromEnv);
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("--client-cert and --client-key go together: give both");
        }
        if (clientCert != null) {
            b.clientCertificate(clientCert, clientKey);
        }
        if (maxSpoolBytes != null) {
            b.maxSpoolBytes(maxSpoolBytes);
        }
        if (minFreeDiskBytes != null) {
            b.minFreeDiskBytes(minFreeDiskBytes);
        }
        if (fullPolicy != null) {
            b.fullPolicy(Enums.parse(FullPolicy.class, fullPolicy, "--full-policy"));
        }
        if (maxEventAge != null) {
            b.maxEventAge(maxEventAge);
        }
        return b;
    }

    /** The largest event, as the spool will resolve it. */
    int maxEventBytes() {
        SpoolConfig.Builder c = SpoolConfig.builder(spool);
        if (blockSize != null) {
            c.blockSize(blockSize);
        }
        if (maxEventBytes != null) {
            c.maxEventBytes(maxEventBytes);
        }
        return c.build().maxEventBytes();
    }

    private static boolean validName(String name) {
        return !name.isBlank() && name.chars().allMatch(c -> c > ' ' && c < 127 && c != ':');
    }
}
