package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.KafkaReceiverStore;
import io.wssink.internal.receiver.KafkaReceiverStore.Guarantee;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * 7. Scaling out (issue 14): acked events per second through a receiver that writes to Kafka ({@code serve --kafka}),
 * exactly-once and at-least-once, against the anchor: a bare idempotent {@link KafkaProducer} ({@code acks=all}) into
 * the same broker, with the same keys and headers, each batch waited for as the sinks' batches are. 1 or 16 streams
 * (one sink each), 100 B or 1 KiB. Goals: exactly-once at 100 B and 16 streams at least 0.5x the bare producer,
 * at-least-once at least 0.8x. {@link #ackLatencyExactlyOnce} and {@link #ackLatencyAtLeastOnce} time one event from
 * write to ack on an idle pipeline (sample mode: JMH prints p50 and p99); the receiver acks every 100 ms.
 *
 * <p>The broker is a single-node KRaft broker in a child JVM ({@link BenchBroker}), started once per trial with one
 * topic (16 partitions); each iteration gets a fresh receiver, sinks and streams. Each iteration prints where its CPU
 * went per event ({@link CpuSplit}): on this 2-core machine the sinks, the receiver and the broker share the cores,
 * and the anchor has no senders to feed.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// 40 s of warm-up: with 12 s the JIT still took a third of the process's CPU in the receivers' measured iterations
@Warmup(iterations = 8, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET, "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn"})
public class KafkaReceiverBenchmark {
    static final int BATCH = 1024;
    /**
     * Batches in flight, per stream. 32 (32k events in all) capped the Kafka receivers, not the bare producer: their
     * acks come once per commit (every 100 ms, plus the commit), so 32k events per ack round trip was all they could
     * have outstanding (exactly-once at 100 B and 16 streams measured 95k ev/s, CPU mostly idle). 128 batches (131k
     * events, 13 MB at 100 B) leave each side to its own flow control: the sinks' in-flight bound (16 MiB here) and
     * the producer's buffer.memory (32 MB, where send() blocks).
     */
    static final int WINDOW = 128;
    private static final AtomicInteger TOPICS = new AtomicInteger();

    @State(Scope.Benchmark)
    public static class Broker {
        @Param({"100", "1024"})
        int size;
        @Param({"1", "16"})
        int streams;
        Path dir;
        BenchBroker broker;
        byte[] payload;
        String topic;

        @Setup(Level.Trial)
        public void start() throws Exception {
            dir = Dirs.create("wssink-bench-kafka");
            broker = new BenchBroker(dir);
            payload = new byte[size];
            Arrays.fill(payload, (byte) 'x');
            // one topic for the trial; each iteration has new streams (new sinks, new keys). A topic per iteration
            // timed each new topic's first seconds (NOT_LEADER_OR_FOLLOWER retries in most of the bare producer's
            // iterations) and once failed the run (its description not yet served)
            topic = "bench-" + TOPICS.incrementAndGet();
            broker.createTopic(topic, 16);
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            broker.close();
        }
    }

    /** A receiver writing to Kafka, and one sink per stream, each with its window of batches. */
    public abstract static class Through {
        Path dir;
        ReferenceReceiver receiver;
        final List<WebSocketSink> sinks = new ArrayList<>();
        long[][] window;
        int turn;
        CpuSplit cpu;
        String label;

        void open(Broker b, Guarantee guarantee) throws Exception {
            dir = Dirs.create("wssink-bench-kafka-sinks");
            ReceiverConfig config = ReceiverConfig.builder(null).build();
            receiver = ReferenceReceiver.start(config, KafkaReceiverStore.open(config, b.topic, guarantee,
                    b.broker.clientConfig()));
            window = new long[b.streams][WINDOW];
            turn = 0;
            sinks.clear();
            for (int i = 0; i < b.streams; i++) {
                WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(dir.resolve("spool-" + i))
                        .maxSpoolBytes(64L << 30).maxInFlightBytes(16L << 20).build();
                sinks.add(sink);
            }
            for (WebSocketSink sink : sinks) {
                // connected, the stream opened (its producer made, the state topic read) and one event acked before
                // the iteration starts: a short iteration would otherwise time the opening
                sink.acked(sink.write(b.payload)).get(60, TimeUnit.SECONDS);
            }
            label = guarantee + " size=" + b.size + " streams=" + b.streams;
            cpu = new CpuSplit(b.broker.handle());
            cpu.begin();
        }

        /** BATCH events spread over the streams; waits for each stream's batch WINDOW turns earlier. */
        void batch(byte[] payload) {
            int per = Math.max(1, BATCH / sinks.size());
            int slot = turn++ % WINDOW;
            for (int s = 0; s < sinks.size(); s++) {
                WebSocketSink sink = sinks.get(s);
                long last = 0;
                for (int i = 0; i < per; i++) {
                    last = sink.write(payload);
                }
                if (window[s][slot] != 0) {
                    sink.acked(window[s][slot]).join();
                }
                window[s][slot] = last;
            }
        }

