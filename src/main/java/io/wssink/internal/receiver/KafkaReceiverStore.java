package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.wssink.protocol.WireFormat;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

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
 * <p><b>Threads.</b> Accept methods are called from the receiver's event loop and never block on Kafka: they call
 * {@code send()} (asynchronous; metadata is fetched while the stream opens, so it does not wait for it). Everything
 * that blocks ({@code initTransactions}, {@code commitTransaction}, reading the state topic, closing) runs on the
 * store's own {@code wssink-kafka} threads, chained per session so that one stream's operations stay in order, and
 * completes futures the handler hands back to its event loop. One lock (this) guards the streams and sessions; the
 * state reader is guarded by its own monitor.
 */
public final class KafkaReceiverStore implements ReceiverStore {
    private static final Logger log = LoggerFactory.getLogger(KafkaReceiverStore.class);

    /** The Kafka version the tests run against (client and broker); the CLI's help and README name it. */
    public static final String TESTED_KAFKA_VERSION = "4.4.0";
    public static final String STREAM_HEADER = "wssink-stream";
    public static final String ID_HEADER = "wssink-id";
    /** The state topic of topic T is T + this. */
    public static final String STATE_TOPIC_SUFFIX = ".wssink-state";
    /** Room for the key, the headers and the record batch's own header beside the largest payload. */
    static final int RECORD_OVERHEAD_BYTES = 4096;
    /** Pending records handed to the producer per hold of the lock. */
    private static final int DRAIN_CHUNK = 1024;
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
    private final int maxStreams;
    private final long forgetAfterMillis;
    private final LongSupplier clock;
    private final Duration stateReadTimeout;
    /** Runs every call that blocks on Kafka; each session chains its own calls so they stay in order. */
    private final ExecutorService blocking;
    /** Runs the producer's callbacks in the order they come, off Kafka's I/O thread. */
    private final ExecutorService callbacks;
    /** At-least-once: the one producer of all streams; null in exactly-once mode. Thread-safe. */
    private final KafkaProducer<byte[], byte[]> shared;
    /** Exactly-once: reads the state topic; null in at-least-once mode. */
    private final StateReader stateReader;

    // guarded by this
    private final Map<String, Stream> streams = new LinkedHashMap<>();
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
        /** Exactly-once: a commit runs; records wait in pending for the next transaction. */
        boolean committing;
        /**
         * Pending records are being handed to the producer, a chunk at a time: new ones queue behind them, undeduped,
         * so that order holds while the event loop is let in between chunks.
         */
        boolean draining;
        /** Records that came before ready, or while a commit runs; ids not yet deduped before ready. */
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        /** The highest id Kafka holds for sure: committed (exactly-once) or acknowledged in order (at-least-once). */
        long stored;
        /** At-least-once: commits waiting for the acknowledgement of an id. */
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        /** The highest id handed to the producer. */
        long sent;
        Throwable failure;
        boolean closed;
        /** The last blocking call queued for this session; the next one runs after it, failed or not. */
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

