package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;

import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Ranges of ids that will never be delivered (expired by {@code maxEventAge}, or dropped by
 * {@link FullPolicy#DROP_OLDEST}), so that a caller waiting for one of them is told so instead of seeing it
 * acknowledged. One entry per run of consecutive skipped events, not per event: an expired backlog of a million
 * events is one entry. Kept in memory, by the process that skipped them. Thread-safe: the reader (or an appender)
 * adds, any thread asks; ids compare unsigned.
 */
final class IdRanges {
    /** First id of each range to its last; any thread. */
    private final ConcurrentNavigableMap<Long, Long> ranges = new ConcurrentSkipListMap<>(Long::compareUnsigned);

    /** Adds {@code [first, last]}; or extends the range that starts at {@code first}, when there is one. */
    void add(long first, long last) {
        ranges.merge(first, last, (old, now) -> Long.compareUnsigned(old, now) >= 0 ? old : now);
    }

    boolean contains(long id) {
        if (ranges.isEmpty()) {
            return false;
        }
        Map.Entry<Long, Long> e = ranges.floorEntry(id);
        return e != null && Long.compareUnsigned(id, e.getValue()) <= 0;
    }
}
