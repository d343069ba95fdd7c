package io.wssink.internal.spool;

import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;

/**
 * The spool queue's clock. An append reads the time once, for the record's timestamp and the capacity check, and
 * Chronicle's appender, which reads its clock again to choose the cycle to write into, is handed that same reading:
 * a clock read costs about as much as the CRC of a 100-byte event (17 ns here), and both then agree on the cycle.
 * Every other thread, and the appending thread outside {@link #read()}..{@link #release()}, reads the system clock.
 *
 * <p>The fields are plain on purpose: only the thread that stored itself in {@code holder} can find itself there, and
 * a thread always sees its own writes.
 */
final class AppendClock implements TimeProvider {
    private Thread holder;
    private long millis;

    /** Reads the system clock and hands the reading to Chronicle on this thread until {@link #release()}. */
    long read() {
        millis = SystemTimeProvider.INSTANCE.currentTimeMillis();
        holder = Thread.currentThread();
        return millis;
    }

    void release() {
        holder = null;
    }

    @Override
    public long currentTimeMillis() {
        return Thread.currentThread() == holder ? millis : SystemTimeProvider.INSTANCE.currentTimeMillis();
    }

    @Override
    public long currentTimeMicros() {
        return SystemTimeProvider.INSTANCE.currentTimeMicros();
    }

    @Override
    public long currentTimeNanos() {
        return SystemTimeProvider.INSTANCE.currentTimeNanos();
    }
}
