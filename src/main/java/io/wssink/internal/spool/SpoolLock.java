package io.wssink.internal.spool;

import io.wssink.spool.SpoolException;
import io.wssink.spool.SpoolLockedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The exclusive lock of a spool's reader: an OS file lock, so it is released when the holder dies, even by kill -9.
 * The file holds the holder's pid and start time, for the error message of the next comer and for {@link #holder},
 * which tells whether a sender runs without taking the lock (a status that tried the lock would make a sender starting
 * at that instant fail). The holder empties the file when it lets go.
 */
final class SpoolLock implements AutoCloseable {
    // Set by the constructor; closed by the thread that closes the reader.
    private final FileChannel channel;
    private final FileLock lock;

    private SpoolLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static SpoolLock acquire(Path spoolDir) {
        Path file = spoolDir.resolve(SpoolDirectory.LOCK);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(SpoolDirectory.FILE_MODE));
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            if (lock == null) {
                String holder = firstWord(new String(Files.readAllBytes(file), StandardCharsets.US_ASCII));
                ch.close();
                throw new SpoolLockedException("spool " + spoolDir + " is in use by another sender"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                        + "; only one process may forward a spool at a time");
            }
            ProcessHandle me = ProcessHandle.current();
            byte[] holder = (me.pid() + " " + startMillis(me) + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.write(ByteBuffer.wrap(holder), 0); // written whole, then cut to its length: never seen empty
            ch.truncate(holder.length);
            return new SpoolLock(ch, lock);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SpoolException("cannot lock spool " + spoolDir + ": " + e, e);
        }
    }

    /**
     * The pid of the process that holds the reader's lock now, read from the lock file without taking the lock: the
     * pid written there, if that process is alive and started when the file says (so that a pid reused since a kill -9
     * is not taken for a sender).
     */
    static OptionalLong holder(Path spoolDir) {
        String text;
        try {
            text = new String(Files.readAllBytes(spoolDir.resolve(SpoolDirectory.LOCK)), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return OptionalLong.empty(); // no sender ever ran, or the file cannot be read: none that we can tell
        }
        String[] f = text.split("\n", 2)[0].trim().split(" ");
        try {
            long pid = Long.parseLong(f[0]);
            long started = f.length > 1 ? Long.parseLong(f[1]) : -1;
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isPresent() && p.get().isAlive() && (started < 0 || startMillis(p.get()) < 0
                    || startMillis(p.get()) == started)) {
                return OptionalLong.of(pid);
            }
        } catch (NumberFormatException e) {
            // empty (let go of), or half written by a sender starting now: none yet
        }
        return OptionalLong.empty();
    }

    private static long startMillis(ProcessHandle p) {
        return p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
    }

    private static String firstWord(String text) {
        String t = text.trim();
        int space = t.indexOf(' ');
        return space < 0 ? t : t.substring(0, space);
    }

    @Override
    public void close() {
        try {
            channel.truncate(0); // let go of: status says no sender at once, not once it notices the pid is gone
        } catch (IOException ignored) {
            // the pid then stays until its process is gone, which status checks
        }
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
