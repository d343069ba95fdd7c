package io.wssink.internal.forward;

/**
 * When each record sent on the current connection was written, until its ack: so that an ack can tell how long
 * each event took from {@code write} to the receiver's acknowledgement, without a second read of the spool. Two
 * primitive rings that double when full (rarely: they hold what is in flight, bounded by maxInFlightBytes) and
 * never shrink; nothing allocated per record. Ids compare unsigned.
 *
 * <p>Threads: the forwarder thread's only.
 */
final class InFlightTimes {
    private long[] ids = new long[1024];
    private long[] writtenAt = new long[1024];
    /** Index of the oldest entry. */
    private int head;
    private int size;

    /**
     * Adds a record sent; one at or below the newest entry was sent before, on a connection that ended, and read again
     * after the rewind: it is there already, with the same write time, and not added twice.
     */
    void add(long id, long writtenAtMillis) {
        if (size > 0 && Long.compareUnsigned(id, ids[(head + size - 1) & (ids.length - 1)]) <= 0) {
            return;
        }
        if (size == ids.length) {
            grow();
        }
        int at = (head + size) & (ids.length - 1);
        ids[at] = id;
        writtenAt[at] = writtenAtMillis;
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** Reading starts again from the cursor after an internal error: what is sent again is added again then. */
    void clear() {
        head = 0;
        size = 0;
    }

    /** Hands every entry up to {@code ackedId} to the observers, oldest first, and forgets it. Returns how many. */
    int ackThrough(long ackedId, long nowMillis, AckObserver[] observers) {
        int n = 0;
        int mask = ids.length - 1;
        while (size > 0 && Long.compareUnsigned(ids[head], ackedId) <= 0) {
            for (AckObserver o : observers) {
                o.acked(ids[head], writtenAt[head], nowMillis);
            }
            head = (head + 1) & mask;
            size--;
            n++;
        }
        return n;
    }

    private void grow() {
        int capacity = ids.length;
        long[] newIds = new long[capacity * 2];
        long[] newTimes = new long[capacity * 2];
        for (int i = 0; i < size; i++) {
            int from = (head + i) & (capacity - 1);
            newIds[i] = ids[from];
            newTimes[i] = writtenAt[from];
        }
        ids = newIds;
        writtenAt = newTimes;
        head = 0;
    }
}
