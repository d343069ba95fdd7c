package io.wssink.internal.spool;

import com.sun.security.auth.module.UnixSystem;
import io.wssink.spool.SpoolException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The files of a spool directory, and the checks made before Chronicle touches it:
 * <pre>
 *   wssink-spool.properties   format, stream id and where the spool was made; written atomically when the spool is
 *                             created, and again when it takes a new stream id (it was copied, or a power cut)
 *   queue/                    the Chronicle Queue (cycle files *.cq4, metadata.cq4t holding the cursor)
 *   reader.lock               the forwarder's exclusive lock
 *   quarantine.bin            records that failed their CRC
 *   fork.lock                 held while the marker is rewritten, so that two processes opening at once fork once
 * </pre>
 */
final class SpoolDirectory {
    static final String MARKER = "wssink-spool.properties";
    static final String QUEUE = "queue";
    static final String LOCK = "reader.lock";
    static final String QUARANTINE = "quarantine.bin";
    static final String FORK_LOCK = "fork.lock";
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final String FORMAT = "wssink-spool-1";

    private SpoolDirectory() {
    }

    /**
     * What the marker says: the stream id, and where the spool was when it took it ({@code home}: the directory's
     * device and inode; {@code machine}: the machine id), so that a copy knows it is one. Empty strings for what an
     * older marker does not say or this system cannot tell. {@code forkedFrom} and {@code forkReason}: the stream id
     * before the last fork and why it forked, or empty.
     */
    record Marker(String streamId, String home, String machine, String forkedFrom, String forkReason) {
    }