        Session(Stream stream, Object owner) {
            this.stream = stream;
            this.owner = owner;
            this.key = stream.id().getBytes(StandardCharsets.UTF_8);
            this.streamHeader = new RecordHeader(STREAM_HEADER, key);
        }
    }

    /** A record waiting to be sent; {@code deduped} once compared with the stream's highest id. */
    private record Pending(long id, ProducerRecord<byte[], byte[]> record, boolean deduped) {
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
        this.maxStreams = maxStreams;
        this.forgetAfterMillis = forgetAfter.toMillis();
        this.clock = clock;
        this.stateReadTimeout = Duration.ofMillis(Long.parseLong(producerConfig(null)
                .getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)) + 15_000);
        AtomicInteger n = new AtomicInteger();
        this.blocking = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "wssink-kafka-" + n.incrementAndGet());
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

    // ---------------------------------------------------------------- streams and ownership (as FileReceiverStore)

    @Override
    public synchronized Stream stream(String id) {
        Stream s = streams.get(id);
        if (s == null) {
            if (streams.size() >= maxStreams) {
                forgetIdle();
                if (streams.size() >= maxStreams) {
                    return null;
                }
            }
            s = new Stream(id, 0, clock.getAsLong());
            streams.put(id, s);
        }
        return s;
    }

    private void forgetIdle() {
        long before = clock.getAsLong() - forgetAfterMillis;
        for (Iterator<Stream> it = streams.values().iterator(); it.hasNext(); ) {
            Stream s = it.next();
            if (s.owner == null && s.lastSeenMillis < before) {
                it.remove(); // exactly-once: its state stays in the state topic; at-least-once: its resume ack is 0
            }
        }
    }

    @Override
    public synchronized Object claim(Stream stream, Object owner) {
        Object previous = stream.owner;
        stream.owner = owner;
        stream.lastSeenMillis = clock.getAsLong();
        streams.putIfAbsent(stream.id(), stream);
        return previous;
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
        Session previous = sessions.put(stream.id(), s);
        if (previous != null) {
            end(previous);
        }
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
                    throw new StoreFailedException("the connection closed while its stream opened", null);
                }
            }
            p.initTransactions(); // fences the stream's previous owner and ends its open transaction
            p.partitionsFor(topic); // metadata now, so that send() on the event loop never waits for it
            p.partitionsFor(stateTopic);
            long held = stateReader.highest(stream.id());
            p.beginTransaction();
            synchronized (this) {
                if (s.closed) {
                    throw new StoreFailedException("the connection closed while its stream opened", null);
                }
                s.stored = held;
                if (sessions.get(stream.id()) == s) {
                    stream.highest = held;
                }
                log.debug("stream {}: opened; the state topic holds {}, {} records waited", stream.id(), held,
                        s.pending.size());
                s.ready = true;
                s.draining = true;
            }
            drainPending(s);
        });
    }

    @Override
    public synchronized void release(Stream stream, Object owner) {
        if (stream.owner == owner) {
            stream.owner = null;
            stream.lastSeenMillis = clock.getAsLong();
        }
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
                        p.send(new ProducerRecord<>(stateTopic, s.key, ByteBuffer.allocate(8).putLong(upTo).array()));
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

    /** A transaction commit per stream per read burst would cost a round trip to the broker each: every interval. */
    @Override
    public boolean commitsAtEveryReadBurst() {
        return false;
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
            if (!s.ready || s.draining) { // deduped when drained, behind the ones before it
                s.pending.add(new Pending(id, record(s, id, payload), false));
                return;
            }
            if (Long.compareUnsigned(id, stream.highest) <= 0) {
                duplicates++;
                meters.duplicate();
                return;
            }
            stream.highest = id;
            ProducerRecord<byte[], byte[]> r = record(s, id, payload);
            if (s.committing) {
                s.pending.add(new Pending(id, r, true));
            } else {
                send(s, id, r);
            }
        });
        check(s);
        return null;
    }

    private synchronized boolean failed(Session s) {
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

    private ProducerRecord<byte[], byte[]> record(Session s, long id, ByteBuf payload) {
        byte[] value = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), value);
        byte[] idBytes = ByteBuffer.allocate(8).putLong(id).array();
        Header[] headers = {s.streamHeader, new RecordHeader(ID_HEADER, idBytes)};
        return new ProducerRecord<>(topic, null, s.key, value, List.of(headers));
    }

    /**
     * Hands the pending records to the producer once the stream is ready and no commit runs, then lets the event loop
     * send directly again. A chunk at a time, without the lock while sending: a sink's whole window (8 MiB, 187,000
     * records of 20 bytes in KafkaReceiverIT) sent under the lock kept the event loop from answering pings for
     * seconds, the sink reconnected, and the next session queued the same window again. Runs on a store thread.
     */
    private void drainPending(Session s) {
        List<Pending> chunk = new ArrayList<>(DRAIN_CHUNK);
        while (true) {
            synchronized (this) {
                Pending p;
                while (chunk.size() < DRAIN_CHUNK && s.failure == null && (p = s.pending.poll()) != null) {
                    if (!p.deduped) { // came before the stream's highest id was known, or behind such ones
                        if (Long.compareUnsigned(p.id, s.stream.highest) <= 0) {
                            duplicates++;
                            meters.duplicate();
                            continue;
                        }
                        s.stream.highest = p.id;
                    }
                    s.sent = p.id;
                    chunk.add(p);
                }
                if (chunk.isEmpty()) {
                    s.draining = false;
                    return;
                }
            }
            for (Pending p : chunk) {
                if (failed(s)) {
                    break;
                }
                handOff(s, p.id, p.record); // in order: the event loop queues behind, it does not send, while draining
            }
            chunk.clear();
        }
    }

    /** Hands a record to the producer (asynchronous); a failure ends the session. Holds the lock. */
    private void send(Session s, long id, ProducerRecord<byte[], byte[]> r) {
        if (r.topic() == topic) { // the same instance, by construction: not the state topic's record
            s.sent = id;
        }
        handOff(s, id, r);
    }

    /** producer.send, with or without the lock. */
    private void handOff(Session s, long id, ProducerRecord<byte[], byte[]> r) {
        // never the store's lock on the producer's I/O thread: an event loop holding it in a send() that waits for
        // buffer memory would wait for ever for that thread to free it. But a failure that send() reports at once
        // (its topic's metadata did not come within max.block.ms) comes on the calling thread: fail the session
        // there and then, or every further record of the frame waits as long (KafkaReceiverIT's event loop sat in
        // send() for 17 minutes, one 5 s wait per record, after a broker restart)
        Callback done = guarantee == Guarantee.AT_LEAST_ONCE
                ? (meta, e) -> {
                    if (e != null && Thread.holdsLock(this)) {
                        fail(s, e);
                    } else {
                        callbacks.execute(() -> acknowledged(s, id, e));
                    }
                }
                : (meta, e) -> {
                    if (e != null && Thread.holdsLock(this)) {
                        fail(s, e);
                    } else if (e != null) {
                        callbacks.execute(() -> fail(s, e));
                    }
                };
        try {
            Future<RecordMetadata> sent = s.producer.send(r, done);
            if (sent.isDone() && !Thread.holdsLock(this)) { // the drain, without the lock: stop it now too
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
        return "raw mode has no ids, and the Kafka receiver needs them to store each event once: use a wssink sink";
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
        send(s, upTo, new ProducerRecord<>(stateTopic, s.key, ByteBuffer.allocate(8).putLong(upTo).array()));
        KafkaProducer<byte[], byte[]> p = s.producer;
        CompletableFuture<Void> committed = new CompletableFuture<>();
        later(s, () -> {
            try {
                p.commitTransaction(); // flushes, then commits: the data and the state record, or neither
            } catch (RuntimeException e) {
                fail(s, e);
                throw e;
            }
            synchronized (this) {
                if (Long.compareUnsigned(upTo, s.stored) > 0) {
                    s.stored = upTo;
                }
            }
            if (log.isTraceEnabled()) {
                log.trace("stream {}: committed up to {}", stream.id(), upTo);
            }
            p.beginTransaction(); // local: no request until the first send
            synchronized (this) {
                s.committing = false;
                s.draining = true;
            }
            drainPending(s);
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
        }
        failWaiters(s, new StoreFailedException("Kafka refused the stream's records: " + cause, cause));
        s.pending.clear();
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
        CompletableFuture<Void> f = s.tail.thenRunAsync(() -> {
            try {
                call.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, blocking);
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
                end(s);
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
        callbacks.shutdownNow();
        if (shared != null) {
            shared.close(Duration.ofSeconds(5)); // what was not acknowledged is resent by the sinks anyway
        }
        if (stateReader != null) {
            stateReader.close();
        }
    }

    /**
     * Reads the state topic {@code read_committed} and keeps the latest highest id of every stream it saw. Each read
     * catches up to the partitions' high watermark as it was when the read began: a transaction still open there (a
     * receiver that died mid-commit) holds the read back until the next owner of that stream or the transaction
     * timeout aborts it, since the last committed state of our stream may sit behind it.
     */
    private final class StateReader {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Admin admin;
        private final Map<String, Long> latest = new HashMap<>();
        private List<TopicPartition> partitions;

        StateReader() {
            Properties p = new Properties();
            p.putAll(clientConfig);
            p.keySet().retainAll(ConsumerConfig.configNames());
            p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.remove(ConsumerConfig.GROUP_ID_CONFIG);
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            admin = Admin.create(adminConfig());
        }

        synchronized long highest(String streamId) throws Exception {
            if (partitions == null) {
                List<TopicPartition> tps = new ArrayList<>();
                for (PartitionInfo info : consumer.partitionsFor(stateTopic, Duration.ofSeconds(30))) {
                    tps.add(new TopicPartition(info.topic(), info.partition()));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                partitions = tps;
            }
            Map<TopicPartition, OffsetSpec> latestSpec = new HashMap<>();
            partitions.forEach(tp -> latestSpec.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(latestSpec, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                    .get(stateReadTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> end.put(tp, info.offset()));
            long deadline = System.nanoTime() + stateReadTimeout.toNanos();
            while (behind(end)) {
                if (System.nanoTime() > deadline) {
                    Map<TopicPartition, Long> at = new HashMap<>();
                    end.keySet().forEach(tp -> at.put(tp, consumer.position(tp)));
                    // for the operator: whether the last stable offset is stuck (an open transaction, which
                    // kafka-transactions.sh find-hanging can show) or the reader is
                    throw new StoreFailedException("the state topic " + stateTopic + " did not catch up within "
                            + stateReadTimeout.toSeconds() + " s: read to " + at + " of " + end + ", last stable "
                            + consumer.endOffsets(end.keySet()) + "; a transaction is open there", null);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.key() != null && r.value() != null && r.value().length == 8) {
                        latest.put(new String(r.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(r.value()).getLong());
                    }
                }
            }
            return latest.getOrDefault(streamId, 0L);
        }

        private boolean behind(Map<TopicPartition, Long> end) {
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                if (consumer.position(e.getKey()) < e.getValue()) {
                    return true;
                }
            }
            return false;
        }

        synchronized void close() {
            consumer.close(Duration.ofSeconds(2));
            admin.close(Duration.ofSeconds(2));
        }
    }
}
