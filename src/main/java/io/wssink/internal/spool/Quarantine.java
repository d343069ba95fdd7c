package io.wssink.internal.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Keeps the bytes of records that failed their check, beside the spool, for a person to inspect, and knows which ids
 * it holds, so that a damaged record is kept and counted once, not again at each rewind, reconnect or restart. Each
 * entry of the file: id (u64 big-endian), length (u32 big-endian), the stored record as read. Rare, so it opens the
 * file each time; the ids it holds are read from it when the spool is opened.
 */
final class Quarantine {
    private static final Logger log = LoggerFactory.getLogger(Quarantine.class);

    private final Path file;
    /** The ids in the file, and any kept since whose copy could not be written; any thread reads, the reader adds. */
    private final Set<Long> ids = new ConcurrentSkipListSet<>(Long::compareUnsigned);

    Quarantine(Path spoolDir) {
        this.file = spoolDir.resolve(SpoolDirectory.QUARANTINE);
        load();
    }

    /** Reads the ids of the entries in the file; an entry cut short by a crash while it was written ends it. */
    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(12);
            long position = 0;
            long size = ch.size();
            while (position + 12 <= size) {
                head.clear();
                while (head.hasRemaining() && ch.read(head, position + head.position()) > 0) {
                    // reads the 12 bytes of the entry's head
                }
                long id = head.getLong(0);
                int length = head.getInt(8);
                if (length < 0 || position + 12 + length > size) {
                    break;
                }
                ids.add(id);
                position += 12 + length;
            }
        } catch (IOException e) {
            log.warn("cannot read {}: {}; records in it may be counted again if they are read again", file,
                    e.toString());
        }
    }

    /**
     * Keeps a damaged record's bytes unless {@code id} is kept already.
     *
     * @return true if this call kept it: the caller counts and reports it; false if it was kept before
     */
    boolean keep(long id, byte[] record, int length) {
        if (!ids.add(id)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(SpoolDirectory.FILE_MODE))) {
            ByteBuffer head = ByteBuffer.allocate(12).putLong(id).putInt(length).flip();
            ch.write(new ByteBuffer[] {head, ByteBuffer.wrap(record, 0, length)});
        } catch (IOException e) {
            // the record is counted and skipped either way; losing its copy must not stall the stream
            log.warn("cannot write {}: {}", file, e.toString());
        }
        return true;
    }

    boolean contains(long id) {
        return !ids.isEmpty() && ids.contains(id);
    }

    Path file() {
        return file;
    }
}
