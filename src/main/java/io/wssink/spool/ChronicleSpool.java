package io.wssink.spool;

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

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The {@link Spool} on a Chronicle Queue. See docs/SPOOL.md for the layout, the cursor and retention. */
final class ChronicleSpool implements Spool {
    static {
        ChronicleSettings.apply();
    }

    private static final int COUNTER_BATCH = 64;

    private final SpoolConfig config;
    private final Path directory;
    private final String streamId;
    private final SingleChronicleQueue queue;
    private final SpoolCounters counters;
    private final CycleFiles cycleFiles;
    private final CycleManifest manifest;
    private final SpoolCapacity capacity;
    private final RecordCodec codec = new RecordCodec();
    private final AppendClock clock;
    private final TextEncoder textEncoder = new TextEncoder();
    private final ScheduledExecutorService syncTimer;
    private ExcerptAppender appender;
    private int appenderCycle = Integer.MIN_VALUE;
    /** Counts not yet added to the shared counters: an atomic add on shared memory per append costs more than
     * the rest of the bookkeeping, so they are added every {@link #COUNTER_BATCH} appends, and by stats and close. */
    private long unsharedEvents;
    private long appendCount;
    private long unsharedBytes;
    private final long epochMillis;
    private final long cycleMillis;
    private boolean unsynced;
    private long lastSyncNanos;
    private boolean closed;

