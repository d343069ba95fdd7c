package io.wssink.internal.spool;

import io.wssink.spool.Durability;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolStats;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** Immutable settings of a spool; build with {@link #builder()} and {@link Builder#directory(Path)}. */
public final class SpoolConfig {
    public static final long DEFAULT_MAX_SPOOL_BYTES = 1L << 30;
    public static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;
    public static final long DEFAULT_BLOCK_SIZE = 16L << 20;
    public static final long MIN_BLOCK_SIZE = 1L << 20;

    // Immutable: set from the builder by the constructor, read by any thread.
    private final Path directory;
    private final Durability durability;
    private final long maxSpoolBytes;
    private final FullPolicy fullPolicy;
    private final Duration blockTimeout;
    private final int maxEventBytes;
    private final RollPeriod rollPeriod;
    private final long blockSize;
    private final long minFreeDiskBytes;
    private final boolean createIfMissing;
    /** Null when off (the default). */
    private final Duration maxEventAge;

    private SpoolConfig(Builder b) {
        if (b.directory == null) {
            throw new IllegalArgumentException("a spool directory is needed: WebSocketSink.builder().spool(path),"
                    + " or SpoolConfig.builder().directory(path)");
        }
        this.directory = b.directory;
        this.durability = b.durability;
        this.maxSpoolBytes = b.maxSpoolBytes;
        this.fullPolicy = b.fullPolicy;
        this.blockTimeout = b.blockTimeout;
        this.maxEventBytes = b.maxEventBytes > 0 ? b.maxEventBytes
                : (int) Math.min(DEFAULT_MAX_EVENT_BYTES, b.blockSize / 4);
        this.rollPeriod = b.rollPeriod;
        this.blockSize = b.blockSize;
        this.minFreeDiskBytes = b.minFreeDiskBytes >= 0 ? b.minFreeDiskBytes : 4 * b.blockSize;
        this.createIfMissing = b.createIfMissing;
        this.maxEventAge = b.maxEventAge;
        if (maxEventAge != null && (maxEventAge.isNegative() || maxEventAge.isZero())) {
            throw new IllegalArgumentException("maxEventAge must be positive, not " + maxEventAge);
        }
        if (blockSize < MIN_BLOCK_SIZE || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("blockSize must be a power of two of at least 1 MiB (Chronicle's"
                    + " smallest), not " + blockSize);
        }
        if (maxEventBytes <= 0 || maxEventBytes > blockSize / 4) {
            throw new IllegalArgumentException("maxEventBytes must be in 1.." + blockSize / 4
                    + " (a quarter of blockSize " + blockSize + "), not " + maxEventBytes);
        }
        if (b.minFreeDiskBytes >= 0 && b.minFreeDiskBytes < blockSize) {
            // free space is measured again every quarter block, and Chronicle maps a whole block at a time
            throw new IllegalArgumentException("minFreeDiskBytes (" + b.minFreeDiskBytes + ") must be at least one"
                    + " block (blockSize " + blockSize + "): below that, the next block Chronicle maps may find no"
                    + " disk to back it, which kills the JVM (SIGBUS)");
        }
        if (maxSpoolBytes < 3 * fileBytes(blockSize)) {
            throw new IllegalArgumentException("maxSpoolBytes (" + maxSpoolBytes
                    + ") must hold at least three files of " + fileBytes(blockSize) + " bytes (blockSize " + blockSize
                    + " and its overlap)");
        }
    }

    /** What one cycle file takes on disk at least: Chronicle maps a block plus a quarter block of overlap. */
    public static long fileBytes(long blockSize) {
        return blockSize + blockSize / 4;
    }

    /** A builder with every default and no directory yet; {@link Builder#build()} needs one. */
    public static Builder builder() {
        return new Builder();
    }

    /** Same as {@code builder().directory(directory)}. */
    public static Builder builder(Path directory) {
        return new Builder().directory(directory);
    }

    public Builder toBuilder() {
        Builder b = new Builder().directory(directory);
        b.durability = durability;
        b.maxSpoolBytes = maxSpoolBytes;
        b.fullPolicy = fullPolicy;
        b.blockTimeout = blockTimeout;
        b.maxEventBytes = maxEventBytes;
        b.rollPeriod = rollPeriod;
        b.blockSize = blockSize;
        b.minFreeDiskBytes = minFreeDiskBytes;
        b.createIfMissing = createIfMissing;
        return b;
    }

    public Path directory() { return directory; }
    public Durability durability() { return durability; }
    /** The most the spool's files may take on disk; counted in whole blocks, as Chronicle grows its files. */
    public long maxSpoolBytes() { return maxSpoolBytes; }
    public FullPolicy fullPolicy() { return fullPolicy; }
    /** How long {@link FullPolicy#BLOCK} waits for space. */
    public Duration blockTimeout() { return blockTimeout; }
    /** The largest event accepted (1 MiB, or a quarter block if less); a larger one is refused with
     * {@link IllegalArgumentException}. */
    public int maxEventBytes() { return maxEventBytes; }
    public RollPeriod rollPeriod() { return rollPeriod; }
    /** Chronicle's mapping unit; files grow by this much at a time. */
    public long blockSize() { return blockSize; }
    /** Below this much free space on the spool's file system, the spool counts as full (Chronicle dies of SIGBUS
     * when it maps a block that the disk cannot back). */
    public long minFreeDiskBytes() { return minFreeDiskBytes; }
    /** Whether opening a missing directory creates a new spool (false for read-only tools such as status). */
    public boolean createIfMissing() { return createIfMissing; }
    /** Events older than this (by their append time) when the forwarder reaches them are skipped, counted in
     * {@link SpoolStats#expiredEvents()} and never sent; null when off (the default). See docs/SPOOL.md. */
    public Duration maxEventAge() { return maxEventAge; }

    /** Not thread-safe: one thread sets it up and builds. */
    public static final class Builder {
        // Set and read by the thread that builds.
        private Path directory;
        private Durability durability = Durability.PROCESS;
        private long maxSpoolBytes = DEFAULT_MAX_SPOOL_BYTES;
        private FullPolicy fullPolicy = FullPolicy.BLOCK;
        private Duration blockTimeout = Duration.ofSeconds(30);
        private int maxEventBytes = -1; // DEFAULT_MAX_EVENT_BYTES, or a quarter block if that is less
        private RollPeriod rollPeriod = RollPeriod.HOURLY;
        private long blockSize = DEFAULT_BLOCK_SIZE;
        private long minFreeDiskBytes = -1;
        private boolean createIfMissing = true;
        private Duration maxEventAge;

        private Builder() {
        }

        /** The spool directory: created on first use (0700) unless {@link #createIfMissing(boolean)} says not to. */
        public Builder directory(Path v) { this.directory = Objects.requireNonNull(v, "directory"); return this; }
        public Builder durability(Durability v) { this.durability = Objects.requireNonNull(v); return this; }
        public Builder maxSpoolBytes(long v) { this.maxSpoolBytes = v; return this; }
        public Builder fullPolicy(FullPolicy v) { this.fullPolicy = Objects.requireNonNull(v); return this; }
        public Builder blockTimeout(Duration v) { this.blockTimeout = Objects.requireNonNull(v); return this; }
        public Builder maxEventBytes(int v) {
            if (v <= 0) {
                throw new IllegalArgumentException("maxEventBytes must be positive, not " + v);
            }
            this.maxEventBytes = v;
            return this;
        }
        public Builder rollPeriod(RollPeriod v) { this.rollPeriod = Objects.requireNonNull(v); return this; }
        public Builder blockSize(long v) { this.blockSize = v; return this; }
        public Builder minFreeDiskBytes(long v) { this.minFreeDiskBytes = v; return this; }
        public Builder createIfMissing(boolean v) { this.createIfMissing = v; return this; }
        /** Skip events older than this when they are read, instead of sending them; null turns it off (default). */
        public Builder maxEventAge(Duration v) { this.maxEventAge = v; return this; }

        public SpoolConfig build() {
            return new SpoolConfig(this);
        }
    }
}
