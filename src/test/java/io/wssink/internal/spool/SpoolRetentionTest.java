package io.wssink.internal.spool;

import io.wssink.spool.RollPeriod;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class SpoolRetentionTest {
    @TempDir
    Path tmp;

    /** Appends one event per new second until the spool spans {@code cycles} cycle files. */
    static List<Long> appendAcrossCycles(Spool spool, int cycles) {
        List<Long> ids = new ArrayList<>();
        await().atMost(Duration.ofSeconds(cycles + 10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            long id = spool.append("event-" + ids.size());
            if (ids.isEmpty() || cycleOf(id) != cycleOf(ids.get(ids.size() - 1))) {
                ids.add(id);
            }
            return ids.size() >= cycles;
        });
        return ids;
    }

    static int cycleOf(long id) {
        return ChronicleSpool.rollCycle(RollPeriod.TEST_SECONDLY).toCycle(id);
    }

    @Test
    void retentionDeletesOnlyFilesBeforeTheCursorsAndReadingResumesAfterIt() throws Exception {
        Path dir = tmp.resolve("spool");
        SpoolConfig config = SpoolConfig.builder(dir).rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20)
                .maxSpoolBytes(64L << 20).maxEventBytes(1 << 10).build();
        List<Event> fromThirdFile;
        try (Spool spool = Spool.open(config)) {
            List<Long> firstOfCycle = appendAcrossCycles(spool, 4);
            assertEquals(4, cycleFiles(dir).size());
            try (SpoolReader reader = spool.openReader()) {
                List<Event> all = Spools.readAll(reader);
                // ack up to the last event of the second file: both first files are fully acknowledged
                long ackTo = all.stream().mapToLong(Event::id).filter(id -> id < firstOfCycle.get(2)).max().orElseThrow();
                reader.ack(ackTo);
                assertEquals(1, reader.retain(), "the first file goes; the cursor's own file stays");
                assertEquals(3, cycleFiles(dir).size());
                assertEquals(all.size(), spool.stats().appendedEvents(), "the events of deleted files still count");
                assertEquals(0, reader.retain(), "nothing more goes until the cursor moves on");
                List<Event> afterCursor = all.stream().filter(e -> e.id() > ackTo).toList();
                reader.rewindCursorTo(ackTo);
                assertEquals(afterCursor, Spools.readAll(reader), "reading resumes right after the cursor");

                // acking into the third file frees the second; the third holds unacknowledged events
                reader.ack(firstOfCycle.get(2));
                assertEquals(1, reader.retain());
                assertEquals(2, cycleFiles(dir).size());
                fromThirdFile = all.stream().filter(e -> e.id() >= firstOfCycle.get(2)).toList();
                reader.rewindCursorTo(ackTo); // its file is gone: rewind starts from the oldest file left
                assertEquals(fromThirdFile, Spools.readAll(reader), "reading resumes at the first record still there");
            }
        }
        try (Spool spool = Spool.open(config)) {
            assertEquals(fromThirdFile, Spools.readAll(spool), "and after a reopen");
            assertEquals(fromThirdFile.size(), spool.stats().backlogEvents());
        }
    }

    static List<Path> cycleFiles(Path spoolDir) throws IOException {
        try (Stream<Path> files = Files.list(spoolDir.resolve("queue"))) {
            return files.filter(p -> p.toString().endsWith(".cq4")).toList();
        }
    }
}
