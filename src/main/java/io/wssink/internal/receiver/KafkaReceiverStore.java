package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.wssink.protocol.WireFormat;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeProducersResult;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A {@link ReceiverStore} that writes each event as a record of a Kafka topic: key = the stream id (a stream stays in
 * one partition, in order), value = the payload, headers {@value #STREAM_HEADER} (the stream id, UTF-8) and
 * {@value #ID_HEADER} (the id, 8 bytes big-endian). Many receivers behind a load balancer can share one topic.
 *
 * <p><b>Exactly once</b> ({@link Guarantee#EXACTLY_ONCE}): each connected stream gets its own transactional producer
 * whose {@code transactional.id} is derived from the topic and the stream, so {@code initTransactions()} on connect
 * fences whatever receiver owned the stream before (one that half-died, or was stopped) and aborts its open
 * transaction. The stream's highest stored id is written to the compacted state topic {@code T.wssink-state} in the
 * same transaction as the data, and read back {@code read_committed} on connect for the resume ack and the dedupe.
 * {@link #commit(Stream, Object)} commits the stream's transaction; the handler acks only after it completed.
 * Records that come while a commit runs wait in memory for the next transaction (bounded by the sink's bytes in
 * flight). A send or commit that fails, or a fenced producer, fails the stream's session: its connection closes
 * without acking and the sink reconnects and resends; the next session starts from what the state topic says.
 *
 * <p><b>At least once</b> ({@link Guarantee#AT_LEAST_ONCE}): one idempotent producer ({@code acks=all}) for all
 * streams; {@link #commit(Stream, Object)} completes once Kafka acknowledged every record up to the highest id
 * accepted. A failed send fails the session (no ack covers anything after it, the sink resends); consumers drop
 * duplicates by ({@value #STREAM_HEADER}, {@value #ID_HEADER}): keep the highest id seen per stream and drop any record at or below
 * it. The resume ack is the highest id Kafka acknowledged for the stream through this receiver since it started (0
 * after a restart): no state topic.
 *
 * <p><b>Threads.</b> Accept methods are called from the receiver's event loop and never call the producer: they queue
 * the records in the stream's session (at-least-once dedupes them there), and a drain on the store's own
 * {@code wssink-kafka} threads (exactly-once: dedupes them, once the open read the stream's highest id, and) calls
 * {@code send()}, which may wait up to max.block.ms for buffer memory (a broker that stops answering) without
 * holding up the event loop; above {@link #BACKLOG_BYTES} a stream's connection stops reading
 * ({@link #backlogged}). Everything that blocks ({@code initTransactions}, {@code send}, {@code commitTransaction},
 * reading the state topic, closing) runs on those threads (opens on their own {@code wssink-kafka-open} ones),
 * chained per session so that one stream's operations stay in order, and completes futures the handler hands back to its event loop. One lock (this) guards the streams and
 * sessions, and is never held while calling the producer; each state partition's reader has its own lock.
 */
public final class KafkaReceiverStore implements ReceiverStore {
    private static final Logger log = LoggerFactory.getLogger(KafkaReceiverStore.class);
    private static final String RAW_REFUSED = "raw mode has no ids, and the Kafka receiver needs them to store each"
            + " event once: connect with a wssink sink in mode auto or ack (it offers wssink.v1)";

    /** The Kafka version the tests run against (client and broker); the CLI's help and README name it. */
    public static final String TESTED_KAFKA_VERSION = "4.4.0";
    public static final String STREAM_HEADER = "wssink-stream";
    public static final String ID_HEADER = "wssink-id";
    /** The state topic of topic T is T + this. */
    public static final String STATE_TOPIC_SUFFIX = ".wssink-state";
    /** Room for the key, the headers and the record batch's own header beside the largest payload. */
    static final int RECORD_OVERHEAD_BYTES = 4096;
    /**
     * How long a read of the state topic waits at the same offset before it asks the coordinators whether the
     * transaction there still runs: a commit takes milliseconds; a coordinator that lost a transaction never ends it.
     */
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(3);
    /**
     * Payload bytes a stream's session holds before the producer took them, above which its connection stops reading
     * until half of them went. 16 MiB (twice the sink's default window) held up to 16 MiB of ProducerRecords per
     * stream on the heap when the producer fell behind: young GCs of ~120 ms copying them, at 16 streams in
     * KafkaReceiverBenchmark. What waits beyond the bound waits in TCP and in the sink's spool, off this heap.
     */
    static final long BACKLOG_BYTES = 1L << 20;
    /** The producers' batch.size (Kafka's default: 16 KiB); the operator's producer config may change it. */
    public static final int BATCH_BYTES = 64 << 10;
    /** Pending records handed to the producer per hold of the lock. */
    private static final int DRAIN_CHUNK = 1024;
    /** Opens at once; more wait their turn without holding up other streams' drains and commits. */
    private static final int OPEN_THREADS = 8;
    /** The failure of an open whose connection closed meanwhile: the store's own, not Kafka's. */
    private static final String ABANDONED_OPEN = "the connection closed while its stream opened";
    /** Set once by the receiver before it listens; counted into by the event loops. */
    private volatile ReceiverMeters meters = new ReceiverMeters();
    /** Settings the store owns: a producer-config file that sets them is refused. */
    private static final Set<String> OWN_SETTINGS = Set.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.ACKS_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

    /** What the store promises consumers. */
    public enum Guarantee {
        EXACTLY_ONCE, AT_LEAST_ONCE
    }

    private final String topic;
    private final String stateTopic;
    private final Guarantee guarantee;
    private final Properties clientConfig;
    private final int maxPayloadBytes;
    private final Duration stateReadTimeout;
    /** Runs the sessions' drains, commits and ends; each session chains its own calls so they stay in order. */
    private final ExecutorService blocking;
    /**
     * Runs the opens, on the same per-session chain: an open waits up to max.block.ms in initTransactions and up to
     * the state read timeout in the admin calls and the state read, and sixteen such opens on {@link #blocking} held
     * up every other stream's commits, and so their acks. A session's later calls still start only once its open
     * ended (they chain on its {@code tail}), and its commits only once it is ready, which the open sets last: an open
     * and a commit of one session never run at once.
     */
    private final ExecutorService opens;
    /** Runs the producer's callbacks in the order they come, off Kafka's I/O thread. */
    private final ExecutorService callbacks;
    /** At-least-once: the one producer of all streams; null in exactly-once mode. Thread-safe. */
    private final KafkaProducer<byte[], byte[]> shared;
    /** Exactly-once: reads the state topic; null in at-least-once mode. */
    private final StateReader stateReader;

    // guarded by this
    private final StreamTable streams;
    /** The current session of each stream that has an owner. */
    private final Map<String, Session> sessions = new HashMap<>();
    private long records;
    private long duplicates;
    private boolean closed;

    /** One connection's use of one stream. Guarded by the store, but {@code producer} once set. */
    private final class Session {
        final Stream stream;
        final Object owner;
        final byte[] key;
        final RecordHeader streamHeader;
        /** Exactly-once: the session's own transactional producer, set once it is made; else the shared one. */
        volatile KafkaProducer<byte[], byte[]> producer;
        /** The stream's highest id is known and records may be sent (a transaction is open, in exactly-once). */
        boolean ready;
        /**
         * Exactly-once: a commit was asked for and has not completed: the drain stops at {@link #commitAt}, and what
         * came after waits in pending for the next transaction.
         */
        boolean committing;
        /** While committing: the count of records queued when the commit was asked for ({@link #queued}). */
        long commitAt;
        /** A drain of pending is queued or runs on the session's chain: new records queue behind it. */
        boolean draining;
        /**
         * Every accepted record, in order, until a store thread (exactly-once: deduplicates it and) hands it to the
         * producer: the event loop never calls the producer, whose send() blocks up to max.block.ms for buffer memory
         * or metadata.
         */
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        /** Records ever added to pending, and ever taken from it. */
        long queued;
        long dequeued;
        /** The payload bytes in pending: above {@link #BACKLOG_BYTES} the connection stops reading. */
        long pendingBytes;
        /** Called once pending fell to half of {@link #BACKLOG_BYTES} (the connection reads again), or null. */
        Runnable whenDrained;
        /** The highest id Kafka holds for sure: committed (exactly-once) or acknowledged in order (at-least-once). */
        long stored;
        /** At-least-once: commits waiting for the acknowledgement of an id. */
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        /** The highest id handed to the producer. */
        long sent;
        /**
         * Why Kafka refused the session's records, or null. Written under the store's lock, read without it by the
         * drain before each send: a synchronized check per record contended with the event loops' accepts and the
         * commits (a profile of exactly-once at 16 streams showed the store's monitor the most contended lock).
         */
        volatile Throwable failure;
        boolean closed;
        /** The last blocking call queued for this session; the next one runs after it, failed or not. */
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
        /** Exactly-once: the state topic's partition that holds this stream's key; set once, before ready. */
        volatile int statePartition;
        /**
         * Exactly-once: the data topic's partitions the open transaction wrote into, added by the producer's I/O
         * thread as each send completes, read and cleared by the commit once {@code commitTransaction} has flushed.
         */
        final Set<Integer> dataPartitions = ConcurrentHashMap.newKeySet();
        /**
         * Exactly-once: the producer id and epoch the coordinator gave the stream's producer, as of its last open or
         * commit; only the session's chain reads and writes them.
         */
        long producerId = -1;
        int producerEpoch = -1;
        /** The producer's callback of a record whose acknowledgement moves nothing: fails the session if it failed. */
        final Callback onFailure = (meta, e) -> {
            if (e != null) {
                callbacks.execute(() -> fail(this, e));
            } else if (meta != null && !dataPartitions.contains(meta.partition()) && meta.topic().equals(topic)) {
                dataPartitions.add(meta.partition()); // one partition per stream: a read per record, a write rarely
            }
        };

        Session(Stream stream, Object owner) {
            this.stream = stream;
            this.owner = owner;
            this.key = stream.id().getBytes(StandardCharsets.UTF_8);
            this.streamHeader = new RecordHeader(STREAM_HEADER, key);
        }
    }

    /** A record waiting to be deduplicated and handed to the producer. */
    private record Pending(long id, ProducerRecord<byte[], byte[]> record) {
    }

    private record Waiter(long id, CompletableFuture<Void> done) {
    }

    /** A blocking call on Kafka. */
    private interface Call {
        void run() throws Exception;
    }

    /**
     * Connects to the cluster, checks that the topic exists and creates the compacted state topic if missing.
     *
     * @param clientConfig {@code bootstrap.servers} and whatever the operator's --producer-config file adds (security,
     *                     timeouts); the store's own settings (acks, idempotence, transactional.id) must not be in it
     * @throws IOException with a message for the operator: no broker, no topic
     * @throws IllegalArgumentException when {@code clientConfig} sets what the store sets itself
     */
    public static KafkaReceiverStore open(ReceiverConfig config, String topic, Guarantee guarantee,
            Properties clientConfig) throws IOException {
        return new KafkaReceiverStore(topic, guarantee, clientConfig, config.maxMessageBytes(), config.maxStreams(),
                config.forgetAfter(), System::currentTimeMillis);
    }

    KafkaReceiverStore(String topic, Guarantee guarantee, Properties clientConfig, int maxPayloadBytes, int maxStreams,
            Duration forgetAfter, LongSupplier clock) throws IOException {
        for (String own : OWN_SETTINGS) {
            if (clientConfig.containsKey(own)) {
                throw new IllegalArgumentException("the producer config sets " + own
                        + ", which the receiver sets itself for the "
                        + guarantee.name().toLowerCase(Locale.ROOT).replace('_', '-') + " guarantee: remove it");
            }
        }
        if (clientConfig.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
            throw new IOException("no bootstrap.servers: give --kafka HOST:PORT");
        }
        this.topic = topic;
        this.stateTopic = topic + STATE_TOPIC_SUFFIX;
        this.guarantee = guarantee;
        this.clientConfig = clientConfig;
        this.maxPayloadBytes = maxPayloadBytes;
        this.streams = new StreamTable(maxStreams, forgetAfter, clock);
        this.stateReadTimeout = Duration.ofMillis(Long.parseLong(producerConfig(null)
                .getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)) + 15_000);
        AtomicInteger n = new AtomicInteger();
        this.blocking = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "wssink-kafka-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        AtomicInteger o = new AtomicInteger();
        this.opens = Executors.newFixedThreadPool(OPEN_THREADS, r -> {
            Thread t = new Thread(r, "wssink-kafka-open-" + o.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.callbacks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wssink-kafka-acks");
            t.setDaemon(true);
            return t;
        });
        boolean ok = false;
        KafkaProducer<byte[], byte[]> producer = null;
        StateReader reader = null;
        try {
            checkTopics();
            if (guarantee == Guarantee.AT_LEAST_ONCE) {
                producer = newProducer(null);
                producer.partitionsFor(topic);
            } else {
                reader = new StateReader();
            }
            ok = true;
        } finally {
            if (!ok) {
                if (producer != null) {
                    producer.close(Duration.ZERO);
                }
                blocking.shutdownNow();
                opens.shutdownNow();
                callbacks.shutdownNow();
            }
        }
        this.shared = producer;
        this.stateReader = reader;
        log.info("writing to Kafka topic {} ({}), state in {}", topic, guarantee, guarantee == Guarantee.EXACTLY_ONCE
                ? stateTopic : "memory only");
    }

    /** The settings of a producer: the operator's, then the store's; {@code transactionalId} null for none. */
    private Properties producerConfig(String transactionalId) {
        Properties p = new Properties();
        // defaults the operator may change: a transaction spans one ack interval, so a short timeout lets a stream
        // whose receiver died mid-transaction (and that never reconnects) stop holding back read_committed readers
        p.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "15000");
        // initTransactions and commitTransaction wait this long for a broker that is down, then the stream's
        // connection closes without acking and its sink retries
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(BATCH_BYTES));
        p.putAll(clientConfig);
        p.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(maxPayloadBytes, 1 << 20)
                + RECORD_OVERHEAD_BYTES));
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        if (transactionalId != null) {
            p.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return p;
    }

    private KafkaProducer<byte[], byte[]> newProducer(String transactionalId) {
        return new KafkaProducer<>(producerConfig(transactionalId), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /** The transactional.id of a stream: one per topic and stream, the same on every receiver. */
    static String transactionalId(String topic, String streamId) {
        return "wssink-" + topic + "-" + streamId;
    }

    private Properties adminConfig() {
        Properties p = new Properties();
        p.putAll(clientConfig);
        p.keySet().retainAll(AdminClientConfig.configNames());
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return p;
    }

    private void checkTopics() throws IOException {
        try (Admin admin = Admin.create(adminConfig())) {
            try {
                admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException("cannot use Kafka topic " + topic + " at "
                        + clientConfig.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) + ": "
                        + e.getCause().getMessage() + " (create it first; README, 'Scaling out')", e);
            }
            if (guarantee == Guarantee.EXACTLY_ONCE) {
                NewTopic state = new NewTopic(stateTopic, Optional.empty(), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                try {
                    admin.createTopics(List.of(state)).all().get(30, TimeUnit.SECONDS);
                    log.info("created the compacted state topic {}", stateTopic);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IOException("cannot create the state topic " + stateTopic + ": "
                                + e.getCause().getMessage() + " (create it compacted, or let the receiver do it)",
                                e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking the Kafka topics", e);
        } catch (TimeoutException e) {
            throw new IOException("no answer from Kafka at "
                    + clientConfig.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) + " within 30 s", e);
        }
    }

    public Guarantee guarantee() {
        return guarantee;
    }

    public String topic() {
        return topic;
    }

    // ---------------------------------------------------------------- streams and ownership (a StreamTable, as in FileReceiverStore)

    @Override
    public synchronized Stream stream(String id) {
        // a stream forgotten for room: exactly-once keeps its state in the state topic; at-least-once resumes at 0
        return streams.stream(id, forgotten -> { });
    }

    @Override
    public synchronized Object claim(Stream stream, Object owner) {
        return streams.claim(stream, owner);
    }

    /**
     * Starts {@code owner}'s session of the stream: exactly-once makes its transactional producer (fencing any
     * previous owner, here or on another receiver), reads the stream's highest id from the state topic and begins a
     * transaction, on the store's threads. Frames accepted meanwhile wait, and are deduped once the id is known.
     */
    @Override
    public synchronized CompletableFuture<Void> open(Stream stream, Object owner) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreFailedException("the receiver is closing", null));
        }
        Session s = new Session(stream, owner);
        // the previous session ends first, while it is still the stream's: end() sets stream.highest back to what
        // Kafka acknowledged to it. Put first, that was skipped, and an at-least-once takeover of a live connection
        // resumed from the highest id handed to the producer: its resume ack covered records still in flight
        // (KafkaReceiverIT's takeover test, broker blackholed). Exactly-once sets stream.highest to 0 below anyway.
        Session previous = sessions.remove(stream.id());
        if (previous != null) {
            end(previous);
        }
        sessions.put(stream.id(), s);
        if (guarantee == Guarantee.AT_LEAST_ONCE) {
            s.producer = shared;
            s.stored = stream.highest; // what this receiver saw acknowledged; 0 for a stream it never saw
            s.ready = true;
            return CompletableFuture.completedFuture(null);
        }
        stream.highest = 0; // unknown until the state topic is read; no ack is sent before
        return later(s, () -> {
            KafkaProducer<byte[], byte[]> p = newProducer(transactionalId(topic, stream.id()));
            s.producer = p;
            synchronized (this) {
                if (s.closed) {
                    p.close(Duration.ZERO);
                    throw new StoreFailedException(ABANDONED_OPEN, null);
                }
            }
            p.initTransactions(); // fences the stream's previous owner and ends its open transaction
            List<TopicPartition> written = new ArrayList<>();
            for (PartitionInfo info : p.partitionsFor(topic)) { // metadata now: the drain's sends never wait for it
                written.add(new TopicPartition(topic, info.partition()));
            }
            int partition = statePartition(s.key, p.partitionsFor(stateTopic).size());
            s.statePartition = partition;
            written.add(new TopicPartition(stateTopic, partition));
            TransactionDescription own = stateReader.abortHanging(transactionalId(topic, stream.id()), written);
            s.producerId = own.producerId();
            s.producerEpoch = own.producerEpoch();
            long held = stateReader.highest(stream.id(), partition, () -> isClosed(s));
            p.beginTransaction();
            synchronized (this) {
                if (s.closed) {
                    throw new StoreFailedException(ABANDONED_OPEN, null);
                }
                s.stored = held;
                if (sessions.get(stream.id()) == s) {
                    stream.highest = held;
                }
                log.debug("stream {}: opened; the state topic holds {}, {} records waited", stream.id(), held,
                        s.pending.size());
                s.ready = true;
                s.draining = true;
                later(s, () -> drainPending(s)); // on the drain threads, after this open on the session's chain
            }
        }, opens);
    }

    @Override
    public synchronized void release(Stream stream, Object owner) {
        streams.release(stream, owner);
        Session s = sessions.get(stream.id());
        if (s != null && s.owner == owner) {
            sessions.remove(stream.id());
            end(s);
        }
    }

    /** Ends a session: what it did not commit is aborted (the sink resends it), its producer closed. Holds the lock. */
    private void end(Session s) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        if (sessions.get(s.stream.id()) == null || sessions.get(s.stream.id()) == s) {
            s.stream.highest = s.stored; // what was not stored is sent again by the sink
        }
        failWaiters(s, new StoreFailedException("the stream's connection closed", null));
        resumeReading(s);
        if (guarantee == Guarantee.EXACTLY_ONCE) {
            later(s, () -> {
                KafkaProducer<byte[], byte[]> p = s.producer;
                if (p == null) {
                    return;
                }
                long upTo;
                boolean commit;
                synchronized (this) {
                    upTo = s.sent;
                    commit = s.ready && s.failure == null && Long.compareUnsigned(upTo, s.stored) > 0;
                }
                try {
                    if (commit) {
                        // what the closed connection sent last is stored, unacked: the next resume ack covers it,
                        // as the file store commits on close. A receiver that lost the stream to another one (it was
                        // stopped, or cut off) is fenced here, and nothing of its open transaction is stored.
                        p.send(stateRecord(s, upTo));
                        p.commitTransaction();
                        log.debug("stream {}: committed up to {} as its connection closed", s.stream.id(), upTo);
                    }
                } catch (RuntimeException e) {
                    log.warn("stream {}: did not commit what its closed connection sent ({}); its sink resends it",
                            s.stream.id(), e.toString());
                } finally {
                    // no abortTransaction: it may wait for a broker that is down; the next owner's initTransactions
                    // aborts what is left open, or the transaction timeout does
                    p.close(Duration.ZERO);
                }
            });
        }
    }

    /**
     * Exactly-once: no, a transaction commit per stream per read burst would cost a round trip to the broker and
     * markers on two partitions each: every ack interval (or ackBytes). At-least-once: yes, its commit only waits for
     * Kafka's acknowledgement of what was sent anyway; waiting for the interval made an idle stream's ack latency
     * ~100 ms (KafkaReceiverBenchmark, session 6: p50 99.9 ms).
     */
    @Override
    public boolean commitsAtEveryReadBurst() {
        return guarantee == Guarantee.AT_LEAST_ONCE;
    }

    /** Counts records, bytes and duplicates into {@code m} from now on (serve --metrics-port); before it listens. */
    @Override
    public void meters(ReceiverMeters m) {
        meters = m;
    }

    @Override
    public synchronized long highest(Stream stream) {
        return stream.highest;
    }

    /** The highest id the stream's current session handed to the producer (tests: at-least-once's highest() is ahead). */
    synchronized long sent(Stream stream) {
        Session s = sessions.get(stream.id());
        return s == null ? 0 : s.sent;
    }

    /** Failures end one stream's session, not the whole store: the epoch never moves. */
    @Override
    public long epoch() {
        return 0;
    }

    // ---------------------------------------------------------------- accepting

    @Override
    public synchronized String acceptFrame(Stream stream, Object owner, long epoch, ByteBuf frame)
            throws IOException {
        Session s = sessions.get(stream.id());
        if (stream.owner != owner || s == null || s.owner != owner) {
            return REPLACED;
        }
        check(s);
        String[] refused = new String[1];
        String malformed = WireFormat.readRecords(frame, (id, payload) -> {
            if (refused[0] == null && payload.readableBytes() > maxPayloadBytes) {
                refused[0] = "an event of " + payload.readableBytes() + " bytes is larger than the receiver's"
                        + " limit of " + maxPayloadBytes;
            }
        });
        if (malformed != null || refused[0] != null) {
            return malformed != null ? malformed : refused[0];
        }
        WireFormat.readRecords(frame, (id, payload) -> {
            records++;
            meters.received(payload.readableBytes());
            if (s.failure != null) {
                return;
            }
            if (guarantee == Guarantee.AT_LEAST_ONCE) {
                // the stream's highest id is known from the open on (exactly-once learns it later, and dedupes in
                // the drain): deduped here, so that highest() covers this read burst at its end and the ack made
                // there (commitsAtEveryReadBurst) waits for these records; in the drain it had not moved yet
                if (!takesNew(s, id)) {
                    return;
                }
            }
            s.pending.add(new Pending(id, record(s, id, payload))); // in order
            s.queued++;
            s.pendingBytes += payload.readableBytes();
        });
        if (s.ready && !s.draining && !s.committing && !s.pending.isEmpty()) {
            s.draining = true;
            later(s, () -> drainPending(s));
        }
        check(s);
        return null;
    }

    /**
     * Whether the session holds more than {@link #BACKLOG_BYTES} that the producer has not taken: then the caller
     * stops reading its connection, and {@code whenDrained} is called (on a store thread) once half of it went or
     * the session ended.
     */
    @Override
    public synchronized boolean backlogged(Stream stream, Object owner, Runnable whenDrained) {
        Session s = sessions.get(stream.id());
        if (s == null || s.owner != owner || s.closed || s.pendingBytes <= BACKLOG_BYTES) {
            return false;
        }
        s.whenDrained = whenDrained;
        return true;
    }

    /** Lets a paused connection read again. Holds the lock. */
    private void resumeReading(Session s) {
        Runnable r = s.whenDrained;
        if (r != null) {
            s.whenDrained = null;
            r.run();
        }
    }

    private synchronized boolean isClosed(Session s) {
        return s.closed;
    }

    /**
     * The dedupe of both guarantees (at-least-once when it accepts a record, exactly-once when it drains one): whether
     * {@code id} is past what the stream holds, which then moves to it; a duplicate is counted. Holds the lock.
     */
    private boolean takesNew(Session s, long id) {
        if (Long.compareUnsigned(id, s.stream.highest) <= 0) {
            duplicates++;
            meters.duplicate();
            return false;
        }
        s.stream.highest = id;
        return true;
    }

    private static boolean failed(Session s) {
        return s.failure != null;
    }

    private void check(Session s) throws StoreFailedException {
        if (s.failure != null) {
            throw new StoreFailedException("Kafka refused the stream's records: " + s.failure, s.failure);
        }
        if (closed) {
            throw new StoreFailedException("the receiver is closing", null);
        }
    }

    /**
     * The stream's highest id for the state topic, to the partition its key hashes to and where
     * {@link StateReader#highest} looks for it: named, not left to the producer's partitioner, which an operator's
     * producer config may replace.
     */
    private ProducerRecord<byte[], byte[]> stateRecord(Session s, long upTo) {
        return new ProducerRecord<>(stateTopic, s.statePartition, s.key, ByteBuffer.allocate(8).putLong(upTo).array());
    }

    /**
     * Whether a CompleteCommit the coordinator reports at producer {@code id} epoch {@code epoch} can be the commit of
     * the producer that was at {@code knownId} epoch {@code knownEpoch} before it: the same id at the same epoch
     * (Kafka's transaction version 1) or one above (version 2 bumps the epoch at each commit), or a new id once the
     * epoch had run out (version 2 moves to a new producer id at 32766 and above). Another owner's initTransactions
     * bumps the epoch and its commit once more: two above, or more. Not caught: under version 1 a takeover and its
     * commit show one above, so a takeover that also aborted this commit (a coordinator that lost it) and committed
     * its own within one wait would pass; the partitions' check does not see that either.
     */
    static boolean committedBySameProducer(long knownId, int knownEpoch, long id, int epoch) {
        if (id == knownId) {
            return epoch == knownEpoch || epoch == knownEpoch + 1;
        }
        return knownEpoch >= Short.MAX_VALUE - 1;
    }

    /**
     * The state topic's partition of a stream: the producer's default partitioner's choice for its key (murmur2), so
     * state records written before records named their partition are where the reader looks. Adding partitions to
     * the state topic moves streams: their next session reads 0 and the sink resends what was stored (README).
     */
    static int statePartition(byte[] key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    private ProducerRecord<byte[], byte[]> record(Session s, long id, ByteBuf payload) {
        byte[] value = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), value);
        byte[] idBytes = ByteBuffer.allocate(8).putLong(id).array();
        Header[] headers = {s.streamHeader, new RecordHeader(ID_HEADER, idBytes)};
        return new ProducerRecord<>(topic, null, s.key, value, List.of(headers));
    }

    /**
     * Hands the pending records to the producer once the stream is ready and no commit runs, until none is left. A
     * chunk at a time, without the lock while sending: a sink's whole window (8 MiB, 187,000 records of 20 bytes in
     * KafkaReceiverIT) sent under the lock kept the event loop from answering pings for seconds, the sink
     * reconnected, and the next session queued the same window again. Runs on a store thread.
     */
    private void drainPending(Session s) {
        List<Pending> chunk = new ArrayList<>(DRAIN_CHUNK);
        while (true) {
            synchronized (this) {
                Pending p;
                // a closed session's records are not sent: its end() commits what was, and the next session's
                // stream.highest must not move behind it
                while (chunk.size() < DRAIN_CHUNK && s.failure == null && !s.closed
                        && !(s.committing && s.dequeued >= s.commitAt) && (p = s.pending.poll()) != null) {
                    s.dequeued++;
                    s.pendingBytes -= p.record.value().length;
                    // at-least-once deduped them when it accepted them
                    if (guarantee == Guarantee.EXACTLY_ONCE && !takesNew(s, p.id)) {
                        continue;
                    }
                    s.sent = p.id;
                    chunk.add(p);
                }
                if (s.pendingBytes <= BACKLOG_BYTES / 2 || s.failure != null) {
                    resumeReading(s);
                }
                if (chunk.isEmpty()) {
                    s.draining = false; // a commit that waits for this drain runs next on the session's chain
                    return;
                }
            }
            int last = chunk.size() - 1;
            for (int i = 0; i <= last; i++) {
                if (failed(s)) {
                    break;
                }
                Pending p = chunk.get(i);
                // in order, on the session's chain: the event loop only queues. At-least-once: only the chunk's last
                // record reports its acknowledgement (the stream's one partition and the idempotent producer
                // acknowledge in order, and every record still reports its failure, first): one callback task per
                // record on the one callback thread, under the store's lock, was one task and one lock per event
                handOff(s, p.id, p.record, i == last);
            }
            chunk.clear();
        }
    }

    /**
     * producer.send, without the lock.
     *
     * @param reportAck at-least-once: this record's acknowledgement moves what the stream has stored (the last of a
     *                  chunk); any record's failure fails the session
     */
    private void handOff(Session s, long id, ProducerRecord<byte[], byte[]> r, boolean reportAck) {
        // called on a store thread without the lock. Callbacks never take the store's lock on the producer's I/O
        // thread: the lock held there waits for whoever holds it, and so does every other stream's send. A failure
        // that send() reports at once (its topic's metadata did not come within max.block.ms) comes on this thread:
        // fail the session here and now, or every further record of the chunk waits as long (an event loop sat in
        // send() for 17 minutes, one 5 s wait per record, after a broker restart in KafkaReceiverIT, when it sent)
        Callback done = guarantee == Guarantee.AT_LEAST_ONCE && reportAck
                ? (meta, e) -> callbacks.execute(() -> acknowledged(s, id, e))
                : s.onFailure;
        try {
            Future<RecordMetadata> sent = s.producer.send(r, done);
            if (sent.isDone()) { // failed or acknowledged at once: stop the drain now
                try {
                    sent.get();
                } catch (ExecutionException e) {
                    fail(s, e.getCause());
                }
            }
        } catch (RuntimeException e) { // a fenced or closed producer, a record it cannot serialize
            fail(s, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(s, e);
        }
    }

    @Override
    public String acceptRaw(long epoch, ByteBuf payload) {
        return RAW_REFUSED; // not reached: the handshake is refused first (refusesRaw)
    }

    @Override
    public String refusesRaw() {
        return RAW_REFUSED;
    }

    // ---------------------------------------------------------------- committing

    /** Nothing global to commit: each stream commits its own ({@link #commit(Stream, Object)}). */
    @Override
    public CompletableFuture<Void> commit() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Exactly-once: writes the stream's highest id to the state topic and commits the transaction; at-least-once:
     * completes once Kafka acknowledged every record up to the highest id accepted. Either way, what
     * {@link #highest(Stream)} said just before the call is in Kafka when the future completes.
     */
    @Override
    public synchronized CompletableFuture<Void> commit(Stream stream, Object owner) {
        Session s = sessions.get(stream.id());
        if (s == null || s.closed || s.owner != owner) {
            // a connection that lost its stream to a newer one must not commit (nor ack) the newer one's records
            return CompletableFuture.failedFuture(new StoreFailedException("the connection no longer owns the stream",
                    null));
        }
        if (s.failure != null) {
            return CompletableFuture.failedFuture(new StoreFailedException("Kafka refused the stream's records: "
                    + s.failure, s.failure));
        }
        if (!s.ready) {
            return CompletableFuture.failedFuture(new StoreFailedException("the stream is not open yet", null));
        }
        long upTo = stream.highest;
        if (Long.compareUnsigned(upTo, s.stored) <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (guarantee == Guarantee.AT_LEAST_ONCE) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            s.waiters.add(new Waiter(upTo, f));
            return f;
        }
        if (s.committing) { // the handler waits for one commit before the next: never here, but never two at once
            return CompletableFuture.failedFuture(new StoreFailedException("a commit of the stream runs", null));
        }
        s.committing = true;
        s.commitAt = s.queued; // the drain queued before this call hands over up to upTo, and stops there
        KafkaProducer<byte[], byte[]> p = s.producer;
        CompletableFuture<Void> committed = new CompletableFuture<>();
        later(s, () -> {
            long sent;
            synchronized (this) {
                sent = s.sent; // at least upTo: the records up to it were drained before this ran
            }
            try {
                // the state record's send waits here, on a store thread, if the producer's buffer is full
                handOff(s, sent, stateRecord(s, sent), false);
                p.commitTransaction(); // flushes, then commits: the data and the state record, or neither
                stateReader.awaitMarkers(s);
            } catch (RuntimeException e) {
                fail(s, e);
                throw e;
            }
            if (log.isTraceEnabled()) {
                log.trace("stream {}: committed up to {}", stream.id(), sent);
            }
            p.beginTransaction(); // local: no request until the first send
            synchronized (this) {
                if (s.failure != null) { // a send of the transaction failed after commitTransaction flushed it
                    throw new StoreFailedException("Kafka refused the stream's records: " + s.failure, s.failure);
                }
                if (Long.compareUnsigned(sent, s.stored) > 0) {
                    s.stored = sent;
                }
                s.committing = false;
                if (!s.pending.isEmpty() && !s.draining) {
                    s.draining = true;
                    later(s, () -> drainPending(s));
                }
            }
            // only now: the handler's next commit, right after its ack, found the store still committing and closed
            // the connection (unlogged 1011s in KafkaReceiverIT)
            committed.complete(null);
        }).whenComplete((v, e) -> {
            if (e != null) {
                fail(s, e);
                committed.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            }
        });
        return committed;
    }

    /** At-least-once: Kafka acknowledged record {@code id} (or failed it). Called on the producer's I/O thread. */
    private synchronized void acknowledged(Session s, long id, Exception e) {
        if (e != null) {
            fail(s, e);
            return;
        }
        if (s.failure != null) {
            return; // a record after a failed one: acknowledging it would cover the lost one
        }
        // one partition per stream, and an idempotent producer: acknowledgements come in the order of the sends
        s.stored = id;
        Waiter w;
        while ((w = s.waiters.peek()) != null && Long.compareUnsigned(w.id, id) <= 0) {
            s.waiters.poll().done.complete(null);
        }
    }

    /** A send, a commit or the opening failed: the session refuses everything, its connection closes unacked. */
    private synchronized void fail(Session s, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (s.failure != null) {
            return;
        }
        s.failure = cause;
        if (!s.closed) {
            log.warn("stream {}: Kafka refused its records ({}); closing its connection without acking, the sink"
                    + " resends", s.stream.id(), cause.toString());
        } else if (cause instanceof StoreFailedException && ABANDONED_OPEN.equals(cause.getMessage())) {
            // nothing was sent: the open stopped because its connection went (a sink that reconnected meanwhile)
            log.debug("stream {}: its open stopped, the connection closed", s.stream.id());
        } else if (!closed) {
            // a zombie's commit that failed once its connection was gone (stopped inside commitTransaction, it woke
            // up to a closed socket and a fenced producer) said nothing before: KafkaReceiverIT's zombie test
            log.warn("stream {}: Kafka refused what its closed connection sent ({}); nothing of it is stored, the sink"
                    + " resends it", s.stream.id(), cause.toString());
        }
        failWaiters(s, new StoreFailedException("Kafka refused the stream's records: " + cause, cause));
        s.pending.clear();
        s.pendingBytes = 0;
        resumeReading(s); // the connection closes: it must read to see its close
        end(s); // it stays the stream's session, refusing frames, until its connection releases it
    }

    private void failWaiters(Session s, StoreFailedException e) {
        Waiter w;
        while ((w = s.waiters.poll()) != null) {
            w.done.completeExceptionally(e);
        }
    }

    /** Queues a blocking call behind the session's previous one, on the store's threads. Holds the lock. */
    private CompletableFuture<Void> later(Session s, Call call) {
        return later(s, call, blocking);
    }

    /** Queues a blocking call behind the session's previous one, on {@code executor}. Holds the lock. */
    private CompletableFuture<Void> later(Session s, Call call, Executor executor) {
        CompletableFuture<Void> f = s.tail.thenRunAsync(() -> {
            try {
                call.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, executor);
        s.tail = f.handle((v, e) -> null);
        f.whenComplete((v, e) -> {
            if (e != null) {
                fail(s, e);
            }
        });
        return f;
    }

    // ---------------------------------------------------------------- counters, close

    @Override
    public synchronized long records() {
        return records;
    }

    @Override
    public synchronized long duplicates() {
        return duplicates;
    }

    @Override
    public synchronized int streams() {
        return streams.size();
    }

    @Override
    public Path output() {
        return null;
    }

    @Override
    public void close() throws IOException {
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (Session s : sessions.values()) {
                try {
                    end(s);
                } catch (RuntimeException e) {
                    // one session's end must not keep the others open and the producers below unclosed
                    log.debug("stream {}: ending its session on close: {}", s.stream.id(), e.toString());
                }
                ends.add(s.tail);
            }
            sessions.clear();
        }
        try {
            CompletableFuture.allOf(ends.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("closing the Kafka store's producers: {}", e.toString());
        }
        blocking.shutdownNow();
        opens.shutdownNow();
        callbacks.shutdownNow();
        if (shared != null) {
            shared.close(Duration.ofSeconds(5)); // what was not acknowledged is resent by the sinks anyway
        }
        if (stateReader != null) {
            stateReader.close();
        }
    }

    /**
     * Reads the state topic {@code read_committed}, one partition per stream: a stream's state records all go to the
     * partition its key hashes to ({@link #statePartition}), so opening a stream reads that partition only, from where
     * the previous read of it stopped, and keeps the latest highest id of each stream seen there.
     *
     * <p><b>How far.</b> To the partition's high watermark, listed after {@code initTransactions()}: that fenced the
     * stream's previous owner and completed its transaction (InitProducerId returns only once the markers are
     * written), so the stream's last committed state record is below the high watermark and nothing of this stream is
     * still open. Not to the last stable offset: another stream's transaction that wrote its state record before ours
     * and is still open (a receiver killed between its state send and its commit, for up to the transaction timeout)
     * puts the last stable offset below our committed record, and reading to it would return an older id, whose
     * records the sink would then resend: duplicates. So a read still waits for such a transaction, but only for one
     * in the same partition, and never longer than {@link #stateReadTimeout}; after a broker restart that is the
     * transaction timeout (15 s) plus the broker's abort check.
     *
     * <p>Before, one reader read every partition up to each one's high watermark, under one monitor: one open
     * transaction anywhere held every stream's open, and the opens of connections that had already closed (the sink
     * reconnects every few hundred ms while it gets no resume ack) still queued for that monitor and read, one 30 s
     * timeout after another, so a stream waited minutes behind its own earlier attempts (issue #14's stall). A read
     * now gives up as soon as its connection closed, whether it waits for the partition or reads it.
     */
    private final class StateReader {
        private final Admin admin = Admin.create(adminConfig());
        /** The reader of each state partition read so far. Guarded by itself. */
        private final Map<Integer, PartitionReader> readers = new HashMap<>();
        // guarded by readers
        private boolean readerClosed;

        /** The highest id of {@code streamId} in state partition {@code partition}; fails once {@code abandoned}. */
        long highest(String streamId, int partition, BooleanSupplier abandoned) throws Exception {
            PartitionReader r;
            synchronized (readers) {
                if (readerClosed) {
                    throw new StoreFailedException("the receiver is closing", null);
                }
                r = readers.computeIfAbsent(partition, PartitionReader::new);
            }
            return r.highest(streamId, abandoned);
        }

        /**
         * Aborts what the stream's own producer left open in {@code partitions} although its transaction coordinator
         * no longer knows of it: a hanging transaction. Called right after {@code initTransactions()}, which fenced
         * every older epoch of the stream's producer and completed whatever transaction the coordinator knew of, so
         * any transaction of that producer id still open in a partition is one the coordinator lost and will never end.
         *
         * <p>Seen after a broker SIGKILL and restart (KafkaReceiverIT, broker kills): the coordinator listed the
         * stream's transactional.id as Empty while its producer (id 1, epoch 1) still had 1,550 data records and its
         * state record open in the data and state partitions. The transaction timeout does not end such a
         * transaction (the coordinator has none to time out), so the state partition's last stable offset stayed
         * below its high watermark and every stream's open stalled behind it; and the stream's next commit, whose
         * marker carries the same producer id, would have committed those 1,550 records that its sink had resent:
         * stored twice. So they are aborted first, as {@code kafka-transactions.sh abort} would.
         */
        TransactionDescription abortHanging(String transactionalId, List<TopicPartition> partitions)
                throws Exception {
            long timeout = stateReadTimeout.toMillis();
            TransactionDescription own = admin.describeTransactions(List.of(transactionalId))
                    .description(transactionalId).get(timeout, TimeUnit.MILLISECONDS);
            Map<TopicPartition, DescribeProducersResult.PartitionProducerState> states = admin
                    .describeProducers(partitions).all().get(timeout, TimeUnit.MILLISECONDS);
            for (Map.Entry<TopicPartition, DescribeProducersResult.PartitionProducerState> e : states.entrySet()) {
                for (ProducerState ps : e.getValue().activeProducers()) {
                    if (ps.producerId() == own.producerId() && ps.producerEpoch() < own.producerEpoch()
                            && ps.currentTransactionStartOffset().isPresent()) {
                        abort(e.getKey(), ps, transactionalId + " (epoch " + own.producerEpoch() + " now, "
                                + own.state() + ")");
                    }
                }
            }
            return own;
        }

        /**
         * Returns once the transaction {@code commitTransaction} just committed is committed in the log: its
         * coordinator says CompleteCommit for this session's producer, and no partition the transaction wrote (the
         * data partitions, the state partition) still holds it open. Throws if that is not so within
         * {@link #stateReadTimeout} or if the coordinator names another owner: the connection then closes unacked,
         * the sink resends, and the next open reads what was stored.
         *
         * <p>{@code commitTransaction} returns once the coordinator has logged PrepareCommit; it writes the markers
         * into the partitions after that. A broker SIGKILLed within 20 ms of a commit's return (KafkaReceiverIT, broker
         * kills, one CI run) came back with the data and state records of that transaction still open in their
         * partitions while its coordinator listed the transactional.id as Empty at a later epoch: a hanging
         * transaction, which {@link #abortHanging} aborted. Its 81 events had been acked and were lost. The
         * coordinator's word alone is not enough (a review): the admin client retries through a broker restart, and
         * the coordinator that came back was the one that had lost the commit. So the partitions are asked too.
         */
        void awaitMarkers(Session s) throws StoreFailedException {
            String transactionalId = transactionalId(topic, s.stream.id());
            List<TopicPartition> partitions = new ArrayList<>();
            for (Integer p : s.dataPartitions) { // complete: commitTransaction flushed, and each callback came first
                partitions.add(new TopicPartition(topic, p));
            }
            s.dataPartitions.clear();
            partitions.add(new TopicPartition(stateTopic, s.statePartition));
            long deadline = System.nanoTime() + stateReadTimeout.toNanos();
            long pauseNanos = 200_000;
            String last = "nothing heard";
            try {
                while (true) {
                    TransactionDescription d = admin.describeTransactions(List.of(transactionalId))
                            .description(transactionalId).get(millisUntil(deadline), TimeUnit.MILLISECONDS);
                    if (d.state() == TransactionState.COMPLETE_COMMIT && !ownedBySession(s, d)) {
                        throw new StoreFailedException("after its commit the stream's transaction is at producer "
                                + d.producerId() + " epoch " + d.producerEpoch() + ", not this connection's ("
                                + s.producerId + " epoch " + s.producerEpoch + "): another receiver took it over",
                                null);
                    }
                    if (d.state() != TransactionState.PREPARE_COMMIT && d.state() != TransactionState.COMPLETE_COMMIT) {
                        // not a state our own finished commit leaves: another owner's, or a coordinator that lost it
                        throw new StoreFailedException("after its commit the stream's transaction is " + d.state()
                                + " at its coordinator: another receiver took it over, or the coordinator lost the"
                                + " commit", null);
                    }
                    if (d.state() == TransactionState.COMPLETE_COMMIT) {
                        String open = openIn(partitions, s.producerId, deadline);
                        if (open == null) {
                            s.producerId = d.producerId();
                            s.producerEpoch = d.producerEpoch();
                            return;
                        }
                        last = "CompleteCommit at the coordinator, still open in " + open;
                    } else {
                        last = "PrepareCommit at the coordinator";
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        throw new StoreFailedException("the commit's markers were not written within "
                                + stateReadTimeout.toSeconds() + " s (" + last + ")", null);
                    }
                    LockSupport.parkNanos(pauseNanos);
                    pauseNanos = Math.min(pauseNanos * 2, 10_000_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreFailedException("interrupted while waiting for the commit's markers", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new StoreFailedException("could not learn whether the commit's markers were written ("
                        + (e.getCause() != null ? e.getCause() : e) + "; " + last + ")", e);
            }
        }

        private boolean ownedBySession(Session s, TransactionDescription d) {
            return committedBySameProducer(s.producerId, s.producerEpoch, d.producerId(), d.producerEpoch());
        }

        /** The first of {@code partitions} where {@code producerId} holds a transaction open, or null. */
        private String openIn(List<TopicPartition> partitions, long producerId, long deadline)
                throws InterruptedException, ExecutionException, TimeoutException {
            Map<TopicPartition, DescribeProducersResult.PartitionProducerState> states = admin
                    .describeProducers(partitions).all().get(millisUntil(deadline), TimeUnit.MILLISECONDS);
            for (Map.Entry<TopicPartition, DescribeProducersResult.PartitionProducerState> e : states.entrySet()) {
                for (ProducerState ps : e.getValue().activeProducers()) {
                    if (ps.producerId() == producerId && ps.currentTransactionStartOffset().isPresent()) {
                        return e.getKey() + " since offset " + ps.currentTransactionStartOffset().getAsLong();
                    }
                }
            }
            return null;
        }

        private long millisUntil(long deadline) {
            return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        }

        /**
         * Aborts the transaction open since the last stable offset {@code at} of state partition {@code partition}
         * if its producer's coordinator has none in progress: another stream's hanging transaction (see
         * {@link #abortHanging}) whose stream did not come back to abort it itself. Asked of the coordinator, not
         * judged by age: a transaction it still runs or ends is left to it.
         */
        void abortHangingAt(TopicPartition partition, long at) throws Exception {
            long timeout = stateReadTimeout.toMillis();
            for (ProducerState ps : admin.describeProducers(List.of(partition)).partitionResult(partition)
                    .get(timeout, TimeUnit.MILLISECONDS).activeProducers()) {
                if (ps.currentTransactionStartOffset().orElse(-1) != at) {
                    continue;
                }
                List<TransactionListing> listed = new ArrayList<>(admin.listTransactions(new ListTransactionsOptions()
                        .filterProducerIds(List.of(ps.producerId()))).all().get(timeout, TimeUnit.MILLISECONDS));
                if (listed.isEmpty()) {
                    // no coordinator names the producer id: it may be one whose transactional.id expired, or one a
                    // coordinator not yet loaded (just after a broker restart) will resume; unknown, so not aborted
                    log.debug("{}: producer {} holds a transaction open since {} and no coordinator lists it; left"
                            + " to it", partition, ps.producerId(), at);
                    continue;
                }
                boolean inProgress = false;
                String who = "producer " + ps.producerId();
                for (TransactionListing l : listed) {
                    who = l.transactionalId() + " (" + l.state() + ")";
                    inProgress |= l.state() == TransactionState.ONGOING || l.state() == TransactionState.PREPARE_COMMIT
                            || l.state() == TransactionState.PREPARE_ABORT
                            || l.state() == TransactionState.PREPARE_EPOCH_FENCE;
                }
                if (inProgress) {
                    continue;
                }
                // asked again right before the abort: between the first look and the listing, the transaction may
                // have ended and the same producer (or a new epoch of it) begun another at a later offset, which
                // its coordinator runs; only the very transaction judged hanging is aborted
                ProducerState now = null;
                for (ProducerState again : admin.describeProducers(List.of(partition)).partitionResult(partition)
                        .get(timeout, TimeUnit.MILLISECONDS).activeProducers()) {
                    if (again.producerId() == ps.producerId() && again.producerEpoch() == ps.producerEpoch()
                            && again.currentTransactionStartOffset().orElse(-1) == at) {
                        now = again;
                    }
                }
                if (now != null) {
                    abort(partition, now, who);
                }
            }
        }

        private void abort(TopicPartition partition, ProducerState ps, String who) throws Exception {
            log.warn("aborting a hanging transaction in {}: producer {} epoch {} left it open since offset {} and its"
                    + " coordinator lists {} (left by a broker crash)", partition, ps.producerId(),
                    ps.producerEpoch(), ps.currentTransactionStartOffset().getAsLong(), who);
            try {
                admin.abortTransaction(new AbortTransactionSpec(partition, ps.producerId(),
                        (short) ps.producerEpoch(), ps.coordinatorEpoch().orElse(0)))
                        .all().get(stateReadTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new StoreFailedException("could not abort the hanging transaction of producer "
                        + ps.producerId() + " in " + partition + " (" + e.getCause() + "): the receiver's principal"
                        + " needs ClusterAction, or run kafka-transactions.sh abort --topic " + partition.topic()
                        + " --partition " + partition.partition() + " --start-offset "
                        + ps.currentTransactionStartOffset().getAsLong(), e.getCause());
            }
        }

        void close() {
            List<PartitionReader> all;
            synchronized (readers) {
                readerClosed = true;
                all = new ArrayList<>(readers.values());
            }
            for (PartitionReader r : all) {
                r.close();
            }
            admin.close(Duration.ofSeconds(2));
        }

        /** One state partition's consumer and what it read so far; one read at a time (its lock). */
        private final class PartitionReader {
            private final TopicPartition partition;
            private final ReentrantLock lock = new ReentrantLock();
            // guarded by lock
            private final KafkaConsumer<byte[], byte[]> consumer;
            private final Map<String, Long> latest = new HashMap<>();
            private boolean consumerClosed;

            PartitionReader(int partition) {
                this.partition = new TopicPartition(stateTopic, partition);
                Properties p = new Properties();
                p.putAll(clientConfig);
                p.keySet().retainAll(ConsumerConfig.configNames());
                p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
                p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                p.remove(ConsumerConfig.GROUP_ID_CONFIG);
                consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                consumer.assign(List.of(this.partition));
                consumer.seekToBeginning(List.of(this.partition));
            }

            long highest(String streamId, BooleanSupplier abandoned) throws Exception {
                long deadline = System.nanoTime() + stateReadTimeout.toNanos();
                // the opens of connections that closed meanwhile leave the queue instead of reading in turn
                checkWaiting(abandoned, deadline, () -> "");
                while (!lock.tryLock(100, TimeUnit.MILLISECONDS)) {
                    checkWaiting(abandoned, deadline, () -> "waited for another read of " + partition);
                }
                try {
                    if (consumerClosed) {
                        throw new StoreFailedException("the receiver is closing", null);
                    }
                    long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                                    new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                            .partitionResult(partition).get(stateReadTimeout.toMillis(), TimeUnit.MILLISECONDS)
                            .offset();
                    long at;
                    long stuckAt = -1;
                    long stuckSince = System.nanoTime();
                    boolean askedCoordinator = false;
                    while ((at = consumer.position(partition, stateReadTimeout)) < end) {
                        if (at != stuckAt) {
                            stuckAt = at;
                            stuckSince = System.nanoTime();
                        } else if (!askedCoordinator && System.nanoTime() - stuckSince > STUCK_NANOS) {
                            // at the last stable offset for a while: whoever holds it open, if anyone still does
                            askedCoordinator = true;
                            abortHangingAt(partition, at);
                        }
                        long readTo = at;
                        checkWaiting(abandoned, deadline, () -> "read " + partition + " to " + readTo + " of " + end
                                + " (the last stable offset is " + lastStable() + ": a transaction is open there;"
                                + " kafka-transactions.sh find-hanging shows it)");
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            if (r.key() != null && r.value() != null && r.value().length == 8) {
                                latest.put(new String(r.key(), StandardCharsets.UTF_8),
                                        ByteBuffer.wrap(r.value()).getLong());
                            }
                        }
                    }
                    return latest.getOrDefault(streamId, 0L);
                } finally {
                    lock.unlock();
                }
            }

            /** For the operator's message only; asked for with the deadline passed, so briefly. */
            private String lastStable() {
                try {
                    return Long.toString(consumer.endOffsets(List.of(partition), Duration.ofSeconds(2))
                            .get(partition));
                } catch (RuntimeException e) {
                    return "unknown (" + e + ")";
                }
            }

            private void checkWaiting(BooleanSupplier abandoned, long deadline, Supplier<String> what)
                    throws StoreFailedException {
                if (abandoned.getAsBoolean()) {
                    throw new StoreFailedException(ABANDONED_OPEN, null);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new StoreFailedException("the state topic " + stateTopic + " did not catch up within "
                            + stateReadTimeout.toSeconds() + " s: " + what.get(), null);
                }
            }

            void close() {
                lock.lock();
                try {
                    consumerClosed = true;
                    consumer.close(Duration.ofSeconds(2));
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
