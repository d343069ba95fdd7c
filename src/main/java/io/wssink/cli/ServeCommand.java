package io.wssink.cli;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.NetUtil;
import io.wssink.internal.receiver.KafkaReceiverStore;
import io.wssink.internal.receiver.OutputFormat;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Runs the reference receiver: dedupes by id per stream, writes each payload to --out and acks"
                + " what it wrote once it is on disk (--fsync always). Prints its URL when ready."
                + " See README, 'Running the receiver in production'. With --kafka it writes to a Kafka topic instead"
                + " (tested with Kafka " + KafkaReceiverStore.TESTED_KAFKA_VERSION + "; README, 'Scaling out').",
        footer = ExitCodes.HELP)
final class ServeCommand implements Callable<Integer> {
    @Mixin
    MetricsOptions metrics;

    @Option(names = "--port", defaultValue = "0", description = "Port; 0 picks a free one (default).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--out", description = "Output file (created 0600); FILE.state and FILE.state.alt beside it hold"
            + " the dedupe state (the last two commits). An existing FILE without its state is refused, never"
            + " overwritten. Needed unless --kafka is given.")
    Path out;

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP", description = "Write to Kafka instead of --out: the"
            + " bootstrap servers, host:port[,host:port...] (tested with Kafka "
            + KafkaReceiverStore.TESTED_KAFKA_VERSION + ").")
    String kafka;

    @Option(names = "--topic", description = "With --kafka: the topic (must exist; its max.message.bytes at least"
            + " --max-message-bytes + 4096). Key = stream id, value = payload, headers wssink-stream, wssink-id.")
    String topic;

    @Option(names = "--guarantee", defaultValue = "exactly-once", description = "With --kafka: exactly-once"
            + " (default; a transaction per stream, state in TOPIC.wssink-state; consumers read with"
            + " isolation.level=read_committed) or at-least-once (one idempotent producer; consumers drop"
            + " duplicates by the wssink-stream and wssink-id headers).")
    String guarantee;

    @Option(names = "--producer-config", paramLabel = "FILE", description = "With --kafka: a properties file of"
            + " Kafka client settings (security, timeouts) for the producers, the state reader and the admin client.")
    Path producerConfig;

    @Option(names = "--format", description = "lines (default: one line per event; an event holding a line break is"
            + " refused with 1007), jsonl (a JSON string per line, line breaks escaped; non-UTF-8 as"
            + " {\"base64\":...}) or binary (4-byte length, then the bytes).")
    String format;

    @Option(names = "--binary", description = "Same as --format binary.")
    boolean binary;

    @Option(names = "--fsync", defaultValue = "always", description = "always (default): output and state are"
            + " forced before an ack covers them, in group commits for all streams (at the end of read bursts, and at"
            + " least every ack interval or MiB); never: acks survive a crash of the receiver, not of the machine.")
    String fsync;

    @Option(names = "--token", description = "Require Authorization: Bearer <token> (else 401). Shows in ps: prefer"
            + " WSSINK_TOKEN or --token-file.")
    String token;

    @Option(names = "--token-file", description = "A file of tokens, one per line, each optionally followed by the"
            + " stream ids it may write (else any); re-read when it changes.")
    Path tokenFile;

    @Option(names = "--allow-origin", description = "Accept handshakes with this Origin header (browsers send one;"
            + " others are refused with 403). Repeatable.")
    List<String> allowOrigins = new ArrayList<>();

    @Option(names = "--tls-cert", description = "PEM certificate chain: serve wss:// (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM private key (PKCS#8) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--max-connections", defaultValue = "128",
            description = "Open connections beyond this get 503 (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-streams", defaultValue = "1024",
            description = "Streams held at once; a new one past it is refused with 1008 (default: ${DEFAULT-VALUE}).")
    int maxStreams;

    @Option(names = "--forget-after", defaultValue = "P30D", description = "Forget a stream (its dedupe state too)"
            + " with no connection for this long, when room is needed (default: ${DEFAULT-VALUE}).")
    Duration forgetAfter;

    @Option(names = "--max-message-bytes", defaultValue = "2097152", description = "Largest frame and message, after"
            + " inflating; each connection holds at most about twice this (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--handshake-timeout", defaultValue = "PT10S",
            description = "From accept to the end of the handshake (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--idle-timeout", defaultValue = "PT60S",
            description = "Close a connection silent this long (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--ui", description = "Serve the live console on the same port: a page at / to watch streams and"
            + " send messages to their senders, and a JSON API (docs/CONSOLE.md). With a token, they need it too.")
    boolean ui;

    @Option(names = "--ui-without-token", description = "Allow --ui without a token on an address other than loopback:"
            + " anyone who reaches the port can then read every stream and message every job.")
    boolean uiWithoutToken;

    @Override
    public Integer call() throws Exception {
        String bearer = token; // WSSINK_TOKEN comes in through --token from the injected environment (Main)
        if (bearer != null && tokenFile != null) {
            throw new IllegalArgumentException("give --token-file or a token (--token, WSSINK_TOKEN), not both");
        }
        if (format != null && binary) {
            throw new IllegalArgumentException("give --format or --binary, not both");
        }
        if (out == null && kafka == null) {
            throw new IllegalArgumentException("serve needs --out FILE, or --kafka BOOTSTRAP with --topic T");
        }
        if (out != null && kafka != null) {
            throw new IllegalArgumentException("give --out or --kafka, not both");
        }
        if (kafka == null && (topic != null || producerConfig != null)) {
            throw new IllegalArgumentException("--topic and --producer-config go with --kafka");
        }
        if (kafka != null && (topic == null || topic.isBlank())) {
            throw new IllegalArgumentException("--kafka needs --topic: the topic to write to");
        }
        String refusal = uiRefusal(ui, bearer != null || tokenFile != null, bind, uiWithoutToken);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        ReceiverConfig.Builder b = ReceiverConfig.builder(out).bind(bind).port(port)
                .format(binary ? OutputFormat.BINARY : format == null ? OutputFormat.LINES : OutputFormat.parse(format))
                .fsync(Enums.parse(ReceiverConfig.Fsync.class, fsync, "--fsync"))
                .token(bearer).tokenFile(tokenFile).maxConnections(maxConnections).maxStreams(maxStreams)
                .forgetAfter(forgetAfter).maxFrameBytes(maxMessageBytes).maxMessageBytes(maxMessageBytes)
                .handshakeTimeout(handshakeTimeout).idleTimeout(idleTimeout).ssl(ssl()).ui(ui);
        allowOrigins.forEach(b::allowOrigin);
        ReceiverConfig config = b.build();
        if (config.ssl() == null && (bearer != null || tokenFile != null) && !loopback(bind)) {
            System.err.println("wssink: warning: tokens go in clear text over ws:// on " + bind
                    + "; serve wss:// with --tls-cert and --tls-key");
        }
        ReferenceReceiver receiver = kafka == null ? ReferenceReceiver.start(config)
                : ReferenceReceiver.start(config, KafkaReceiverStore.open(config, topic,
                        Enums.parse(KafkaReceiverStore.Guarantee.class, guarantee, "--guarantee"), kafkaConfig()));
        MetricsServer endpoint;
        try {
            endpoint = metrics.start(receiver); // lives as long as the process
        } catch (RuntimeException e) {
            receiver.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SendCommand.closeEndpoint(endpoint); // first, as in send: no scrape reads a receiver being closed
            try {
                receiver.close();
            } catch (Exception e) {
                System.err.println("wssink: closing the receiver: " + e.getMessage());
            }
        }, "wssink-serve-stop"));
        System.out.println("listening on " + receiver.url());
        if (receiver.consoleUrl() != null) {
            // never the token: the page asks for it
            System.out.println("console on " + receiver.consoleUrl()
                    + (bearer != null || tokenFile != null ? " (it asks for the token)" : ""));
        }
        System.out.flush();
        new CountDownLatch(1).await(); // until a signal
        return ExitCodes.OK;
    }

    private Properties kafkaConfig() throws IOException {
        Properties p = new Properties();
        if (producerConfig != null) {
            try (Reader r = Files.newBufferedReader(producerConfig)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --producer-config " + producerConfig + ": " + e, e);
            }
        }
        p.setProperty("bootstrap.servers", kafka);
        return p;
    }

    private SslContext ssl() {
        if (tlsCert == null && tlsKey == null) {
            return null;
        }
        if (tlsCert == null || tlsKey == null) {
            throw new IllegalArgumentException("wss:// needs both --tls-cert and --tls-key");
        }
        try {
            return SslContextBuilder.forServer(tlsCert.toFile(), tlsKey.toFile()).build();
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot use --tls-cert " + tlsCert + " and --tls-key " + tlsKey + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage())
                    + " (both PEM; the key PKCS#8, unencrypted)");
        }
    }

    /**
     * Why {@code serve} refuses to start its console, or null: without a token, a console on an address others can
     * reach lets any of them message every job, so it takes a token or {@code --ui-without-token}.
     */
    static String uiRefusal(boolean ui, boolean token, String bind, boolean withoutToken) {
        if (!ui || token || withoutToken || loopback(bind)) {
            return null;
        }
        return "--ui on " + bind + " without a token would let anyone who reaches the port message every job: give"
                + " --token-file FILE (or WSSINK_TOKEN), bind to 127.0.0.1, or add --ui-without-token";
    }

    private static boolean loopback(String address) {
        try {
            return NetUtil.createByteArrayFromIpAddressString(address) != null
                    ? InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(address)).isLoopbackAddress()
                    : "localhost".equalsIgnoreCase(address);
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
