package io.wssink.internal.spool;

import io.wssink.spool.RollPeriod;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Cycle files named and read back as Chronicle names them, on a real queue's roll cycle and epoch. */
class CycleFilesTest {
    static {
        ChronicleSettings.apply();
    }

    @TempDir
    Path tmp;

    private SingleChronicleQueue queue(RollPeriod period) {
        return SingleChronicleQueueBuilder.binary(tmp.resolve(period.name()))
                .rollCycle(ChronicleSpool.rollCycle(period)).build();
    }

    @ParameterizedTest
    @EnumSource(RollPeriod.class)
    void eachCyclesFileNameReadsBackAsThatCycle(RollPeriod period) {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (SingleChronicleQueue queue = queue(period)) {
            CycleFiles files = new CycleFiles(queue);
            int now = queue.cycle();
            for (int i = 0; i < 1000; i++) {
                int cycle = i == 0 ? now : i == 1 ? 0 : random.nextInt((int) Math.min(Integer.MAX_VALUE, now * 2L));
                String name = files.fileFor(cycle).getFileName().toString();
                assertEquals(cycle, files.cycleOf(name), name + " (seed " + seed + ")");
            }
        }
    }

    /** Against a file Chronicle wrote itself, not only against {@link CycleFiles#fileFor}. */
    @ParameterizedTest
    @EnumSource(RollPeriod.class)
    void theFileChronicleWritesReadsBackAsItsCycle(RollPeriod period) throws Exception {
        try (SingleChronicleQueue queue = queue(period); ExcerptAppender appender = queue.createAppender()) {
            try (DocumentContext dc = appender.writingDocument()) {
                dc.wire().bytes().writeLong(1);
            }
            CycleFiles files = new CycleFiles(queue);
            List<Path> written;
            try (Stream<Path> list = Files.list(files.directory())) {
                written = list.filter(f -> f.toString().endsWith(".cq4")).toList();
            }
            assertEquals(1, written.size(), written.toString());
            assertEquals(queue.rollCycle().toCycle(appender.lastIndexAppended()),
                    files.cycleOf(written.get(0).getFileName().toString()), written.get(0).toString());
            assertEquals(written.get(0), files.fileFor(queue.lastCycle()));
        }
    }

    @Test
    void namesThatAreNotCycleFilesReadAsNone() {
        try (SingleChronicleQueue queue = queue(RollPeriod.HOURLY)) {
            CycleFiles files = new CycleFiles(queue);
            String hour = files.fileFor(queue.cycle()).getFileName().toString(); // 20261127-10F.cq4
            assertNotEquals(CycleFiles.NO_CYCLE, files.cycleOf(hour));
            for (String name : List.of("metadata.cq4t", "directory-listing.cq4t", "20261127-1F.cq4", "20261127F.cq4",
                    "20261127-1000T.cq4", "20261127-25F.cq4", hour.replace(".cq4", ".cq4.tmp"), "x" + hour, ".cq4")) {
                assertEquals(CycleFiles.NO_CYCLE, files.cycleOf(name), name);
            }
        }
    }

    @Test
    void cyclesBeforeListsTheFilesThereOldestFirstAndNothingElse() throws Exception {
        try (SingleChronicleQueue queue = queue(RollPeriod.HOURLY)) {
            CycleFiles files = new CycleFiles(queue);
            Files.createDirectories(files.directory());
            for (int cycle : new int[] {1000, 7, 1003, 1001}) { // 1002 has no file
                Files.createFile(files.fileFor(cycle));
            }
            Files.createFile(files.directory().resolve("notes.cq4"));
            assertEquals(List.of(7, 1000, 1001), files.cyclesBefore(1002));
            assertEquals(List.of(7, 1000, 1001), files.cyclesBefore(1003));
            assertEquals(List.of(), files.cyclesBefore(7));
        }
    }
}