    /** Checks or creates the directory and returns its marker. */
    static Marker prepare(Path dir, boolean createIfMissing) {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir)) {
            throw new SpoolException("spool " + dir + " is not a directory");
        }
        if (!Files.exists(dir)) {
            if (!createIfMissing) {
                throw new SpoolException("no spool at " + dir + " (the directory does not exist)");
            }
            createPrivateDirectory(dir);
        }
        checkOwnerAccess(dir);
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            return readMarker(dir);
        }
        if (!isEmpty(dir)) {
            throw new SpoolException(dir + " is not a wssink spool (it has files but no " + MARKER
                    + "); name an empty or new directory");
        }
        if (!createIfMissing) {
            throw new SpoolException("no spool at " + dir + " (the directory is empty)");
        }
        makePrivate(dir); // a directory made by someone else (mkdir, a mounted volume) is ours now: 0700, as created
        Marker made = new Marker(UUID.randomUUID().toString(), home(dir), machineId(), "", "");
        writeMarker(dir, made);
        return made;
    }

    /**
     * Where the directory is: its device and inode, which a copy ({@code cp -a}, a container image, another disk) does
     * not keep and a rename within its file system does; empty where the file system cannot tell.
     */
    static String home(Path dir) {
        try {
            return Files.getAttribute(dir, "unix:dev") + ":" + Files.getAttribute(dir, "unix:ino");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "";
        }
    }

    /** The machine id (systemd's, or D-Bus's), which a host cloned from an image should be given anew; or empty. */
    static String machineId() {
        for (String f : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
            try {
                String id = Files.readString(Path.of(f)).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            } catch (IOException | RuntimeException e) {
                // not there, or not readable: try the next
            }
        }
        return "";
    }

    static void createPrivateDirectory(Path dir) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
            Files.setPosixFilePermissions(dir, DIR_MODE); // createDirectories obeys the umask
        } catch (FileAlreadyExistsException e) {
            throw new SpoolException("spool " + dir + " is not a directory", e);
        } catch (IOException e) {
            throw new SpoolException("cannot create spool directory " + dir + ": " + e, e);
        }
    }

    /** Makes a file private; used for every file Chronicle creates, since it obeys the umask. */
    static void makePrivate(Path file) {
        try {
            if (Files.isDirectory(file)) {
                Files.setPosixFilePermissions(file, DIR_MODE);
            } else if (Files.exists(file)) {
                Files.setPosixFilePermissions(file, FILE_MODE);
            }
        } catch (IOException e) {
            throw new SpoolException("cannot make " + file + " private: " + e, e);
        }
    }

    /**
     * Checks the owner's permission bits rather than asking the OS whether we may read: root may read anything,
     * but a spool whose owner took its access away is damaged or not meant for us.
     */
    private static void checkOwnerAccess(Path dir) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (!mode.containsAll(DIR_MODE) || !Files.isReadable(dir) || !Files.isWritable(dir)) {
                throw new SpoolException("spool " + dir + " cannot be read and written (mode "
                        + PosixFilePermissions.toString(mode) + "); it must be rwx for its owner");
            }
            if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new SpoolException("spool " + dir + " is writable by group or others (mode "
                        + PosixFilePermissions.toString(mode) + "): anyone could forge or delete events; chmod 700 it");
            }
            checkOwner(dir, processUid());
        } catch (IOException e) {
            throw new SpoolException("cannot read spool directory " + dir + ": " + e, e);
        }
    }

    /**
     * The directory must belong to the user this process runs as. Compared by numeric uid: a container often runs as
     * an arbitrary uid with no name (the JDK then calls the user "?", and the owner's name is its number), so names
     * would refuse a spool the process itself made. By name only where the uid cannot be told.
     */
    static void checkOwner(Path dir, OptionalInt processUid) throws IOException {
        String user = System.getProperty("user.name");
        if (processUid.isPresent()) {
            int owner = (Integer) Files.getAttribute(dir, "unix:uid");
            if (owner != processUid.getAsInt()) {
                throw new SpoolException("spool " + dir + " belongs to user " + Files.getOwner(dir).getName() + " (uid "
                        + owner + "), not to " + user + " (uid " + processUid.getAsInt() + "): refusing a spool that"
                        + " another user controls");
            }
            return;
        }
        String owner = Files.getOwner(dir).getName();
        if (!owner.equals(user)) {
            throw new SpoolException("spool " + dir + " belongs to user " + owner + ", not to " + user
                    + ": refusing a spool that another user controls");
        }
    }

    /**
     * The uid this process runs as, or empty where the system cannot tell. On Linux the owner of {@code /proc/self};
     * elsewhere the JDK's {@link UnixSystem}, but only when it found the user's name: for a uid with no name it
     * reports uid 0 (seen on OpenJDK 17), which would take a nameless container user for root.
     */
    static OptionalInt processUid() {
        try {
            return OptionalInt.of((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        try {
            UnixSystem system = new UnixSystem();
            return system.getUsername() == null ? OptionalInt.empty() : OptionalInt.of((int) system.getUid());
        } catch (LinkageError | RuntimeException e) {
            return OptionalInt.empty(); // a runtime image without jdk.security.auth, or not a Unix
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new SpoolException("cannot list spool directory " + dir + ": " + e, e);
        }
    }

    static Marker readMarker(Path dir) {
        Path marker = dir.resolve(MARKER);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(marker)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new SpoolException("spool marker " + marker + " vanished while opening", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new SpoolException("cannot read spool marker " + marker + ": " + e, e);
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw new SpoolException(marker + " is damaged or of an unknown format (format="
                    + p.getProperty("format") + ", expected " + FORMAT + ")");
        }
        String id = p.getProperty("streamId", "");
        try {
            id = UUID.fromString(id).toString();
        } catch (IllegalArgumentException e) {
            throw new SpoolException(marker + " is damaged: streamId '" + id + "' is not a UUID", e);
        }
        return new Marker(id, p.getProperty("home", ""), p.getProperty("machine", ""),
                p.getProperty("forkedFrom", ""), p.getProperty("forkReason", ""));
    }

    /**
     * Writes the marker to a temporary file of this process's own, syncs it and renames it into place, so it is whole
     * or absent, and two processes writing at once leave one whole marker.
     */
    static void writeMarker(Path dir, Marker marker) {
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("streamId", marker.streamId());
        p.setProperty("home", marker.home());
        p.setProperty("machine", marker.machine());
        if (!marker.forkedFrom().isEmpty()) {
            p.setProperty("forkedFrom", marker.forkedFrom());
            p.setProperty("forkReason", marker.forkReason());
        }
        Path tmp = dir.resolve(MARKER + "." + ProcessHandle.current().pid() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING), PosixFilePermissions.asFileAttribute(FILE_MODE));
                 OutputStream out = Channels.newOutputStream(ch)) {
                p.store(out, "wssink spool: do not edit; the stream id names this spool to receivers");
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(MARKER), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(MARKER), StandardCopyOption.REPLACE_EXISTING);
            }
            makePrivate(dir.resolve(MARKER));
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot sync a directory; the rename is still atomic
            }
        } catch (IOException e) {
            throw new SpoolException("cannot create spool marker in " + dir + ": " + e, e);
        }
    }
}
