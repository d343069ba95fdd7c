package io.wssink.internal.receiver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The reference receiver's state (the output's committed length, and per stream the highest id held and when it was
 * last seen) in two files written in turn, {@code FILE.state} and {@code FILE.state.alt}: a commit overwrites the one
 * that does not hold the newest state, in place, and a start reads the newest whole one.
 *
 * <p>Until session 10 a commit wrote a temp file and renamed it over {@code FILE.state}: a create, a write, a close, a
 * rename and an unlink, ~60 us of CPU per commit on ext4 (91-97 us of wall time; a scratch loop of 20,000), where the
 * positional write of the same bytes into an open file takes ~1 us beyond formatting them. With acks at the end of
 * every read burst the receiver commits up to once per event, and at 10k events/s its committer thread took 36% of a
 * core (LatencyHarness, per-thread CPU), on a machine whose other core the writer kept busy. With fsync the rename
 * also needed the directory forced: three fsyncs a commit, now two (the output and this file); the directory is
 * forced once, when the files are made.
 *
 * <p>Each file, text that {@code cat} shows:
 * <pre>
 * #wssink-state length=251 crc32c=1a2b3c4d    the header line: the body's length in bytes and its CRC32C (hex)
 * #wssink reference receiver: this commit's...  the body, java.util.Properties text (ISO-8859-1), `length` bytes
 * #Fri Nov 27 09:00:00 UTC 2026
 * seq=42                                        which commit this is: the higher whole one of the two files counts
 * outputLength=123456
 * stream.6f1c0e56-...=1000,1764230000000        highest id held, last seen (ms)
 * </pre>
 * A commit writes header and body in one positional write at offset 0, cuts off what a longer state left after it,
 * and (with fsync) forces the file. A write torn by a crash fails its length or CRC check, and the other file, not
 * written since its own commit completed, is read instead. A commit that fails does not move the turn: the next one
 * overwrites the same file again, never the one that holds the last commit that completed. With fsync, a start
 * forces the newest state it read before any commit writes over the other file (see {@link #forceNewest(byte[])}).
 *
 * <p>A {@code FILE.state} written by an earlier version (Properties text without the header, replaced whole by a
 * rename) is read as commit 0, whatever it says: torn by the commit over it, it may hold some of that commit's
 * lines; the first commit goes to {@code FILE.state.alt}. Earlier versions read only
 * {@code FILE.state}: do not go back to one over an output this version wrote.
 *
 * <p>Owned by the store's committer thread once open (by its constructor before).
 */
final class StateFile implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateFile.class);
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Pattern HEADER = Pattern.compile("#wssink-state length=(\\d{1,9}) crc32c=([0-9a-f]{8})\n");
    /** The header line is shorter than this; a file longer than this plus its length is read no further. */
    private static final int HEADER_MAX = 64;

    /** Neither file holds a whole state, and one holds something. */
    static final class DamagedException extends IOException {
        DamagedException(String message) {
            super(message);
        }
    }

    /**
     * One commit's content, which of the two files holds it, and that file's bytes as read (a start writes them
     * again: {@link #forceNewest}). {@code streams}: id to {highest, last seen ms}.
     */
    record State(int file, byte[] bytes, long seq, long outputLength, Map<String, long[]> streams) {
    }

    private final Path[] paths;
    private final FileChannel[] files;
    private final long[] sizes;
    private final boolean fsync;
    private final CRC32C crc = new CRC32C();
    /** The file holding the newest state that completed; the next commit writes the other. */
    private int newest;
    private long seq;
    /** A commit failed after it began writing: the file it wrote may hold its state whole. */
    private boolean mayBeAhead;

    private StateFile(Path[] paths, FileChannel[] files, long[] sizes, int newest, long seq, boolean fsync) {
        this.paths = paths;
        this.files = files;
        this.sizes = sizes;
        this.newest = newest;
        this.seq = seq;
        this.fsync = fsync;
    }

    /** The two files of {@code state}: itself, and {@code state.alt}. */
    static Path[] paths(Path state) {
        return new Path[] {state, state.resolveSibling(state.getFileName() + ".alt")};
    }

    /**
     * The newest whole state in {@code paths}, or null when neither file exists or holds anything.
     *
     * @throws IOException when one holds something and neither holds a whole state, with what to do
     */
    static State read(Path[] paths) throws IOException {
        State best = null;
        String[] damage = new String[paths.length];
        for (int i = 0; i < paths.length; i++) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(paths[i]);
            } catch (NoSuchFileException e) {
                continue;
            }
            if (bytes.length == 0) {
                continue; // made at start, never written
            }
            try {
                State s = parse(bytes, i);
                if (best == null || s.seq() > best.seq()) {
                    best = s;
                }
            } catch (IOException e) {
                damage[i] = e.getMessage();
            }
        }
        if (best == null && (damage[0] != null || damage[1] != null)) {
            StringBuilder why = new StringBuilder();
            for (int i = 0; i < paths.length; i++) {
                if (damage[i] != null) {
                    why.append(why.length() == 0 ? "" : "; ").append(paths[i].getFileName()).append(": ")
                            .append(damage[i]);
                }
            }
            throw new DamagedException(paths[0] + " and its .alt hold no whole state (" + why + "); restore them from"
                    + " a backup, or move them and the output away to start afresh; nothing was changed");
        }
        for (int i = 0; i < paths.length; i++) {
            if (damage[i] == null) {
                continue;
            }
            // what a crash in the middle of a commit leaves: that commit was never acked
            log.info("{} holds no whole state ({}), as after a crash in the middle of a commit; using commit {} of"
                    + " the other", paths[i].getFileName(), damage[i], best.seq());
        }
        return best;
    }

    private static State parse(byte[] bytes, int file) throws IOException {
        String text;
        boolean legacy = false;
        String head = new String(bytes, 0, Math.min(bytes.length, HEADER_MAX), StandardCharsets.ISO_8859_1);
        Matcher m = HEADER.matcher(head);
        if (m.lookingAt()) {
            int start = m.end();
            int bodyLength = Integer.parseInt(m.group(1));
            if (bytes.length - start < bodyLength) {
                throw new IOException("cut short: " + (bytes.length - start) + " of " + bodyLength + " bytes");
            }
            CRC32C c = new CRC32C();
            c.update(bytes, start, bodyLength);
            if ((int) c.getValue() != Integer.parseUnsignedInt(m.group(2), 16)) {
                throw new IOException("CRC32C mismatch");
            }
            text = new String(bytes, start, bodyLength, StandardCharsets.ISO_8859_1);
        } else if (file == 0 && !head.startsWith("#wssink-state")) {
            // an earlier version's, renamed into place whole; or, torn by this version's first commit over it, its
            // first bytes still, then some of that commit's: commit 0 whatever it says, so .alt's commit 1 wins
            text = new String(bytes, StandardCharsets.ISO_8859_1);
            legacy = true;
        } else {
            throw new IOException("no valid header line");
        }
        Properties p = new Properties();
        p.load(new StringReader(text));
        try {
            long seq = legacy ? 0 : Long.parseLong(p.getProperty("seq", "0"));
            long committed = Long.parseLong(p.getProperty("outputLength", "0"));
            Map<String, long[]> held = new HashMap<>();
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("stream.")) {
                    String[] v = p.getProperty(key).split(",");
                    held.put(key.substring("stream.".length()), new long[] {Long.parseUnsignedLong(v[0].trim()),
                            v.length > 1 ? Long.parseLong(v[1].trim()) : 0});
                }
            }
            return new State(file, bytes, seq, committed, held);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IOException("a value that is not a number", e); // not the value: it may be anything, newlines too
        }
    }

    /**
     * Opens both files for commits, creating them 0600 and never through a symbolic link; when {@code current} is
     * null (no state yet) writes an empty state as commit 0 first. The caller forces the directory once all its files
     * exist.
     */
    static StateFile open(Path[] paths, State current, FileOpener opener, boolean fsync) throws IOException {
        FileChannel[] files = new FileChannel[paths.length];
        long[] sizes = new long[paths.length];
        try {
            for (int i = 0; i < paths.length; i++) {
                files[i] = opener.open(paths[i], Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), OWNER_ONLY);
                sizes[i] = files[i].size();
            }
        } catch (IOException | RuntimeException e) {
            closeAll(files);
            throw e;
        }
        if (current != null) {
            StateFile f = new StateFile(paths, files, sizes, current.file(), current.seq(), fsync);
            if (fsync) {
                try {
                    f.forceNewest(current.bytes());
                } catch (IOException | RuntimeException e) {
                    f.close();
                    throw e;
                }
            }
            return f; // the next commit goes to the other file
        }
        StateFile made = new StateFile(paths, files, sizes, 1, -1, fsync); // commit 0 goes to FILE.state
        try {
            made.write(0, Map.of());
        } catch (IOException | RuntimeException e) {
            made.close();
            throw e;
        }
        return made;
    }

    /**
     * Writes the next commit into the file that does not hold the newest, and forces it with fsync. On failure the
     * turn does not move: the next commit writes the same file.
     */
    void write(long outputLength, Map<String, long[]> streams) throws IOException {
        long next = seq + 1;
        Properties p = new Properties();
        p.setProperty("seq", Long.toString(next));
        p.setProperty("outputLength", Long.toString(outputLength));
        streams.forEach((id, v) -> p.setProperty("stream." + id, Long.toUnsignedString(v[0]) + "," + v[1]));
        ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        try (Writer w = new OutputStreamWriter(body, StandardCharsets.ISO_8859_1)) {
            p.store(w, "wssink reference receiver: this commit's seq, the output's committed length, and per stream"
                    + " the highest id held and when it was last seen (ms)");
        }
        byte[] b = body.toByteArray();
        crc.reset();
        crc.update(b, 0, b.length);
        byte[] header = String.format(Locale.ROOT, "#wssink-state length=%d crc32c=%08x\n", b.length,
                (int) crc.getValue()).getBytes(StandardCharsets.ISO_8859_1); // ROOT: ASCII digits whatever the locale
        ByteBuffer buf = ByteBuffer.allocate(header.length + b.length).put(header).put(b).flip();
        int target = 1 - newest;
        FileChannel f = files[target];
        mayBeAhead = true;
        long at = writeFromStart(f, buf);
        if (sizes[target] > at) {
            f.truncate(at); // a longer state was there: what is left after the body would only confuse a reader
        }
        sizes[target] = at;
        if (fsync) {
            f.force(false);
        }
        mayBeAhead = false;
        newest = target;
        seq = next;
    }

    /**
     * Makes the newest state durable before any commit writes over the other file, which may hold the last commit
     * known to be on disk. A start reads the page cache: a receiver killed between a commit's write and its force
     * leaves a newest state that may not be on disk, and a force that failed with EIO may have left its pages marked
     * clean and unwritten, so a force alone would not write them: the file's own bytes are written again first. A
     * power cut during that write tears nothing that was on disk whole (the same bytes over the same bytes), and a
     * commit that was never forced was never acked.
     */
    private void forceNewest(byte[] asRead) throws IOException {
        writeFromStart(files[newest], ByteBuffer.wrap(asRead));
        files[newest].force(false);
    }

    /** Writes all of {@code b} at offset 0 of {@code f}, whatever its position; returns the bytes written. */
    private static long writeFromStart(FileChannel f, ByteBuffer b) throws IOException {
        long at = 0;
        while (b.hasRemaining()) {
            at += f.write(b, at);
        }
        return at;
    }

    /**
     * Whether the last commit failed after it began writing its file, which may then hold that commit whole (a start
     * would read it); cleared by this call. The store rolls back to that commit rather than cut below it.
     */
    boolean takeMayBeAhead() {
        boolean was = mayBeAhead;
        mayBeAhead = false;
        return was;
    }

    @Override
    public void close() throws IOException {
        closeAll(files);
    }

    private static void closeAll(FileChannel[] files) throws IOException {
        IOException first = null;
        for (FileChannel f : files) {
            if (f == null) {
                continue;
            }
            try {
                f.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
