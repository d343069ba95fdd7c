package io.wssink.internal.spool;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;

/** The file that holds a cycle, named as Chronicle names it: the roll cycle's date format, in UTC, from the epoch. */
final class CycleFiles {
    // Immutable, read by any thread.
    private final Path queueDir;
    private final DateTimeFormatter names;
    /** The same format, reading a name back: fields the format leaves out (minutes of an hourly name) are 0. */
    private final DateTimeFormatter parser;
    private final long epoch;
    private final long lengthMillis;

    CycleFiles(SingleChronicleQueue queue) {
        RollCycle roll = queue.rollCycle();
        this.queueDir = queue.file().toPath();
        this.names = DateTimeFormatter.ofPattern(roll.format()).withZone(ZoneOffset.UTC);
        this.parser = new DateTimeFormatterBuilder().appendPattern(roll.format())
                .parseDefaulting(ChronoField.HOUR_OF_DAY, 0).parseDefaulting(ChronoField.MINUTE_OF_HOUR, 0)
                .parseDefaulting(ChronoField.SECOND_OF_MINUTE, 0).toFormatter();
        this.epoch = queue.epoch();
        this.lengthMillis = roll.lengthInMillis();
    }

    Path fileFor(long cycle) {
        return queueDir.resolve(names.format(Instant.ofEpochMilli(epoch + cycle * lengthMillis)) + ".cq4");
    }

    /**
     * The cycles before {@code end} that have a file, oldest first, from a listing of the directory itself.
     *
     * <p>Not Chronicle's {@code listCyclesBetween}: it wants a file at both ends of the range, and cycles with no
     * events have none (an hourly spool idle for an hour), so retention failed every second until the cursor's cycle
     * moved on ("'file not found' for the upperCycle"). Nor its first cycle: that comes from a listing it caches.
     */
    List<Integer> cyclesBefore(int end) throws IOException {
        List<Integer> cycles = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queueDir, "*.cq4")) {
            for (Path file : files) {
                long cycle = cycleOf(file.getFileName().toString());
                if (cycle != NO_CYCLE && cycle < end) {
                    cycles.add((int) cycle);
                }
            }
        }
        cycles.sort(null);
        return cycles;
    }

    /** What {@link #cycleOf} returns for a name that is not a cycle file's. */
    static final long NO_CYCLE = Long.MIN_VALUE;

    /** The cycle whose file has this name, or {@link #NO_CYCLE}: only a name {@link #fileFor} gives counts. */
    long cycleOf(String fileName) {
        if (!fileName.endsWith(".cq4")) {
            return NO_CYCLE;
        }
        try {
            LocalDateTime start = LocalDateTime.parse(fileName.substring(0, fileName.length() - 4), parser);
            long cycle = Math.floorDiv(start.toInstant(ZoneOffset.UTC).toEpochMilli() - epoch, lengthMillis);
            return cycle >= 0 && cycle <= Integer.MAX_VALUE && fileFor(cycle).getFileName().toString().equals(fileName)
                    ? cycle : NO_CYCLE;
        } catch (DateTimeParseException e) {
            return NO_CYCLE;
        }
    }

    Path directory() {
        return queueDir;
    }
}
