package io.wssink.internal.forward;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class InFlightTimesTest {
    @Test
    void handsEachAckedEntryOverOnceInOrderAcrossWrapsAndGrowth() {
        InFlightTimes times = new InFlightTimes();
        List<long[]> seen = new ArrayList<>();
        AckObserver[] observers = {(id, written, acked) -> seen.add(new long[] {id, written, acked})};
        long next = 1;
        long expected = 1;
        for (int round = 0; round < 5; round++) {
            int batch = 700 * (round + 1); // wraps the first ring, then makes it grow twice with entries wrapped
            for (int i = 0; i < batch; i++, next++) {
                times.add(next, next * 10);
            }
            long through = next - 1 - 300; // leaves 300 behind for the next round
            int handed = times.ackThrough(through, 99, observers);
            assertEquals(through - expected + 1, handed);
            for (long[] e : seen) {
                assertEquals(expected, e[0]);
                assertEquals(expected * 10, e[1]);
                assertEquals(99, e[2]);
                expected++;
            }
            seen.clear();
            assertEquals(300, times.size());
        }
        times.clear();
        assertTrue(times.isEmpty());
        assertEquals(0, times.ackThrough(Long.MAX_VALUE, 1, observers));
    }

    @Test
    void aRecordSentAgainAfterAReconnectKeepsItsOneEntry() {
        InFlightTimes times = new InFlightTimes();
        List<Long> seen = new ArrayList<>();
        AckObserver[] observers = {(id, written, acked) -> seen.add(id)};
        for (long id = 1; id <= 10; id++) {
            times.add(id, id * 10);
        }
        for (long id = 1; id <= 12; id++) { // read again after the rewind, and two new ones
            times.add(id, id * 10);
        }
        assertEquals(12, times.size());
        assertEquals(12, times.ackThrough(12, 99, observers));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), seen);
    }
}
