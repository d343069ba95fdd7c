package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.spool.SpoolReader;
import io.wssink.spool.RollPeriod;

import java.nio.file.Path;
import java.time.Duration;

/** Spools with a backlog, made once per trial, and the means to send them again in each iteration. */
final class Backlogs {
    private Backlogs() {
    }

    static SpoolConfig config(Path dir) {
        return SpoolConfig.builder(dir).rollPeriod(RollPeriod.DAILY).maxSpoolBytes(64L << 30).build();
    }

    /** Appends {@code events} of {@code size} bytes; returns the id of the {@code ackedPrefix}-th, or NONE. */
    static long prepare(Path dir, long events, int size, long ackedPrefix) {
        byte[] payload = new byte[size];
        long cursor = Spool.NONE;
        try (Spool spool = Spool.open(config(dir))) {
            for (long i = 0; i < events; i++) {
                long id = spool.append(payload, 0, size);
                if (i + 1 == ackedPrefix) {
                    cursor = id;
                }
            }
        }
        return cursor;
    }

    /** Puts the cursor back to {@code id}, so that the same backlog is sent again. */
    static void resetCursor(Path dir, long id) {
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            reader.rewindCursorTo(id);
        }
    }

    static long lastId(Path dir) {
        try (Spool spool = Spool.open(config(dir))) {
            return spool.stats().lastId();
        }
    }

    /** A fresh receiver (a new stream to it, so nothing is skipped as already held). */
    static ReferenceReceiver receiver(Path dir) throws Exception {
        return ReferenceReceiver.start(ReceiverConfig.builder(dir.resolve("out-" + System.nanoTime() + ".bin"))
                .binary(true).build());
    }

    static WebSocketSink sink(Path spool, ReferenceReceiver receiver) {
        return WebSocketSink.builder().url(receiver.url()).spool(spool).rollPeriod(RollPeriod.DAILY)
                .maxSpoolBytes(64L << 30).drainTimeout(Duration.ZERO.plusMillis(1)).build();
    }
}
