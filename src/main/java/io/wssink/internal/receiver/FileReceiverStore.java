package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.wssink.internal.receiver.ReceiverConfig.Fsync;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The reference receiver's output: payloads appended to one file in an {@link OutputFormat}, and beside it
 * its state, the highest id per stream and the output's committed length, in {@code FILE.state} and
 * {@code FILE.state.alt} written in turn ({@link StateFile}).
 *
 * <p><b>Commits.</b> {@link #commit()} drains the write buffer into the file on the caller's thread, takes a snapshot
 * (length, highest ids) and hands it to one committer thread, which forces the output, then writes the state over the
 * older of its two files and forces that (with {@link Fsync#NEVER}: the same without the forces; the directory is
 * forced once, when the files are made). The event loop keeps reading while the committer waits for the disk, and
 * one fsync covers everything every connection sent since the last commit (group commit). A receiver killed at any
 * point finds, on restart, output past the committed length: it cuts it off, since the sink resends those records
 * (they were never acked); a state file torn by the kill fails its check, and the other holds the last commit.
 *
 * <p><b>Failures.</b> A failed write, force or state write rolls the store back to its last completed commit: the
 * output is cut back, the highest ids restored, and the {@linkplain #epoch() epoch} increases, so every connection
 * closes without acking and its sink resends. It is logged once at ERROR until commits have succeeded for
 * {@value #RECOVERED_AFTER_MILLIS} ms with no failure between (a disk at the edge of full lets small commits through
 * between failures: logging each turn would flood the log with ERROR/INFO pairs). If even the
 * roll-back fails, the store refuses everything until the receiver is restarted (restart recovers as after a crash).
 *
 * <p><b>Files.</b> Output and state are created 0600 and never opened through a symbolic link; an output that exists
 * without its state is refused (it was not written by this receiver, or its state was lost: starting would truncate or
 * duplicate it); an output shorter than its state says is refused (acknowledged events are missing). A file lock keeps
 * two receivers off one output.
 *
 * <p>Thread-safe: one lock guards the buffer, the streams and the counters; the committer thread owns the state files.
 */
public final class FileReceiverStore implements ReceiverStore {
    private static final Logger log = LoggerFactory.getLogger(FileReceiverStore.class);
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path output;
    private final Path state;
    private final OutputFormat format;
    private final boolean fsync;
    private final LongSupplier clock;
    private final FileOpener opener;
    private final FileChannel out;
    private final FileLock lock;
    /** Forces and writes the state: one thread, so commits complete in order. */
    private final ExecutorService committer;

    // guarded by this
    private final StreamTable streams;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 << 10);
    private long writtenLength;
    private boolean dirty;
    /**
     * Written under the monitor, read without it: a reader of the count must not wait for a write in progress (the
     * latency harness's poller waited up to 17 ms for it, JFR's monitor events, which delayed the arrivals it times).
     */
    private volatile long records;
    private long duplicates;
    private long epoch;
    /** A write failed and the roll-back is queued: accept nothing until it ran. */
    private boolean broken;
    /** The roll-back failed too: accept nothing until restarted. */
    private boolean dead;
    /** A failure was logged at ERROR; the next ones go to DEBUG until commits succeed for a while. */
    private boolean failing;
    /** When the last write or commit failed (clock millis), while {@link #failing}. */
    private long lastFailureMillis;
    static final long RECOVERED_AFTER_MILLIS = 10_000;
    /** What the state file on disk says: the last completed commit, or the one to roll back to (see rollback). */
    private Snapshot durable;
    private CompletableFuture<Void> lastCommit = CompletableFuture.completedFuture(null);
    private boolean closed;
    /** Set once by the receiver before it listens; counted into under this lock and by the committer thread. */
    private volatile ReceiverMeters meters = new ReceiverMeters();

    /** Owned by the committer thread (by the constructor before it starts). */
    private final StateFile stateFile;

    /** The committed length and highest id (and last-seen time) per stream: the content of the state file. */
    private record Snapshot(long epoch, long length, Map<String, long[]> streams) {
    }

    /**
     * Opens (or creates) the output and its state.
     *
     * @throws IOException with a message for the operator: an output without state, a symlink, another receiver
     */
    public static FileReceiverStore open(ReceiverConfig config) throws IOException {
        return open(config, FileOpener.REAL);
    }

    static FileReceiverStore open(ReceiverConfig config, FileOpener files) throws IOException {
        return new FileReceiverStore(Objects.requireNonNull(config.output(), "output"), config.format(), config.fsync(),
                config.maxStreams(),
                config.forgetAfter(), System::currentTimeMillis, files);
    }

    FileReceiverStore(Path output, OutputFormat format, Fsync fsync, int maxStreams, Duration forgetAfter,
            LongSupplier clock, FileOpener opener) throws IOException {
        this.output = output.toAbsolutePath();
        this.state = this.output.resolveSibling(this.output.getFileName() + ".state");
        Path[] stateFiles = StateFile.paths(state);
        this.format = format;
        this.fsync = fsync == Fsync.ALWAYS;
        this.streams = new StreamTable(maxStreams, forgetAfter, clock);
        this.clock = clock;
        this.opener = opener;
        Files.createDirectories(this.output.getParent());
        for (Path p : new Path[] {this.output, stateFiles[0], stateFiles[1]}) {
            if (Files.isSymbolicLink(p)) {
                throw new IOException(p + " is a symbolic link; the receiver writes only real files: give the path"
                        + " it points to, or another one");
            }
        }
        // an earlier version's temp file, left by a crash in a commit: never renamed, so never in force
        Files.deleteIfExists(this.output.resolveSibling(this.output.getFileName() + ".state.tmp"));
        // the lock first: a receiver refused because another writes this output must not touch its state (a start
        // writes the newest state again, below), nor read a state that one is still writing
        out = opener.open(this.output, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), OWNER_ONLY);
        long committed;
        Map<String, long[]> held;
        try {
            FileLock l;
            try {
                l = out.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // held in this JVM
            }
            if (l == null) {
                throw new IOException("another receiver writes " + this.output + "; each needs its own output");
            }
            StateFile.State current = readState(stateFiles);
            committed = current == null ? 0 : current.outputLength();
            held = current == null ? Map.of() : current.streams();
            stateFile = StateFile.open(stateFiles, current, opener, this.fsync);
            lock = l;
            long size = out.size();
            if (size < committed) {
                throw new IOException(this.output + " holds " + size + " bytes but " + state.getFileName() + " says "
                        + committed + " were committed: acknowledged events are missing. Restore the file, or move"
                        + " both away to start afresh; nothing was changed");
            }
            if (this.fsync) {
                try {
                    // the entries of the output and of both state files, made now or by an earlier start: commits no
                    // longer rename, so nothing else forces the directory
                    forceDirectory(opener, this.output.getParent());
                } catch (IOException e) {
                    throw new IOException("cannot force the directory of " + this.output + " to disk ("
                            + e.getMessage() + "); acks would not survive a power cut. Check the disk, then start"
                            + " again", e);
                }
            }
            if (size > committed) {
                out.truncate(committed); // written but never acked: the sink resends it
            }
        } catch (IOException | RuntimeException e) {
            closeOnFailure();
            throw e;
        }
        writtenLength = committed;
        out.position(committed);
        long now = clock.getAsLong();
        held.forEach((id, v) -> streams.put(new Stream(id, v[0], v[1] == 0 ? now : v[1])));
        durable = new Snapshot(0, committed, held);
        committer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wssink-receiver-commit");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The newest whole state in {@code stateFiles}, or null for a fresh start; refuses an output that has no state,
     * or whose state files are damaged, since starting would overwrite, duplicate or cut acknowledged events.
     */
    private StateFile.State readState(Path[] stateFiles) throws IOException {
        try {
            StateFile.State current = StateFile.read(stateFiles);
            if (current == null && out.size() > 0) {
                throw new IOException(this.output + " exists but " + state.getFileName() + " does not: it was not"
                        + " written by this receiver, or its state was lost, and starting would overwrite or duplicate"
                        + " it. Move it away or choose another output; nothing was changed");
            }
            return current;
        } catch (StateFile.DamagedException e) {
            if (out.size() > 0) {
                throw e;
            }
            // what a power cut while the first start wrote its empty state leaves: nothing was taken, nothing acked
            log.warn("{} and its .alt hold no whole state and {} is empty: nothing acknowledged depends on them,"
                    + " starting afresh", state.getFileName(), this.output.getFileName());
            return null;
        }
    }

    private static void forceDirectory(FileOpener opener, Path dir) throws IOException {
        try (FileChannel d = opener.open(dir, Set.<OpenOption>of(StandardOpenOption.READ))) {
            d.force(true);
        }
    }

    /** The constructor failed after opening the output: closes it (releasing its lock) and the state files if open. */
    private void closeOnFailure() {
        try {
            out.close();
            if (stateFile != null) {
                stateFile.close();
            }
        } catch (IOException e) {
            log.debug("closing after a failed start", e);
        }
    }

    @Override
    public synchronized Stream stream(String id) {
        return streams.stream(id, this::forgot);
    }

    /** A stream without a connection for longer than forget-after was forgotten. Holds the lock. */
    private void forgot(Stream s) {
        log.info("forgetting stream {}: no connection since {} ms ago", s.id(), clock.getAsLong() - s.lastSeenMillis);
        dirty = true; // the state file forgets it at the next commit
    }

    @Override
    public synchronized Object claim(Stream stream, Object owner) {
        return streams.claim(stream, owner);
    }

    @Override
    public synchronized void release(Stream stream, Object owner) {
        streams.release(stream, owner);
    }

    @Override
    public synchronized long highest(Stream stream) {
        return stream.highest;
    }

    @Override
    public synchronized long epoch() {
        return epoch;
    }

    private void checkWritable(long connectionEpoch) throws StoreFailedException {
        if (dead) {
            throw new StoreFailedException("the receiver could not roll back " + output + " after a failed write;"
                    + " restart it", null);
        }
        if (broken || closed || connectionEpoch != epoch) {
            throw new StoreFailedException("the receiver rolled back " + output + " after a failed write; the sink"
                    + " resends", null);
        }
    }

    @Override
    public synchronized String acceptFrame(Stream stream, Object owner, long connectionEpoch, ByteBuf frame)
            throws IOException {
        checkWritable(connectionEpoch);
        if (stream.owner != owner) {
            return REPLACED;
        }
        String[] refused = new String[1];
        String malformed = WireFormat.readRecords(frame, (id, payload) -> {
            if (refused[0] == null) {
                refused[0] = format.refuse(payload);
            }
        });
        if (malformed != null) {
            return malformed;
        }
        if (refused[0] != null) {
            return refused[0];
        }
        IOException[] failure = new IOException[1];
        WireFormat.readRecords(frame, (id, payload) -> {
            if (failure[0] != null) {
                return;
            }
            records++;
            if (Long.compareUnsigned(id, stream.highest) <= 0) {
                duplicates++;
                meters.duplicate();
                return;
            }
            try {
                int bytes = payload.readableBytes();
                write(payload);
                meters.received(bytes); // after the write: one that fails is resent, and counted then, once
                stream.highest = id;
            } catch (IOException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failWrite(failure[0]);
        }
        return null;
    }

    @Override
    public synchronized String acceptRaw(long connectionEpoch, ByteBuf payload) throws IOException {
        checkWritable(connectionEpoch);
        String refused = format.refuse(payload);
        if (refused != null) {
            return refused;
        }
        records++;
        try {
            int bytes = payload.readableBytes();
            write(payload);
            meters.received(bytes); // after the write, as for frames
        } catch (IOException e) {
            throw failWrite(e);
        }
        return null;
    }

    private void write(ByteBuf payload) throws IOException {
        byte[] json = format == OutputFormat.JSONL ? OutputFormat.json(payload) : null;
        int length = json != null ? json.length : payload.readableBytes();
        int need = length + (format == OutputFormat.BINARY ? 4 : 1);
        if (buffer.remaining() < need) {
            drain();
        }
        if (buffer.remaining() < need) {
            ByteBuffer big = ByteBuffer.allocate(need);
            put(big, payload, json, length);
            big.flip();
            while (big.hasRemaining()) {
                out.write(big);
            }
        } else {
            put(buffer, payload, json, length);
        }
        writtenLength += need;
        dirty = true;
    }

    private void put(ByteBuffer to, ByteBuf payload, byte[] json, int length) {
        if (format == OutputFormat.BINARY) {
            to.putInt(length);
        }
        if (json != null) {
            to.put(json);
        } else {
            int limit = to.limit();
            to.limit(to.position() + length);
            payload.getBytes(payload.readerIndex(), to);
            to.limit(limit);
        }
        if (format != OutputFormat.BINARY) {
            to.put((byte) '\n');
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        } finally {
            buffer.clear(); // on failure too: the roll-back cuts the file back to the last commit
        }
    }

    /** Marks the store broken and queues the roll-back behind any commit in progress. Holds the lock. */
    private StoreFailedException failWrite(IOException e) {
        broken = true;
        logFailure("write to", e);
        committer.execute(() -> rollback(null));
        return new StoreFailedException("cannot write " + output + ": " + e.getMessage(), e);
    }

    private void logFailure(String what, Exception e) {
        lastFailureMillis = clock.getAsLong();
        if (!failing) {
            failing = true;
            log.error("cannot {} {}: {}; closing connections without acking, their sinks resend (logged once until"
                    + " commits succeed for {} s)", what, output, e.toString(), RECOVERED_AFTER_MILLIS / 1000);
        } else {
            log.debug("cannot {} {}: {}", what, output, e.toString());
        }
    }

    @Override
    public synchronized CompletableFuture<Void> commit() {
        try {
            checkWritable(epoch);
        } catch (StoreFailedException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!dirty) {
            return lastCommit;
        }
        try {
            drain();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(failWrite(e));
        }
        Snapshot s = snapshot();
        dirty = false;
        lastCommit = CompletableFuture.runAsync(() -> complete(s), committer);
        return lastCommit;
    }

    private Snapshot snapshot() {
        streams.forgetIdle(this::forgot);
        long now = clock.getAsLong();
        Map<String, long[]> held = new HashMap<>(streams.size() * 2);
        for (Stream s : streams.all()) {
            if (s.highest != 0) {
                held.put(s.id(), new long[] {s.highest, s.owner != null ? now : s.lastSeenMillis});
            }
        }
        return new Snapshot(epoch, writtenLength, held);
    }

    /** On the committer thread: makes {@code s} durable, or rolls back. */
    private void complete(Snapshot s) {
        synchronized (this) {
            if (s.epoch() != epoch) {
                throw new CompletionException(new StoreFailedException("rolled back before this commit", null));
            }
        }
        try {
            long start = System.nanoTime();
            if (fsync) {
                out.force(false);
            }
            stateFile.write(s.length(), s.streams());
            if (fsync) {
                meters.fsynced(System.nanoTime() - start);
            }
        } catch (IOException | RuntimeException e) { // a RuntimeException too: else the state file's flag stayed set
            synchronized (this) {
                logFailure("commit", e);
            }
            rollback(s);
            throw new CompletionException(new StoreFailedException("cannot commit " + output + ": " + e.getMessage(),
                    e));
        }
        synchronized (this) {
            durable = s;
            if (failing && clock.getAsLong() - lastFailureMillis >= RECOVERED_AFTER_MILLIS) {
                failing = false;
                log.info("{}: commits have succeeded again for {} s", output, RECOVERED_AFTER_MILLIS / 1000);
            }
        }
    }

    /**
     * On the committer thread: cuts the output back to the last commit that may be on disk and restores the highest
     * ids. {@code failed} is the commit that failed, if any: when it failed while writing its state file, which may
     * then hold it whole, its output was already forced, so it becomes the point to roll back to, marked dirty: its
     * acks were not sent, sinks resend and the receiver drops what it holds, and acks wait for the next commit that
     * succeeds whole.
     */
    private void rollback(Snapshot failed) {
        synchronized (this) {
            epoch++;
            broken = true;
            buffer.clear();
            // the failed commit's state may be whole in its file (only its force failed): the output it names was
            // forced, so cutting below it would contradict a start that reads it; keep it, but as dirty, so no ack
            // covers it before a commit succeeds whole (a resume ack waits for that commit too)
            boolean redo = failed != null && stateFile.takeMayBeAhead();
            if (redo) {
                durable = failed;
            }
            try {
                out.truncate(durable.length());
                out.position(durable.length());
                writtenLength = durable.length();
                dirty = redo;
                lastCommit = CompletableFuture.completedFuture(null); // unless dirty, what is held now is durable
                for (Stream s : streams.all()) {
                    long[] v = durable.streams().get(s.id());
                    s.highest = v == null ? 0 : v[0];
                }
                broken = false;
            } catch (IOException e) {
                dead = true;
                log.error("cannot roll {} back to its last commit ({}); refusing all events: restart the receiver,"
                        + " which recovers as after a crash", output, e.toString());
            }
        }
    }

    @Override
    public long records() {
        return records;
    }

    /** Closed, or a failed write could not be rolled back: nothing is accepted until restarted. */
    public synchronized boolean isDead() {
        return dead || closed;
    }

    /** Counts into {@code m} from now on: for the receiver that owns this store, before it listens. */
    @Override
    public void meters(ReceiverMeters m) {
        meters = m;
    }

    @Override
    public synchronized long duplicates() {
        return duplicates;
    }

    @Override
    public synchronized int streams() {
        return streams.size();
    }

    @Override
    public Path output() {
        return output;
    }

    @Override
    public void close() throws IOException {
        CompletableFuture<Void> last;
        synchronized (this) {
            if (closed) {
                return;
            }
            last = commit();
            closed = true;
        }
        try {
            last.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            log.warn("{}: the last commit failed ({}); what it held was not acked and will be resent", output,
                    e.getCause().getMessage());
        } catch (TimeoutException e) {
            log.warn("{}: the last commit did not finish within 30 s; what it held was not acked", output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            committer.shutdown();
            try {
                committer.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                if (lock.isValid()) {
                    lock.release();
                }
                out.close();
                stateFile.close();
            }
        }
    }
}
