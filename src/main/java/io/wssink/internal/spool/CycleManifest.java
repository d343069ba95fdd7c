package io.wssink.internal.spool;

import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ChronicleQueue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which cycle files the spool wrote events into and has not deleted itself, so that a file deleted by hand is noticed:
 * without it, a cycle with no file looks the same as a cycle with no events.
 *
 * <p>A bitmap of {@link #CYCLES} cycles (cycle modulo {@code CYCLES}) and the latest cycle written into, in Chronicle's
 * table store beside the cursor, shared by every process that opens the spool. An appender sets its cycle's bit after
 * its first write into each cycle (once a cycle, never on the hot path); retention clears a bit before it deletes the
 * file. A set bit with no file means the file was deleted by someone else. Two cycles {@code CYCLES} apart share a bit,
 * so a spool that keeps files that far apart (170 days of hourly files) may miss a deletion, never invent one.
 */
final class CycleManifest implements AutoCloseable {
    static final int CYCLES = 4096;
    private static final int WORDS = CYCLES / 64;

    /** Shared memory: each word is changed by compare-and-swap, by any thread of any process. */
    private final LongValue[] words = new LongValue[WORDS];
    /** The latest cycle written into, plus one; 0 when none was recorded. */
    private final LongValue latest;

    CycleManifest(ChronicleQueue queue) {
        for (int i = 0; i < WORDS; i++) {
            words[i] = queue.indexForId("wssink.cycles." + i);
        }
        latest = queue.indexForId("wssink.cycles.latest");
    }

    /** Records that events were written into {@code cycle}. Called once a cycle by each appender. */
    void written(int cycle) {
        changeBit(cycle, true);
        long old;
        do {
            old = latest.getVolatileValue();
        } while (old < cycle + 1L && !latest.compareAndSwapValue(old, cycle + 1L));
    }

    /** Clears {@code cycle}'s bit; true if this call cleared it (so that a missing file is reported once). */
    boolean forget(int cycle) {
        return changeBit(cycle, false);
    }

    /** Sets or clears {@code cycle}'s bit with a compare-and-swap; true if this call changed it. */
    private boolean changeBit(int cycle, boolean set) {
        LongValue word = wordOf(cycle);
        long bit = bitOf(cycle);
        while (true) {
            long old = word.getVolatileValue();
            if (((old & bit) != 0) == set) {
                return false;
            }
            if (word.compareAndSwapValue(old, old ^ bit)) {
                return true;
            }
        }
    }

    /** The latest cycle written into, or {@code Integer.MIN_VALUE} if none is recorded. */
    int latest() {
        long v = latest.getVolatileValue();
        return v == 0 ? Integer.MIN_VALUE : (int) (v - 1);
    }

    boolean isRecorded(int cycle) {
        return (wordOf(cycle).getVolatileValue() & bitOf(cycle)) != 0;
    }

    /**
     * The recorded cycles whose file is gone, newest first. A bit stands for the latest cycle at or before
     * {@link #latest()} that maps to it, or any earlier one down to {@code oldestOnDisk}: a file for any of them
     * accounts for it. The caller {@link #forget}s each before reporting it, which loses the race to retention.
     */
    List<Integer> missing(CycleFiles files, int oldestOnDisk) {
        List<Integer> missing = new ArrayList<>();
        int newest = latest();
        if (newest == Integer.MIN_VALUE) {
            return missing;
        }
        for (int w = 0; w < WORDS; w++) {
            long bits = words[w].getVolatileValue();
            while (bits != 0) {
                int slot = w * 64 + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                int cycle = newest - Math.floorMod(newest - slot, CYCLES);
                if (cycle >= 0 && !anyExists(files, cycle, oldestOnDisk)) {
                    missing.add(cycle);
                }
            }
        }
        missing.sort(Comparator.reverseOrder());
        return missing;
    }

    private static boolean anyExists(CycleFiles files, int cycle, int oldestOnDisk) {
        for (int c = cycle; c >= 0 && (c == cycle || c >= oldestOnDisk); c -= CYCLES) {
            if (Files.exists(files.fileFor(c))) {
                return true;
            }
        }
        return false;
    }

    private LongValue wordOf(int cycle) {
        return words[Math.floorMod(cycle, CYCLES) / 64];
    }

    private static long bitOf(int cycle) {
        return 1L << (Math.floorMod(cycle, CYCLES) % 64);
    }

    @Override
    public void close() {
        for (LongValue w : words) {
            w.close();
        }
        latest.close();
    }
}