        @TearDown(Level.Iteration)
        public void close() throws Exception {
            if (turn > 0) { // not the latency benchmarks, which write one event at a time
                System.out.println(cpu.end(label, (long) turn * Math.max(1, BATCH / sinks.size()) * sinks.size()));
            }
            for (WebSocketSink sink : sinks) {
                sink.close();
            }
            receiver.close();
            Dirs.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class ExactlyOnce extends Through {
        @Setup(Level.Iteration)
        public void open(Broker b) throws Exception {
            open(b, Guarantee.EXACTLY_ONCE);
        }
    }

    @State(Scope.Benchmark)
    public static class AtLeastOnce extends Through {
        @Setup(Level.Iteration)
        public void open(Broker b) throws Exception {
            open(b, Guarantee.AT_LEAST_ONCE);
        }
    }

    /** The anchor: an idempotent producer, acks=all, the same keys and headers, no receiver, no spool. */
    @State(Scope.Benchmark)
    public static class Bare {
        KafkaProducer<byte[], byte[]> producer;
        byte[][] keys;
        Header[][] streamHeaders;
        long[] ids;
        Future<RecordMetadata>[][] window;
        int turn;
        CpuSplit cpu;
        String label;

        @Setup(Level.Iteration)
        @SuppressWarnings("unchecked")
        public void open(Broker b) {
            Properties p = b.broker.clientConfig();
            p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
            p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5"); // as the receiver's at-least-once producer
            p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(KafkaReceiverStore.BATCH_BYTES));
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            keys = new byte[b.streams][];
            streamHeaders = new Header[b.streams][];
            for (int i = 0; i < b.streams; i++) {
                keys[i] = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
                streamHeaders[i] = new Header[] {new RecordHeader(KafkaReceiverStore.STREAM_HEADER, keys[i])};
            }
            ids = new long[b.streams];
            window = new Future[b.streams][WINDOW];
            turn = 0;
            // one record per stream sent and acknowledged before the iteration, as the receiver paths do with one
            // event acked: the topic is new, and its partitions' leaders may not be known yet (the first iteration
            // at 16 streams met NOT_LEADER_OR_FOLLOWER retries, and once failed)
            try {
                for (int i = 0; i < b.streams; i++) {
                    byte[] id = ByteBuffer.allocate(8).putLong(++ids[i]).array();
                    producer.send(new ProducerRecord<>(b.topic, null, keys[i], b.payload, List.of(streamHeaders[i][0],
                            new RecordHeader(KafkaReceiverStore.ID_HEADER, id)))).get(60, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException("the bare producer could not write to the topic " + b.topic, e);
            }
            label = "bare size=" + b.size + " streams=" + b.streams;
            cpu = new CpuSplit(b.broker.handle());
            cpu.begin();
        }

        @TearDown(Level.Iteration)
        public void close() {
            System.out.println(cpu.end(label, (long) turn * Math.max(1, BATCH / keys.length) * keys.length));
            producer.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void exactlyOnce(Broker b, ExactlyOnce s) {
        s.batch(b.payload);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void atLeastOnce(Broker b, AtLeastOnce s) {
        s.batch(b.payload);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void bareIdempotentProducer(Broker b, Bare s) throws ExecutionException, InterruptedException {
        int per = Math.max(1, BATCH / b.streams);
        int slot = s.turn++ % WINDOW;
        for (int st = 0; st < b.streams; st++) {
            Future<RecordMetadata> last = null;
            for (int i = 0; i < per; i++) {
                byte[] id = ByteBuffer.allocate(8).putLong(++s.ids[st]).array();
                last = s.producer.send(new ProducerRecord<>(b.topic, null, s.keys[st], b.payload, List.of(
                        s.streamHeaders[st][0], new RecordHeader(KafkaReceiverStore.ID_HEADER, id))));
            }
            if (s.window[st][slot] != null) {
                s.window[st][slot].get();
            }
            s.window[st][slot] = last;
        }
    }

    /** One event, written and waited for: the time from write to ack (the first sink; the others idle). */
    @Benchmark
    @BenchmarkMode(org.openjdk.jmh.annotations.Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void ackLatencyExactlyOnce(Broker b, ExactlyOnce s) {
        WebSocketSink sink = s.sinks.get(0);
        sink.acked(sink.write(b.payload)).join();
    }

    @Benchmark
    @BenchmarkMode(org.openjdk.jmh.annotations.Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void ackLatencyAtLeastOnce(Broker b, AtLeastOnce s) {
        WebSocketSink sink = s.sinks.get(0);
        sink.acked(sink.write(b.payload)).join();
    }
}
