package io.wssink.internal.spool;

import io.wssink.spool.SpoolException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Held while a spool's marker is rewritten (a fork, or an older marker learning where it is), so that processes
 * opening a spool at once fork it once. An OS file lock on {@code fork.lock}, released by the OS if its holder dies;
 * taken only when the marker must change, for the few milliseconds that takes, so it never stands in the way of a
 * sender or of {@code status}. The OS lock belongs to the whole JVM, so threads of one JVM queue on {@link #IN_JVM}.
 */
final class ForkLock implements AutoCloseable {
    /** Held by the thread of this JVM that holds a fork lock, whatever the spool: forks are rare. */
    private static final ReentrantLock IN_JVM = new ReentrantLock();

    // Taken and released by the thread that opens the spool.
    private final FileChannel channel;
    private final FileLock lock;

    private ForkLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static ForkLock take(Path spoolDir) {
        IN_JVM.lock();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(spoolDir.resolve(SpoolDirectory.FORK_LOCK), Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(SpoolDirectory.FILE_MODE));
            return new ForkLock(ch, ch.lock());
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing held
                }
            }
            IN_JVM.unlock();
            throw new SpoolException("cannot lock " + spoolDir.resolve(SpoolDirectory.FORK_LOCK) + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel releases the lock; the OS releases it at exit in any case
        } finally {
            IN_JVM.unlock();
        }
    }
}
