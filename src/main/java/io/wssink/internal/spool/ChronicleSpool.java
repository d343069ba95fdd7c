package io.wssink.internal.spool;

import io.wssink.internal.DaemonThreads;
import io.wssink.internal.spool.SpoolDirectory.Marker;
import io.wssink.spool.DroppedEventException;
import io.wssink.spool.Durability;
import io.wssink.spool.ExpiredEventException;
import io.wssink.spool.QuarantinedEventException;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolException;
import io.wssink.spool.SpoolFullException;
import io.wssink.spool.SpoolStats;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.StoreFileListener;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** The {@link Spool} on a Chronicle Queue. See docs/SPOOL.md for the layout, the cursor and retention. */
final class ChronicleSpool implements Spool {
    static {
        ChronicleSettings.apply();
    }

    private static final Logger log = LoggerFactory.getLogger(ChronicleSpool.class);
    private static final int COUNTER_BATCH = 64;
    private static final VarHandle UNSHARED_BYTES;

    static {
        try {
            UNSHARED_BYTES = MethodHandles.lookup().findVarHandle(ChronicleSpool.class, "unsharedBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Set once by the constructor, then read by any thread.
    private final SpoolConfig config;
    private final Path directory;
    private final String streamId;
    /** The stream id before the last fork, and why it forked; empty if it never did. */
    private final String forkedFrom;
    private final String forkReason;
    private final SingleChronicleQueue queue;
    /** Shared memory: each value is read and written atomically by any thread of any process. */
    private final SpoolCounters counters;
    private final CycleFiles cycleFiles;
    /** Shared memory, as the counters; an appender records its cycle under the monitor. */
    private final CycleManifest manifest;
    /** Thread-safe: the reader adds to it, any thread asks it. */
    private final Quarantine quarantine;
    /** Thread-safe: what this process skipped for its age (the reader adds) or dropped under DROP_OLDEST. */
    private final IdRanges expired = new IdRanges();
    private final IdRanges droppedOldest = new IdRanges();
    private final long epochMillis;
    private final long cycleMillis;
    /** Set by the opening thread, then read by whichever thread holds the monitor (the clock, by any thread). */
    private final AppendClock clock;
    private final ScheduledExecutorService syncTimer;

    // Guarded by this spool's monitor: the appending thread of the moment, stats, the sync timer, close.
    private final SpoolCapacity capacity;
    private final RecordCodec codec = new RecordCodec();
    private final TextEncoder textEncoder = new TextEncoder();
    private ExcerptAppender appender;
    private int appenderCycle = Integer.MIN_VALUE;
    /** Bytes not yet added to the shared counter, and how many appends they are: an atomic add on shared memory per
     * append costs more than the rest of the bookkeeping, so they are added every {@link #COUNTER_BATCH} appends, and
     * by stats and close. (The count of events is read from the queue itself: exact even when a process is killed.) */
    private long unsharedEvents;
    /** Also read, without the monitor, by statsWithoutLock (through UNSHARED_BYTES). */
    private long unsharedBytes;
    /** Appends made through this instance; tells a text append whether others used the encoder while it waited. */
    private long appendCount;
    private boolean unsynced;
    private long lastSyncNanos;
    /** This open's mark ({@link OpenMarks}), removed by close; null without a boot id. Set once. */
    private Path openMark;
    /** Set once by close; an append that finds it set throws. */
    private boolean closed;

    // Any thread: what statsWithoutLock reads besides the shared counters.
    /** The disk size stats() last measured. */
    private volatile long lastDiskBytes;
    /** Cleared first thing by close, so statsWithoutLock stops reading files about to be unmapped. */
    private volatile boolean openForStats = true;
    /**
     * Held shared by each statsWithoutLock while it reads the mapped files, and exclusively by close before it unmaps
     * them: the flag alone let a scrape that had checked it read on while close unmapped (a scrape racing shutdown).
     * Never taken by append: a scrape waits for no write, and no write for a scrape.
     */
    private final ReentrantReadWriteLock statsReaders = new ReentrantReadWriteLock();

    private ChronicleSpool(SpoolConfig config, Marker marker, SingleChronicleQueue queue, AppendClock clock) {
        this.config = config;
        this.clock = clock;
        this.directory = config.directory();
        this.queue = queue;
        this.counters = new SpoolCounters(queue);
        this.manifest = new CycleManifest(queue);
        this.cycleFiles = new CycleFiles(queue);
        this.quarantine = new Quarantine(directory);
        try {
            Marker checked = StreamIdentity.checkMetadataBelongs(queue, counters, directory, marker);
            this.openMark = OpenMarks.leave(directory, OpenMarks.bootId());
            SpoolOpenChecks.checkCycleFiles(queue, manifest, cycleFiles, counters, directory);
            Marker settled = StreamIdentity.settleStream(queue, counters, directory, checked);
            this.streamId = settled.streamId();
            this.forkedFrom = settled.forkedFrom();
            this.forkReason = settled.forkReason();
        } catch (RuntimeException e) {
            OpenMarks.remove(openMark);
            manifest.close();
            counters.close();
            throw e;
        }
        this.epochMillis = queue.epoch();
        this.cycleMillis = queue.rollCycle().lengthInMillis();
        this.capacity = new SpoolCapacity(queue, cycleFiles, counters.ackCursor, counters.dropThrough, config.maxSpoolBytes(),
                config.minFreeDiskBytes(), config.blockSize());
        if (config.durability().mode() == Durability.Mode.SYNC_INTERVAL) {
            long every = config.durability().interval().toNanos();
            syncTimer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("wssink-spool-sync"));
            syncTimer.scheduleWithFixedDelay(this::syncIfDirty, every, every, TimeUnit.NANOSECONDS);
        } else {
            syncTimer = null;
        }
    }

    static ChronicleSpool open(SpoolConfig config) {
        Path dir = config.directory().toAbsolutePath();
        Marker marker = SpoolDirectory.prepare(dir, config.createIfMissing());
        Path queueDir = dir.resolve(SpoolDirectory.QUEUE);
        SpoolDirectory.createPrivateDirectory(queueDir);
        SingleChronicleQueue queue;
        AppendClock clock = new AppendClock();
        try {
            SingleChronicleQueueBuilder b = SingleChronicleQueueBuilder.binary(queueDir)
                    .timeProvider(clock)
                    .rollCycle(rollCycle(config.rollPeriod()))
                    .blockSize(config.blockSize())
                    .storeFileListener(new PrivateFiles());
            if (config.durability().mode() != Durability.Mode.PROCESS) {
                b.syncMode(SyncMode.SYNC);
            }
            queue = b.build();
        } catch (RuntimeException | Error e) {
            throw new SpoolException("cannot open the queue of spool " + dir + " (damaged or not a spool?): " + e, e);
        }
        SpoolDirectory.makePrivate(queueDir.resolve("metadata.cq4t"));
        try {
            SpoolOpenChecks.refuseTruncatedLastFile(queue, dir);
            return new ChronicleSpool(config, marker, queue, clock);
        } catch (RuntimeException e) {
            queue.close();
            throw e;
        }
    }

    static RollCycle rollCycle(RollPeriod period) {
        return switch (period) {
            case TEST_SECONDLY -> TestRollCycles.TEST_SECONDLY;
            case FIVE_MINUTELY -> RollCycles.FIVE_MINUTELY;
            case HOURLY -> RollCycles.FAST_HOURLY;
            case DAILY -> RollCycles.FAST_DAILY;
        };
    }

    @Override
    public long append(CharSequence text) {
        synchronized (this) {
            int length = textEncoder.encode(text, config.maxEventBytes());
            if (length < 0) {
                throw tooLarge(text.length() > config.maxEventBytes() ? text.length() : -1);
            }
            long before = appendCount;
            try {
                if (!admit(RecordCodec.HEADER_BYTES + length)) {
                    return DROPPED;
                }
                if (appendCount != before) {
                    length = textEncoder.encode(text, config.maxEventBytes()); // reused by others while BLOCK waited
                }
                byte[] utf8 = textEncoder.array();
                return write(codec.encode(EventKind.TEXT, clock.currentTimeMillis(), utf8, 0, length), utf8, 0, length);
            } finally {
                clock.release();
            }
        }
    }

    @Override
    public long append(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        checkSize(length);
        synchronized (this) {
            try {
                if (!admit(RecordCodec.HEADER_BYTES + length)) {
                    return DROPPED;
                }
                return write(codec.encode(EventKind.BINARY, clock.currentTimeMillis(), bytes, offset, length), bytes,
                        offset, length);
            } finally {
                clock.release();
            }
        }
    }

    @Override
    public long append(ByteBuffer bytes) {
        if (bytes.hasArray()) {
            return append(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        }
        int length = bytes.remaining();
        checkSize(length);
        synchronized (this) {
            try {
                if (!admit(RecordCodec.HEADER_BYTES + length)) {
                    return DROPPED;
                }
                return write(codec.encode(EventKind.BINARY, clock.currentTimeMillis(), bytes), bytes);
            } finally {
                clock.release();
            }
        }
    }

    /**
     * Writes the record {@code codec} just encoded, and the payload after it if the codec did not copy it. Caller
     * holds the monitor, which guards the appender, the codec and the encoder, and has admitted it.
     */
    private long write(int encoded, byte[] payload, int offset, int length) {
        try (DocumentContext dc = appender().writingDocument()) {
            Bytes<?> out = dc.wire().bytes().write(codec.record(), 0, encoded);
            if (encoded < RecordCodec.HEADER_BYTES + length) {
                out.write(payload, offset, length);
            }
        }
        return appended(length);
    }

    private long write(int encoded, ByteBuffer payload) {
        int length = payload.remaining();
        try (DocumentContext dc = appender().writingDocument()) {
            Bytes<?> out = dc.wire().bytes().write(codec.record(), 0, encoded);
            if (encoded < RecordCodec.HEADER_BYTES + length) {
                int position = payload.position();
                try {
                    out.writeSome(payload);
                } finally {
                    payload.position(position);
                }
            }
        }
        return appended(length);
    }

    private long appended(int payloadLength) {
        long recordBytes = RecordCodec.HEADER_BYTES + payloadLength;
        long id = appender.lastIndexAppended();
        if (appender.cycle() != appenderCycle) {
            appenderCycle = appender.cycle();
            SpoolDirectory.makePrivate(appender.currentFile().toPath()); // Chronicle's listener misses new files
            manifest.written(appenderCycle);
        }
        capacity.appended(recordBytes);
        appendCount++;
        unsharedBytes += recordBytes;
        if (++unsharedEvents == COUNTER_BATCH) {
            shareCounts();
        }
        switch (config.durability().mode()) {
            case SYNC_EACH -> appender.sync();
            case SYNC_INTERVAL -> {
                unsynced = true;
                if (System.nanoTime() - lastSyncNanos >= config.durability().interval().toNanos()) {
                    sync();
                }
            }
            case PROCESS -> { }
        }
        return id;
    }

    /** Caller holds the monitor. */
    private void shareCounts() {
        if (unsharedEvents != 0) {
            counters.appendedBytes.addAtomicValue(unsharedBytes);
            unsharedEvents = 0;
            unsharedBytes = 0;
        }
    }

    /** The queue's current cycle, from the clock already read: Chronicle's own lookup costs more per append. */
    private int cycleAt(long nowMillis) {
        return (int) ((nowMillis - epochMillis) / cycleMillis);
    }

    /**
     * Applies the full policy; true when the record may be written. Reads the {@link AppendClock}, whose reading the
     * record's timestamp and Chronicle's choice of cycle then share; the caller releases it.
     */
    private boolean admit(long recordBytes) {
        if (closed) {
            throw new IllegalStateException("spool " + directory + " is closed");
        }
        if (capacity.hasRoomFor(recordBytes, cycleAt(clock.read()))) {
            return true;
        }
        switch (config.fullPolicy()) {
            case DROP_NEWEST -> {
                counters.droppedEvents.addAtomicValue(1);
                return false;
            }
            case FAIL -> throw new SpoolFullException("spool full: " + capacity.fullReason());
            case DROP_OLDEST -> {
                do {
                    // Dropping gives room in the count at once, but disk space only when retention deletes the files
                    // (within a second, and a file only once the cursor has left it): when the disk's floor is what
                    // is short, dropping file after file here would empty the spool for nothing. The new event goes.
                    if (capacity.diskShort() || !dropOldest()) {
                        counters.droppedEvents.addAtomicValue(1); // nor anything unacknowledged left to give room
                        return false;
                    }
                    capacity.remeasure();
                } while (!capacity.hasRoomFor(recordBytes, cycleAt(clock.read())));
                return true;
            }
            case BLOCK -> {
                long deadline = System.nanoTime() + config.blockTimeout().toNanos();
                while (!capacity.hasRoomFor(recordBytes, cycleAt(clock.read()))) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SpoolFullException("spool full for " + config.blockTimeout() + ": "
                                + capacity.fullReason());
                    }
                    try {
                        wait(Math.max(1, Math.min(5, left / 1_000_000))); // releases the monitor: stats go on
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SpoolFullException("interrupted while waiting for room: " + capacity.fullReason());
                    }
                    if (closed) {
                        throw new IllegalStateException("spool " + directory + " closed while waiting for room");
                    }
                }
                return true;
            }
        }
        throw new AssertionError(config.fullPolicy());
    }

    /**
     * DROP_OLDEST: discards the unacknowledged events of the oldest cycle file that holds any (or, when that is the
     * file being written, every event appended so far), by moving {@code dropThrough} over them; the reader moves the
     * cursor there and retention deletes the file. Only when full, so allocating here costs the append path nothing.
     * Caller holds the monitor.
     *
     * @return false when nothing unacknowledged is left to discard
     */
    private boolean dropOldest() {
        long last = queue.lastIndex();
        long observed = counters.dropThrough.getVolatileValue();
        long from = capacity.cursor();
        if (last == -1 || Long.compareUnsigned(from, last) >= 0) {
            return false;
        }
        RollCycle roll = queue.rollCycle();
        long first;
        long through;
        try (ExcerptTailer t = queue.createTailer()) {
            RecordReader.positionAfter(t, from);
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    return false;
                }
                first = dc.index();
            }
            int cycle = roll.toCycle(first);
            through = cycle == roll.toCycle(last) ? last : lastIndexOf(t, roll, cycle);
        }
        if (!counters.dropThrough.compareAndSwapValue(observed, through)) {
            return true; // another process dropped meanwhile: measure again before dropping more
        }
        long events = queue.countExcerpts(first, through) + 1;
        counters.droppedOldestEvents.addAtomicValue(events);
        counters.droppedOldestFirst.setOrderedValue(first);
        counters.droppedOldestLast.setOrderedValue(through);
        droppedOldest.add(first, through);
        log.warn("spool {} full ({}): dropped the {} oldest unacknowledged events, ids {} to {} (full policy"
                        + " DROP_OLDEST); they will not be sent", directory, capacity.fullReason(), events,
                Long.toUnsignedString(first), Long.toUnsignedString(through));
        return true;
    }

    /** The id of the last record of {@code cycle}, a cycle before the last one. */
    private static long lastIndexOf(ExcerptTailer t, RollCycle roll, int cycle) {
        long count = t.excerptsInCycle(cycle);
        long start = roll.toIndex(cycle, Math.max(0, count - 1));
        if (count <= 0 || !t.moveToIndex(start)) {
            start = roll.toIndex(cycle, 0);
            t.moveToIndex(start);
        }
        // walk on to the cycle's end from where the count says: the count can lag the last record written before
        // the roll (a drop then left that record behind, and its file, which retention could not delete)
        long lastSeen = start;
        while (true) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent() || roll.toCycle(dc.index()) != cycle) {
                    dc.rollbackOnClose();
                    return lastSeen;
                }
                lastSeen = dc.index();
            }
        }
    }

    private void checkSize(int length) {
        if (length > config.maxEventBytes()) {
            throw tooLarge(length);
        }
    }

    private IllegalArgumentException tooLarge(int length) {
        return new IllegalArgumentException("event of " + (length < 0 ? "more than " + config.maxEventBytes()
                : String.valueOf(length)) + " bytes exceeds maxEventBytes " + config.maxEventBytes());
    }

    private ExcerptAppender appender() {
        if (appender == null) {
            appender = queue.createAppender();
            appender.singleThreadedCheckDisabled(true); // guarded by this spool's monitor instead
        }
        return appender;
    }

    private synchronized void syncIfDirty() {
        if (unsynced && !closed) {
            sync();
        }
    }

    private void sync() {
        appender.sync();
        unsynced = false;
        lastSyncNanos = System.nanoTime();
    }

    @Override
    public String streamId() {
        return streamId;
    }

    @Override
    public long ackedId() {
        return counters.ackCursor.getVolatileValue();
    }

    @Override
    public SpoolStats stats() {
        long diskBytes;
        synchronized (this) {
            if (!closed) {
                shareCounts();
            }
            diskBytes = capacity.diskBytes();
            lastDiskBytes = diskBytes;
        }
        return statsWith(diskBytes);
    }

    /**
     * As {@link #stats()} without the monitor that {@code append} takes, for metrics read often: the byte counts may
     * be off by one batch (63 appends) for an instant, and the disk size is the one {@link #stats()} last measured.
     */
    @Override
    public SpoolStats statsWithoutLock() {
        Lock shared = statsReaders.readLock();
        shared.lock();
        try {
            if (!openForStats) {
                throw new IllegalStateException("the spool is closed");
            }
            return statsWith(lastDiskBytes);
        } finally {
            shared.unlock();
        }
    }

    private SpoolStats statsWith(long diskBytes) {
        long acked = ackedId();
        long dropped = counters.dropThrough.getVolatileValue();
        long counted = Long.compareUnsigned(dropped, acked) > 0 ? dropped : acked; // not yet applied by the reader
        long last = queue.lastIndex();
        long backlog = 0;
        long oldestAge = 0;
        if (last != -1 && last > counted) {
            try (ExcerptTailer t = queue.createTailer()) {
                RecordReader records = new RecordReader(256);
                RecordReader.positionAfter(t, counted);
                if (records.next(t)) {
                    backlog = queue.countExcerpts(records.id(), last) + 1;
                    if (records.length() >= RecordCodec.HEADER_BYTES) {
                        oldestAge = Math.max(0, System.currentTimeMillis() - RecordCodec.timestampOf(records.buffer()));
                    }
                }
            }
        }
        // this process's bytes not yet shared: 0 after stats() shared them; read racily by statsWithoutLock, whose
        // figure may then be off by one batch for an instant (a gauge, not a ledger)
        long appendedBytes = counters.appendedBytes.getVolatileValue() + (long) UNSHARED_BYTES.getOpaque(this);
        long appendedEvents = appendedEvents();
        return new SpoolStats(streamId, appendedEvents, appendedBytes, acked, last == -1
                ? NONE : last, backlog, backlog == 0 ? 0 : Math.max(0, appendedBytes - counters.ackedBytes.getVolatileValue()),
                oldestAge, counters.droppedEvents.getVolatileValue(), counters.corruptRecords.getVolatileValue(),
                counters.missingFiles.getVolatileValue(), diskBytes, counters.streamForks.getVolatileValue(),
                forkedFrom, forkReason, counters.expiredEvents.getVolatileValue(),
                counters.droppedOldestEvents.getVolatileValue(), counters.droppedOldestFirst.getVolatileValue(),
                counters.droppedOldestLast.getVolatileValue());
    }

    /**
     * Every event appended: those retention deleted plus those in the files now, read between two equal, even reads of
     * {@link SpoolCounters#retentionSeq} so that a file deleted meanwhile is counted once, and up to the last index read
     * in the same turn (one read before it may lie in a file deleted since: Chronicle then counts a negative range).
     * After a few tries (retention deletes for a few milliseconds at most) it settles for the last count.
     */
    private long appendedEvents() {
        long count = 0;
        for (int attempt = 0; attempt < 100; attempt++) {
            long seq = counters.retentionSeq.getVolatileValue();
            long last = queue.lastIndex();
            long inFiles = last == -1 ? 0 : eventsInFiles(last);
            count = counters.retiredEvents.getVolatileValue() + Math.max(0, inFiles);
            if ((seq & 1) == 0 && seq == counters.retentionSeq.getVolatileValue() && inFiles >= 0) {
                return count;
            }
            LockSupport.parkNanos(100_000);
        }
        return count;
    }

    /**
     * The events in the cycle files now, up to {@code last}. Retention in the sender's process may delete the first
     * file meanwhile, and Chronicle's count then fails ("Cycle not found"): the listing is read again and the count
     * made again.
     */
    private long eventsInFiles(long last) {
        for (int attempt = 1; ; attempt++) {
            try {
                return queue.countExcerpts(queue.firstIndex(), last) + 1;
            } catch (IllegalStateException e) {
                if (attempt == 3) {
                    throw e;
                }
                queue.refreshDirectoryListing();
            }
        }
    }

    @Override
    public boolean isQuarantined(long id) {
        return quarantine.contains(id);
    }

    @Override
    public void checkNotQuarantined(long id) {
        if (quarantine.contains(id)) {
            throw new QuarantinedEventException(id, "event " + Long.toUnsignedString(id) + " was found damaged in spool "
                    + directory + " (it failed its check) and was quarantined in " + quarantine.file()
                    + ": it will never be delivered");
        }
    }

    @Override
    public void checkWillBeDelivered(long id) {
        checkNotQuarantined(id);
        if (expired.contains(id)) {
            throw new ExpiredEventException(id, "event " + Long.toUnsignedString(id) + " of spool " + directory
                    + " was older than maxEventAge " + config.maxEventAge() + " when it was read: it was skipped"
                    + " and will never be sent");
        }
        if (droppedOldest.contains(id)) {
            throw new DroppedEventException(id, "event " + Long.toUnsignedString(id) + " of spool " + directory
                    + " was dropped unacknowledged to make room (the spool was full, full policy DROP_OLDEST): it"
                    + " will not be sent again");
        }
    }

    @Override
    public OptionalLong senderPid() {
        return SpoolLock.holder(directory);
    }

    @Override
    public SpoolReader openReader() {
        SpoolLock lock = SpoolLock.acquire(directory);
        try {
            return new ChronicleSpoolReader(directory, queue, counters, cycleFiles, manifest, quarantine, expired,
                    config.maxEventAge(), lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** For tests that damage the metadata as a crash or a person could. */
    SpoolCounters counters() {
        return counters;
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public synchronized void close() {
        Lock exclusive = statsReaders.writeLock();
        exclusive.lock(); // waits for the scrapes under way (each reads for a few ms at most); later ones see the flag
        try {
            openForStats = false;
        } finally {
            exclusive.unlock();
        }
        if (closed) {
            return;
        }
        shareCounts();
        closed = true;
        if (syncTimer != null) {
            syncTimer.shutdownNow();
        }
        if (appender != null) {
            if (config.durability().mode() != Durability.Mode.PROCESS) {
                appender.sync();
            }
            appender.close();
        }
        capacity.close();
        manifest.close();
        counters.close();
        queue.close();
        OpenMarks.remove(openMark); // last: the data is written back as far as the durability asks
    }

    /** Chronicle creates files with the umask's mode; a spool's files are private. */
    private static final class PrivateFiles implements StoreFileListener {
        @Override
        public void onAcquired(int cycle, File file) {
            SpoolDirectory.makePrivate(file.toPath());
        }

        @Override
        public void onReleased(int cycle, File file) {
            // nothing to do: retention decides by the cursor, not by release
        }
    }
}
