package io.wssink.internal.receiver;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * What the reference receiver counts for operators ({@code wssink serve --metrics-port}): plain counters, free of
 * any metrics library, that the command line reads into its registry. The handler counts streams and acks, the
 * store records, bytes, duplicates and how long each durable commit took.
 *
 * <p>Thread-safe: event loops and the store's committer thread count, any thread reads.
 */
public final class ReceiverMeters {
    private final AtomicLong streamsConnected = new AtomicLong();
    private final LongAdder records = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder acksSent = new LongAdder();
    /** Told of each commit's forces, in nanoseconds, on the committer thread; set once before the receiver starts. */
    private volatile LongConsumer fsyncObserver = nanos -> { };

    /** ack-mode connections holding a stream now (a replaced one until its close). */
    public long streamsConnected() { return streamsConnected.get(); }
    /** records written to the output (duplicates not counted); raw-mode events too. */
    public long recordsReceived() { return records.sum(); }
    /** payload bytes of those records. */
    public long bytesReceived() { return bytes.sum(); }
    /** records dropped because their stream already held their id. */
    public long duplicatesDropped() { return duplicates.sum(); }
    public long acksSent() { return acksSent.sum(); }

    /** Hears how long each commit's forces (output, state, directory) took; for a histogram. */
    public void onFsync(LongConsumer observer) {
        fsyncObserver = observer;
    }

    void streamConnected() { streamsConnected.incrementAndGet(); }
    void streamDisconnected() { streamsConnected.decrementAndGet(); }
    void received(int payloadBytes) {
        records.increment();
        bytes.add(payloadBytes);
    }
    void duplicate() { duplicates.increment(); }
    void ackSent() { acksSent.increment(); }
    void fsynced(long nanos) { fsyncObserver.accept(nanos); }
}
