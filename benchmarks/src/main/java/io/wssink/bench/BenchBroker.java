package io.wssink.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single-node KRaft broker in a child JVM for {@link KafkaReceiverBenchmark}: both listeners on port 0, the broker's
 * port read back from its log (as the tests' KafkaBroker does, without the proxy: nothing here restarts it).
 */
final class BenchBroker implements AutoCloseable {
    private static final Pattern BOUND = Pattern.compile("Awaiting socket connections on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern CONTROLLER_PORT = Pattern.compile("CONTROLLER: resolved ephemeral port to (\\d+)");

    private final Path dir;
    private final Process process;
    private final int port;

    BenchBroker(Path dir) throws Exception {
        this.dir = dir;
        Path config = dir.resolve("server.properties");
        Files.writeString(config, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.quorum.bootstrap.servers=127.0.0.1:0",
                "log.dirs=" + dir.resolve("data"),
                "auto.create.topics.enable=false",
                "offsets.topic.num.partitions=2",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "log.cleaner.dedupe.buffer.size=33554432",
                "message.max.bytes=2101248",
                ""));
        Process format = java(List.of("kafka.tools.StorageTool", "format", "-c", config.toString(), "--cluster-id",
                Uuid.randomUuid().toString(), "--standalone"), dir.resolve("format.log"));
        if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException("formatting the broker failed: " + read(dir.resolve("format.log")));
        }
        Path log = dir.resolve("broker.log");
        process = java(List.of("kafka.Kafka", config.toString()), log);
        // a fork that ends without its trial's tear-down (a failed iteration) left its broker running, an orphan that
        // took CPU from every later fork of the run (seen: two such brokers during KafkaReceiverBenchmark)
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "bench-broker-kill"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int found = 0;
        while (found == 0) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the broker did not start: " + read(log));
            }
            Thread.sleep(100); // polling the broker's log for its port; a benchmark's setup, not a test
            String text = read(log);
            Matcher c = CONTROLLER_PORT.matcher(text);
            if (text.contains("Kafka Server started") && c.find()) {
                Matcher m = BOUND.matcher(text);
                while (m.find()) {
                    if (!m.group(1).equals(c.group(1))) {
                        found = Integer.parseInt(m.group(1));
                    }
                }
            }
        }
        port = found;
    }

    private static Process java(List<String> mainAndArgs, Path output) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-Dorg.slf4j.simpleLogger.logFile=System.out");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.metadata.ListenerInfo=info");
        cmd.add("-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info");
        cmd.add("-Dorg.slf4j.simpleLogger.log.kafka.network.DataPlaneAcceptor=info");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(mainAndArgs);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    /** The broker's process, for its CPU time. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    Properties clientConfig() {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return p;
    }

    void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "2101248")))).all().get(60, TimeUnit.SECONDS);
            // created is not led: an idempotent producer that wrote at once met NOT_LEADER_OR_FOLLOWER, then
            // OUT_OF_ORDER_SEQUENCE_NUMBER retries for minutes, and the bare producer's 16-stream runs failed
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                TopicDescription d;
                try {
                    d = admin.describeTopics(List.of(name)).allTopicNames().get(60, TimeUnit.SECONDS).get(name);
                } catch (ExecutionException e) {
                    // created, but not yet in the metadata the broker answers from: a run failed here once
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    d = null;
                }
                if (d != null && d.partitions().size() == partitions && d.partitions().stream().allMatch(
                        p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " has partitions without a leader: " + d);
                }
                Thread.sleep(50); // polling the broker in a benchmark's set-up, not a test
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        Dirs.delete(dir);
    }
}
