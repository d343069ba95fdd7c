package io.wssink.testing;

import io.wssink.internal.chaos.FaultProxy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * A real single-node KRaft Kafka broker (broker and controller in one process) in a child JVM with its own small heap,
 * so a test can kill it with SIGKILL and start it again on the same log directory.
 *
 * <p><b>Ports.</b> The broker binds port 0 for both listeners ({@code listeners=...:0} works in KRaft: it logs
 * "PLAINTEXT: resolved ephemeral port to N", which is read back here), so no port is ever freed and hoped for. Clients
 * need an address that stays the same across a restart, though: a producer bootstrapped to a port that died never
 * finds the new one. So clients connect to a {@link FaultProxy} that this class binds on port 0 once and holds for its
 * whole life, the broker advertises the proxy's address ({@code advertised.listeners}), and each start points the
 * proxy at the port the broker bound this time. While the broker is dead the proxy accepts and then hangs up, which is
 * what a client sees of a broker that is down.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class KafkaBroker implements AutoCloseable {
    /** Logged for each listener once bound; the one that is not the controller's is the broker's. */
    private static final Pattern BOUND = Pattern.compile("Awaiting socket connections on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern CONTROLLER_PORT = Pattern.compile("CONTROLLER: resolved ephemeral port to (\\d+)");
    private static final String STARTED = "Kafka Server started";

    private final Path dir;
    private final Path config;
    private final FaultProxy proxy;
    private Process process;
    private Path log;
    private int starts;

    private KafkaBroker(Path dir) {
        this.dir = dir;
        this.config = dir.resolve("server.properties");
        this.proxy = new FaultProxy(1); // pointed at the broker once it has bound its port
    }

    /** Formats a new log directory under {@code dir} and starts the broker; returns once it serves requests. */
    public static KafkaBroker start(Path dir) throws Exception {
        KafkaBroker b = new KafkaBroker(dir);
        try {
            b.format();
            b.restart();
            return b;
        } catch (Exception | Error e) {
            b.close();
            throw e;
        }
    }

    private void format() throws Exception {
        Files.createDirectories(dir);
        String props = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + proxy.port(),
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.quorum.bootstrap.servers=127.0.0.1:0",
                "log.dirs=" + dir.resolve("data"),
                "auto.create.topics.enable=false",
                "num.partitions=1",
                // the internal topics: 50 partitions each by default, seconds of a shared core to create
                "offsets.topic.num.partitions=2",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                // a transaction left open by a killed receiver is aborted within its timeout plus this
                "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
                "num.network.threads=2",
                "num.io.threads=2",
                "background.threads=2",
                "log.cleaner.threads=1",
                "log.cleaner.dedupe.buffer.size=8388608", // 128 MiB by default: more than this JVM's heap
                "message.max.bytes=2101248",
                "") ;
        Files.writeString(config, props);
        Path formatLog = dir.resolve("format.log");
        Process p = javaProcess(List.of("kafka.tools.StorageTool", "format", "-c", config.toString(),
                "--cluster-id", Uuid.randomUuid().toString(), "--standalone"), formatLog).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.toHandle().destroyForcibly();
            throw new AssertionError("formatting the broker's storage took longer than 120 s; see " + formatLog);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("formatting the broker's storage failed (exit " + p.exitValue() + "): "
                    + Files.readString(formatLog));
        }
    }

    private ProcessBuilder javaProcess(List<String> mainAndArgs, Path output) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx384m");
        cmd.add("-XX:+UseSerialGC"); // fewer GC threads on a 2-core machine shared with the tests
        cmd.add("-Dslf4j.provider=org.slf4j.simple.SimpleServiceProvider");
        cmd.add("-Dorg.slf4j.simpleLogger.logFile=System.out");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.metadata.ListenerInfo=info");
        cmd.add("-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info");
        cmd.add("-Dorg.slf4j.simpleLogger.log.kafka.network.DataPlaneAcceptor=info");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(mainAndArgs);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    }

    /** Starts the broker (again) on its log directory; returns once it serves requests through the proxy. */
    public void restart() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the broker still runs: kill() it first");
        }
        starts++;
        log = dir.resolve("broker-" + starts + ".log");
        process = javaProcess(List.of("kafka.Kafka", config.toString()), log).start();
        int[] port = new int[1];
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("the broker died at start (exit " + process.exitValue() + "): "
                        + tail(log));
            }
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            if (!text.contains(STARTED)) {
                return false;
            }
            Matcher c = CONTROLLER_PORT.matcher(text);
            if (!c.find()) {
                throw new AssertionError("the broker started without logging its controller's port: " + tail(log));
            }
            Matcher m = BOUND.matcher(text);
            while (m.find()) {
                if (!m.group(1).equals(c.group(1))) {
                    port[0] = Integer.parseInt(m.group(1));
                }
            }
            if (port[0] == 0) {
                throw new AssertionError("the broker started without logging its port: " + tail(log));
            }
            return true;
        });
        proxy.target(port[0]);
    }

    /** SIGKILL; returns once the process is dead. Clients see connections cut and then refused. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("broker " + process.pid() + " still running 30 s after SIGKILL");
        }
        proxy.cutAll();
    }

    /**
     * While on, the broker's proxy passes nothing either way on the connections it holds and on new ones: a broker
     * that is up but does not answer (a network partition), so requests wait for their timeouts.
     */
    public void blackhole(boolean on) {
        proxy.blackhole(on);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The bootstrap address clients use: the same across restarts. */
    public String bootstrap() {
        return "127.0.0.1:" + proxy.port();
    }

    /** Client settings for this broker. */
    public Properties clientConfig() {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return p;
    }

    /** Creates a topic with {@code partitions} partitions that takes events up to 2 MiB. */
    public void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "2101248"))))
                    .all().get(60, TimeUnit.SECONDS);
        }
    }

    private static String tail(Path file) throws IOException {
        String s = Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    /** The end of the current run's log, for a failure message. */
    public String logTail() throws IOException {
        return log == null ? "" : tail(log);
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (process != null && process.isAlive()) {
                kill();
            }
        } finally {
            proxy.close();
        }
    }
}
