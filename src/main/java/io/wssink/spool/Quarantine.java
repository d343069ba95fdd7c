package io.wssink.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Keeps the bytes of records that failed their check, beside the spool, for a person to inspect. Each entry:
 * id (u64 big-endian), length (u32 big-endian), the stored record as read. Rare, so it opens the file each time.
 */
final class Quarantine {
    private static final Logger log = LoggerFactory.getLogger(Quarantine.class);

    private final Path file;

    Quarantine(Path spoolDir) {
        this.file = spoolDir.resolve(SpoolDirectory.QUARANTINE);
    }

    void keep(long id, byte[] record, int length) {
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(SpoolDirectory.FILE_MODE))) {
            ByteBuffer head = ByteBuffer.allocate(12).putLong(id).putInt(length).flip();
            ch.write(new ByteBuffer[] {head, ByteBuffer.wrap(record, 0, length)});
        } catch (IOException e) {
            // the record is counted and skipped either way; losing its copy must not stall the stream
            log.warn("cannot write {}: {}", file, e.toString());
        }
    }

    Path file() {
        return file;
    }
}
