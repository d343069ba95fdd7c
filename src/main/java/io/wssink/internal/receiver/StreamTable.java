package io.wssink.internal.receiver;

import io.wssink.internal.receiver.ReceiverStore.Stream;

import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The streams a receiver store knows and who owns each: a stream is looked up or added (at most {@code maxStreams},
 * forgetting streams without a connection for longer than forget-after to make room; never sooner, since a stream
 * forgotten while its sink may still resend would store events twice: a full table refuses new streams), claimed by a
 * connection and released by it. One table serves {@link FileReceiverStore} and
 * {@link KafkaReceiverStore}, which held the same code twice.
 *
 * <p>Not thread-safe: the store's lock guards it.
 */
final class StreamTable {
    private final Map<String, Stream> streams = new LinkedHashMap<>();
    private final int maxStreams;
    private final long forgetAfterMillis;
    private final LongSupplier clock;

    StreamTable(int maxStreams, Duration forgetAfter, LongSupplier clock) {
        this.maxStreams = maxStreams;
        this.forgetAfterMillis = forgetAfter.toMillis();
        this.clock = clock;
    }

    /**
     * The stream with this id, added if new; null when the table is full of streams that have a connection or were
     * seen within forget-after. {@code forgotten} is told of each stream forgotten to make room.
     */
    Stream stream(String id, Consumer<Stream> forgotten) {
        Stream s = streams.get(id);
        if (s == null) {
            if (streams.size() >= maxStreams) {
                forgetIdle(forgotten);
                if (streams.size() >= maxStreams) {
                    return null;
                }
            }
            s = new Stream(id, 0, clock.getAsLong());
            streams.put(id, s);
        }
        return s;
    }

    /** Forgets the streams without a connection for longer than forget-after, telling {@code forgotten} of each. */
    void forgetIdle(Consumer<Stream> forgotten) {
        long before = clock.getAsLong() - forgetAfterMillis;
        for (Iterator<Stream> it = streams.values().iterator(); it.hasNext(); ) {
            Stream s = it.next();
            if (s.owner == null && s.lastSeenMillis < before) {
                it.remove();
                forgotten.accept(s);
            }
        }
    }

    /** Makes {@code owner} the stream's owner (and puts it back if it was forgotten since its lookup); the previous. */
    Object claim(Stream stream, Object owner) {
        Object previous = stream.owner;
        stream.owner = owner;
        stream.lastSeenMillis = clock.getAsLong();
        streams.putIfAbsent(stream.id(), stream);
        return previous;
    }

    /** Ends {@code owner}'s ownership, if it still has it; the stream's idle time starts now. */
    void release(Stream stream, Object owner) {
        if (stream.owner == owner) {
            stream.owner = null;
            stream.lastSeenMillis = clock.getAsLong();
        }
    }

    /** Adds a stream as it was read back from a store's state. */
    void put(Stream stream) {
        streams.put(stream.id(), stream);
    }

    Collection<Stream> all() {
        return streams.values();
    }

    int size() {
        return streams.size();
    }
}
