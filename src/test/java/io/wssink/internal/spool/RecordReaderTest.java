package io.wssink.internal.spool;

import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The one helper that copies whole documents out of Chronicle, on a real queue. */
class RecordReaderTest {
    static {
        ChronicleSettings.apply();
    }

    @TempDir
    Path tmp;

    private static long write(ExcerptAppender appender, byte[] bytes) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(bytes);
        }
        return appender.lastIndexAppended();
    }

    @Test
    void readsEveryRecordWholeInOrderGrowingItsBufferForLargeOnes() {
        Random random = new Random(5);
        int[] sizes = {1, 17, 4095, 4096, 4097, 100_000, 3};
        List<byte[]> written = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(tmp).build();
             ExcerptAppender appender = queue.createAppender();
             ExcerptTailer tailer = queue.createTailer()) {
            for (int size : sizes) {
                byte[] b = new byte[size];
                random.nextBytes(b);
                written.add(b);
                ids.add(write(appender, b));
            }
            RecordReader records = new RecordReader(16);
            for (int i = 0; i < sizes.length; i++) {
                assertTrue(records.next(tailer), "record " + i);
                assertEquals(ids.get(i), records.id());
                assertArrayEquals(written.get(i), Arrays.copyOf(records.buffer(), records.length()), "record " + i);
            }
            assertFalse(records.next(tailer), "false at the end");
            assertEquals(ids.get(sizes.length - 1), records.id(), "and nothing read");
        }
    }

    @Test
    void positionAfterFindsTheCursorThroughTheIndexOrStepsOverWhatItCovers() {
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(tmp).build();
             ExcerptAppender appender = queue.createAppender();
             ExcerptTailer tailer = queue.createTailer()) {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ids.add(write(appender, new byte[] {(byte) i}));
            }
            RecordReader records = new RecordReader(4);

            assertEquals(0, RecordReader.positionAfter(tailer, Spool.NONE), "no cursor: from the start");
            assertTrue(records.next(tailer));
            assertEquals(ids.get(0), records.id());

            assertEquals(1, RecordReader.positionAfter(tailer, ids.get(3)), "an existing cursor: one step");
            assertTrue(records.next(tailer));
            assertEquals(ids.get(4), records.id());

            // a cursor whose record is gone, in an earlier cycle (its file deleted by retention): from the oldest
            long gone = ids.get(0) - 1;
            assertEquals(0, RecordReader.positionAfter(tailer, gone), "nothing left that it covers");
            assertTrue(records.next(tailer));
            assertEquals(ids.get(0), records.id());

            long beyond = ids.get(9) + 5;
            assertEquals(10, RecordReader.positionAfter(tailer, beyond), "a cursor past the end covers all");
            assertFalse(records.next(tailer));
        }
    }
}
