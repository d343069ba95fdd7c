package io.wssink.internal.spool;

import io.wssink.spool.SpoolException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Which machine boots had the spool open: each open leaves a file {@code open.<boot id>.<pid>.<random>}, synced to
 * disk, which its close deletes. A file of an earlier boot means the machine went down while a process had the
 * spool open (a power cut, a kernel crash, a reset): whatever the durability, the page cache may then have lost the
 * tail of the data after a receiver took it, and new events would take those ids and be dropped as duplicates. The
 * spool then takes a new stream id (see {@link SpoolOpenChecks#settleStream}).
 *
 * <p>A file of this boot whose process is gone (kill -9) means nothing: the page cache survived the process. A
 * machine restarted cleanly after such a kill forks too: duplicates, never loss. Without a boot id (not Linux) the
 * check is off. The boot id is {@code /proc/sys/kernel/random/boot_id}; tests name one with {@code -Dwssink.bootId}.
 */
final class OpenMarks {
    private static final String PREFIX = "open.";

    private OpenMarks() {
    }

    /** This boot's id, or "" where none can be read. */
    static String bootId() {
        String forced = System.getProperty("wssink.bootId");
        if (forced != null) {
            return forced;
        }
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Whether a process of an earlier boot left its mark: it had the spool open when the machine went down. */
    static boolean earlierBootLeftOne(Path dir, String boot) {
        if (boot.isEmpty()) {
            return false;
        }
        try (DirectoryStream<Path> marks = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path mark : marks) {
                if (!mark.getFileName().toString().startsWith(PREFIX + boot + ".")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new SpoolException("cannot list spool directory " + dir + ": " + e, e);
        }
    }

    /** Deletes the marks of earlier boots; call under the fork lock, once the fork they call for is done. */
    static void clearEarlierBoots(Path dir, String boot) {
        try (DirectoryStream<Path> marks = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path mark : marks) {
                if (!mark.getFileName().toString().startsWith(PREFIX + boot + ".")) {
                    Files.deleteIfExists(mark);
                }
            }
        } catch (IOException e) {
            throw new SpoolException("cannot clear old open marks in " + dir + ": " + e, e);
        }
    }

    /** Leaves this open's mark, synced with its directory entry; returns it, or null without a boot id. */
    static Path leave(Path dir, String boot) {
        if (boot.isEmpty()) {
            return null;
        }
        Path mark = dir.resolve(PREFIX + boot + "." + ProcessHandle.current().pid() + "." + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(mark, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(SpoolDirectory.FILE_MODE))) {
            ch.force(true);
        } catch (IOException e) {
            throw new SpoolException("cannot create " + mark + ": " + e, e);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems cannot sync a directory
        }
        return mark;
    }

    /** Removes this open's mark (a clean close). */
    static void remove(Path mark) {
        if (mark != null) {
            try {
                Files.deleteIfExists(mark);
            } catch (IOException ignored) {
                // a mark left behind costs a needless fork after the next restart, never a loss
            }
        }
    }
}