    private ChronicleSpool(SpoolConfig config, String streamId, SingleChronicleQueue queue, AppendClock clock) {
        this.config = config;
        this.clock = clock;
        this.directory = config.directory();
        this.streamId = streamId;
        this.queue = queue;
        this.counters = new SpoolCounters(queue);
        this.manifest = new CycleManifest(queue);
        this.cycleFiles = new CycleFiles(queue);
        try {
            checkMetadataBelongs(streamId);
            checkCycleFiles();
        } catch (RuntimeException e) {
            manifest.close();
            counters.close();
            throw e;
        }
        this.epochMillis = queue.epoch();
        this.cycleMillis = queue.rollCycle().lengthInMillis();
        this.capacity = new SpoolCapacity(cycleFiles, config.maxSpoolBytes(), config.minFreeDiskBytes(),
                config.blockSize());
        if (config.durability().mode() == Durability.Mode.SYNC_INTERVAL) {
            long every = config.durability().interval().toNanos();
            syncTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "wssink-spool-sync");
                t.setDaemon(true);
                return t;
            });
            syncTimer.scheduleWithFixedDelay(this::syncIfDirty, every, every, TimeUnit.NANOSECONDS);
        } else {
            syncTimer = null;
        }
    }

    static ChronicleSpool open(SpoolConfig config) {
        Path dir = config.directory().toAbsolutePath();
        String streamId = SpoolDirectory.prepare(dir, config.createIfMissing());
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
            refuseTruncatedLastFile(queue, dir);
            return new ChronicleSpool(config, streamId, queue, clock);
        } catch (RuntimeException e) {
            queue.close();
            throw e;
        }
    }

    /**
     * The metadata file holds the cursor; one copied from another spool would make this one skip or repeat events.
     * A metadata file that is new while the queue has records was lost: the cursor starts over, and receivers drop
     * what they already hold.
     */
    private void checkMetadataBelongs(String streamId) {
        java.util.UUID id = java.util.UUID.fromString(streamId);
        long high = counters.streamHigh.getVolatileValue();
        long low = counters.streamLow.getVolatileValue();
        if (high == 0 && low == 0) {
            if (queue.lastIndex() != -1) {
                org.slf4j.LoggerFactory.getLogger(ChronicleSpool.class).warn("spool {}: its metadata (ack cursor) was"
                        + " lost; everything in it will be sent again, and receivers drop what they hold", directory);
            }
            counters.streamHigh.setOrderedValue(id.getMostSignificantBits());
            counters.streamLow.setOrderedValue(id.getLeastSignificantBits());
        } else if (counters.ackCursor.getVolatileValue() == NONE && counters.ackedBytes.getVolatileValue() > 0) {
            // acks were counted, yet the cursor says nothing was acked: it was zeroed
            org.slf4j.LoggerFactory.getLogger(ChronicleSpool.class).warn("spool {}: its ack cursor was reset to"
                    + " nothing although {} bytes were acknowledged; everything still in it will be sent again, and"
                    + " receivers drop what they hold", directory, counters.ackedBytes.getVolatileValue());
            counters.corruptRecords.addAtomicValue(1);
            counters.ackedBytes.setOrderedValue(0);
        } else if (high != id.getMostSignificantBits() || low != id.getLeastSignificantBits()) {
            throw new SpoolException(directory.resolve(SpoolDirectory.QUEUE).resolve("metadata.cq4t")
                    + " belongs to another spool (stream " + new java.util.UUID(high, low) + ", not " + streamId
                    + "): its ack cursor would skip or repeat events. Restore this spool's own file, or delete it to"
                    + " send everything again");
        }
    }

    /**
     * A cycle file the spool wrote into and did not delete was deleted by hand (or lost). If it is the file that appends
     * go into now, refuse: Chronicle would make it again and number new events from the start of the cycle, with the
     * ids of the deleted ones, which the cursor or the receivers may already hold, so new events would be dropped as
     * delivered. Otherwise the files around it are read as usual; each missing file is said once and counted.
     */
    private void checkCycleFiles() {
        int latest = manifest.latest();
        int now = queue.cycle();
        if (latest != Integer.MIN_VALUE && latest >= now && manifest.isRecorded(latest)
                && !java.nio.file.Files.exists(cycleFiles.fileFor(latest))) {
            throw new SpoolException("spool " + directory + " is damaged: " + cycleFiles.fileFor(latest) + ", the file"
                    + " new events go into, is missing (deleted by hand?). New events would take the ids of the ones"
                    + " it held, which receivers may already have, and be dropped as duplicates. Put the file back,"
                    + " or open the spool after " + java.time.Instant.ofEpochMilli(epochMillisOf(latest + 1))
                    + ", when events go into a new file");
        }
        for (int cycle : manifest.missing(cycleFiles, queue.firstCycle())) { // MAX_VALUE when there are no files
            if (manifest.forget(cycle)) { // lost to retention, which forgets a cycle before deleting it, when false
                counters.missingFiles.addAtomicValue(1);
                org.slf4j.LoggerFactory.getLogger(ChronicleSpool.class).warn("spool {}: {} is missing (deleted by"
                        + " hand?): the events it held are lost; the files around it are read as usual", directory,
                        cycleFiles.fileFor(cycle));
            }
        }
    }

    private long epochMillisOf(int cycle) {
        return queue.epoch() + cycle * queue.rollCycle().lengthInMillis();
    }

    /**
     * Chronicle appends at the write position kept in a file's header. If the last file was cut short by hand, that
     * position lies past the cut, where readers stop, and new events would never be read. Mapping the file extends it
     * with zeros again, so the test is not the file's length but the header at that position: in an intact file it is
     * the last document's, never zero. Refuse rather than lose events.
     */
    private static void refuseTruncatedLastFile(SingleChronicleQueue queue, Path dir) {
        int last = queue.lastCycle();
        if (last == Integer.MIN_VALUE || last < 0) {
            return;
        }
        var store = queue.storeForCycle(last, queue.epoch(), false, null);
        if (store == null) {
            return;
        }
        try {
            long position = store.writePosition();
            if (position > 0 && headerAt(store.file().toPath(), position) == 0) {
                throw new SpoolException("spool " + dir + " is damaged: " + store.file() + " has no record where its"
                        + " last one was written (byte " + position + "; the file was cut short). Events appended to it"
                        + " would never be read. Move that file out of " + dir.resolve(SpoolDirectory.QUEUE)
                        + " (the files around it stay readable) and start again");
            }
        } finally {
            queue.closeStore(store);
        }
    }

    /**
     * The 4-byte document header at {@code position}, read with a file channel: reading it through the store's own
     * bytes maps a chunk that closing the store does not unmap (seen on Chronicle Queue 2026.4), and a spool opened
     * and closed again and again, by {@code status} say, would keep one file mapped each time.
     */
    private static int headerAt(Path file, long position) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer header = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && ch.read(header, position + header.position()) >= 0) {
                // a sparse or short file reads as zeros, or ends
            }
            return header.hasRemaining() ? 0 : header.getInt(0);
        } catch (java.io.IOException e) {
            throw new SpoolException("cannot read " + file + ": " + e, e);
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
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
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
            counters.appendedEvents.addAtomicValue(unsharedEvents);
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
        }
        long acked = ackedId();
        long last = queue.lastIndex();
        long backlog = 0;
        long oldestAge = 0;
        if (last != -1 && last > acked) {
            try (ExcerptTailer t = queue.createTailer()) {
                long first = firstUnacked(t, acked);
                if (first != Spool.NONE) {
                    backlog = queue.countExcerpts(first, last) + 1;
                    SpoolRecord r = new SpoolRecord();
                    if (t.moveToIndex(first) && readRecord(t, r, new byte[256])) {
                        oldestAge = Math.max(0, System.currentTimeMillis() - r.timestampMillis());
                    }
                }
            }
        }
        long appendedBytes = counters.appendedBytes.getVolatileValue();
        return new SpoolStats(streamId, counters.appendedEvents.getVolatileValue(), appendedBytes, acked, last == -1
                ? NONE : last, backlog, backlog == 0 ? 0 : Math.max(0, appendedBytes - counters.ackedBytes.getVolatileValue()),
                oldestAge, counters.droppedEvents.getVolatileValue(), counters.corruptRecords.getVolatileValue(),
                counters.missingFiles.getVolatileValue(), diskBytes);
    }

    /** The index of the first record after {@code acked}, or NONE; leaves {@code t} anywhere. */
    private static long firstUnacked(ExcerptTailer t, long acked) {
        if (acked != NONE && t.moveToIndex(acked)) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    return NONE;
                }
            }
        } else {
            t.toStart();
        }
        while (true) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    return NONE;
                }
                if (dc.index() > acked) {
                    return dc.index();
                }
            }
        }
    }

    /** Reads one whole record without checking it, for stats; false at the end. */
    private static boolean readRecord(ExcerptTailer t, SpoolRecord into, byte[] buf) {
        try (DocumentContext dc = t.readingDocument()) {
            if (!dc.isPresent()) {
                return false;
            }
            int n = (int) Math.min(dc.wire().bytes().readRemaining(), buf.length);
            dc.wire().bytes().read(buf, 0, n);
            if (n >= RecordCodec.HEADER_BYTES) {
                into.timestampMillis = RecordCodec.timestampOf(buf);
            }
            return true;
        }
    }

    @Override
    public SpoolReader openReader() {
        SpoolLock lock = SpoolLock.acquire(directory);
        try {
            return new ChronicleSpoolReader(this, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    SingleChronicleQueue queue() {
        return queue;
    }

    SpoolCounters counters() {
        return counters;
    }

    CycleFiles cycleFiles() {
        return cycleFiles;
    }

    CycleManifest manifest() {
        return manifest;
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public synchronized void close() {
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
        manifest.close();
        counters.close();
        queue.close();
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
