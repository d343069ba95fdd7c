package io.wssink.internal.spool;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The file that holds a cycle, named as Chronicle names it: the roll cycle's date format, in UTC, from the epoch. */
final class CycleFiles {
    // Immutable, read by any thread.
    private final Path queueDir;
    private final DateTimeFormatter names;
    private final long epoch;
    private final long lengthMillis;

    CycleFiles(SingleChronicleQueue queue) {
        RollCycle roll = queue.rollCycle();
        this.queueDir = queue.file().toPath();
        this.names = DateTimeFormatter.ofPattern(roll.format()).withZone(ZoneOffset.UTC);
        this.epoch = queue.epoch();
        this.lengthMillis = roll.lengthInMillis();
    }

    Path fileFor(long cycle) {
        return queueDir.resolve(names.format(Instant.ofEpochMilli(epoch + cycle * lengthMillis)) + ".cq4");
    }

    Path directory() {
        return queueDir;
    }
}
