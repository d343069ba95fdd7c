package io.wssink.spool;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;

/**
 * When an appended event reaches the disk itself rather than the kernel's page cache.
 * <ul>
 * <li>{@link #PROCESS}: the spool is memory-mapped, so once {@code append} returns the event is in the page cache
 *     and survives any death of the process (kill -9, OOM, a JVM crash); a power cut or kernel panic can lose the
 *     events of the last few seconds that the kernel had not yet written back.</li>
 * <li>{@link #SYNC_EACH}: {@code append} calls msync before it returns; the event survives a power cut as far as
 *     the disk honours flushes. Costs a disk flush per event.</li>
 * <li>{@link #syncInterval(Duration)}: msync at most every interval (on append, and by a timer when idle); a power
 *     cut loses at most about one interval of events.</li>
 * </ul>
 */
public final class Durability {
    public enum Mode { PROCESS, SYNC_EACH, SYNC_INTERVAL }

    public static final Durability PROCESS = new Durability(Mode.PROCESS, Duration.ZERO);
    public static final Durability SYNC_EACH = new Durability(Mode.SYNC_EACH, Duration.ZERO);

    // Immutable, read by any thread.
    private final Mode mode;
    private final Duration interval;

    private Durability(Mode mode, Duration interval) {
        this.mode = mode;
        this.interval = interval;
    }

    public static Durability syncInterval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("sync interval must be positive: " + interval);
        }
        return new Durability(Mode.SYNC_INTERVAL, interval);
    }

    /**
     * Parses {@code process}, {@code sync-each} or {@code sync-interval:} and an interval: {@code 200ms}, {@code 5s},
     * {@code 1m}, {@code 1h} or ISO-8601 ({@code PT5S}).
     *
     * @throws IllegalArgumentException for anything else, naming the choices
     */
    public static Durability parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("process")) {
            return PROCESS;
        }
        if (t.equals("sync-each")) {
            return SYNC_EACH;
        }
        if (t.startsWith("sync-interval:")) {
            String d = t.substring("sync-interval:".length()).strip();
            try {
                return syncInterval(interval(d));
            } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
                // DateTimeParseException is no IllegalArgumentException: the CLI took it for a failure (exit 1)
                throw notADurability(text);
            }
        }
        throw notADurability(text);
    }

    /** 200ms, 5s, 1m, 1h, 1d (the short forms of the CLI's other durations), or ISO-8601; lower case. */
    private static Duration interval(String d) {
        if (d.startsWith("p")) {
            return Duration.parse(d.toUpperCase(Locale.ROOT));
        }
        if (d.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(d.substring(0, d.length() - 2)));
        }
        long n = Long.parseLong(d.substring(0, Math.max(0, d.length() - 1)));
        return switch (d.isEmpty() ? ' ' : d.charAt(d.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> throw new NumberFormatException("no unit");
        };
    }

    private static IllegalArgumentException notADurability(String text) {
        return new IllegalArgumentException("durability must be process, sync-each or sync-interval:<interval> (200ms,"
                + " 5s, 1m or PT5S), not: " + text);
    }

    public Mode mode() {
        return mode;
    }

    /** The sync interval; zero unless {@link Mode#SYNC_INTERVAL}. */
    public Duration interval() {
        return interval;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Durability d && d.mode == mode && d.interval.equals(interval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, interval);
    }

    @Override
    public String toString() {
        return mode == Mode.SYNC_INTERVAL ? "sync-interval:" + interval.toMillis() + "ms"
                : mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
