package io.wssink;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/** Discards every event and counts them: for tests and benchmarks. Its ids are a running count from 1. */
public final class NullSink implements Sink {
    private final LongAdder events = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    @Override
    public long write(CharSequence text) {
        bytes.add(text.length());
        return count();
    }

    @Override
    public long write(byte[] data) {
        bytes.add(data.length);
        return count();
    }

    @Override
    public long write(ByteBuffer data) {
        bytes.add(data.remaining());
        return count();
    }

    private long count() {
        events.increment();
        return events.sum();
    }

    public long events() {
        return events.sum();
    }

    /** Bytes of binary events plus chars of text events. */
    public long bytes() {
        return bytes.sum();
    }

    @Override
    public void close() {
    }

    /** The {@code null:} provider. */
    public static final class Provider implements SinkProvider {
        @Override
        public String name() {
            return "null";
        }

        @Override
        public String description() {
            return "discards events and counts them (tests, benchmarks)";
        }

        @Override
        public Set<String> schemes() {
            return Set.of("null");
        }

        @Override
        public Sink create(URI uri, Map<String, String> options) {
            if (!options.isEmpty()) {
                throw new IllegalArgumentException("the null sink takes no options, not " + options.keySet());
            }
            return new NullSink();
        }
    }
}
