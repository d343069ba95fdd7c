package io.wssink.internal.spool;

import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolException;
import io.wssink.testing.CapturedStderr;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** A spool damaged by hand: recovered, or refused with a clear message; nothing intact is lost. */
class SpoolRecoveryTest {
    @TempDir
    Path tmp;

    private SpoolConfig config(Path dir) {
        return SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(64 << 20).maxEventBytes(1 << 10)
                .rollPeriod(RollPeriod.TEST_SECONDLY).build();
    }

    /** Opens a spool refused because its current cycle's file is missing, once that (1-second) cycle is over. */
    private Spool openOnceItsCycleIsOver(Path dir) {
        return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .ignoreExceptionsInstanceOf(SpoolException.class).until(() -> Spool.open(config(dir)), s -> true);
    }

    private static List<String> texts(List<Event> events) {
        return events.stream().map(Event::text).toList();
    }

    @Test
    void aTruncatedLastCycleFileIsRefusedForAppendingAndTheRestGoesOnOnceItIsMovedAside() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir))) {
            for (int i = 0; i < 100; i++) {
                spool.append("event-" + i);
            }
        }
        Path file = SpoolRetentionTest.cycleFiles(dir).get(0);
        int at = SpoolDamageTest.indexOf(Files.readAllBytes(file), "event-60".getBytes(StandardCharsets.US_ASCII));
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(at + 3); // cut inside event-60
        }
        SpoolException refused = assertThrows(SpoolException.class, () -> Spool.open(config(dir)),
                "appending into the cut file would lose events: the spool is refused");
        assertTrue(refused.getMessage().contains("(byte ") && refused.getMessage().contains("the file was cut short)."
                + " Events appended to it would never be read. Move that file out of"), refused.getMessage());
        assertThrows(SpoolException.class, () -> Spool.open(config(dir)), "and again: the refusal does not wear off");

        // What the message says to do: move the file aside; it stays readable where it is put.
        Path aside = Files.createDirectories(tmp.resolve("aside/queue"));
        Files.move(file, aside.resolve(file.getFileName()));
        Files.copy(dir.resolve("wssink-spool.properties"), tmp.resolve("aside/wssink-spool.properties"));
        Files.setPosixFilePermissions(tmp.resolve("aside"), PosixFilePermissions.fromString("rwx------"));
        try (Spool spool = openOnceItsCycleIsOver(dir)) {
            spool.append("after-the-move");
            assertEquals(List.of("after-the-move"), texts(Spools.readAll(spool)), "and the spool takes new events");
            assertEquals(1, spool.stats().missingFiles(), "the file moved out is counted as missing");
        }
        try (Spool damaged = Spool.open(config(tmp.resolve("aside")))) {
            fail("the moved file is still cut short, and is refused for appending too");
        } catch (SpoolException expected) {
            assertTrue(expected.getMessage().contains("cut short"));
        }
    }

    @Test
    void lostMetadataMeansEverythingIsSentAgainNeverLessAndTheStreamIsKept() throws Exception {
        Path dir = tmp.resolve("spool");
        String stream;
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            stream = spool.streamId();
            long last = 0;
            for (int i = 0; i < 10; i++) {
                last = spool.append("event-" + i);
            }
            Spools.readAll(reader);
            reader.ack(last);
        }
        Files.delete(dir.resolve("queue/metadata.cq4t"));
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(stream, spool.streamId(), "the stream id lives in the marker, not the metadata");
            assertEquals(Spool.NONE, spool.ackedId());
            assertEquals(10, Spools.readAll(spool).size(), "all resent; receivers drop what they hold");
        }
    }

    @Test
    void aZeroedAckCursorMeansEverythingIsSentAgainAndItIsSaidAndCounted() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            long last = 0;
            for (int i = 0; i < 10; i++) {
                last = spool.append("event-" + i);
            }
            Spools.readAll(reader);
            reader.ack(last);
            ((ChronicleSpool) spool).counters().ackCursor.setOrderedValue(0); // the damage: 8 zero bytes
        }
        String logs;
        try (CapturedStderr err = new CapturedStderr();
             Spool spool = Spool.open(config(dir))) {
            assertEquals(10, Spools.readAll(spool).size(), "all resent; receivers drop what they hold");
            assertEquals(1, spool.stats().corruptRecords(), "counted as damage");
            logs = err.text();
        }
        assertTrue(logs.contains("its ack cursor was reset to nothing although"), logs);
    }

    @Test
    void aRewindToTheStartIsNoDamage() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            long last = spool.append("event");
            Spools.readAll(reader);
            reader.ack(last);
            reader.rewindCursorTo(Spool.NONE);
        }
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(0, spool.stats().corruptRecords());
            assertEquals(1, spool.stats().backlogEvents());
        }
    }

    @Test
    void aMetadataFileFromAnotherSpoolIsRefused() throws Exception {
        Path mine = tmp.resolve("mine");
        Path other = tmp.resolve("other");
        try (Spool a = Spool.open(config(mine)); Spool b = Spool.open(config(other))) {
            a.append("mine");
            b.append("other");
        }
        Files.copy(other.resolve("queue/metadata.cq4t"), mine.resolve("queue/metadata.cq4t"),
                StandardCopyOption.REPLACE_EXISTING);
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(mine)));
        assertTrue(e.getMessage().contains("metadata.cq4t belongs to another spool"), e.getMessage());
    }

    @Test
    void aCycleFileDeletedByHandLosesOnlyItsOwnEventsAndIsSaidAndCountedOnce() throws Exception {
        Path dir = tmp.resolve("spool");
        List<Long> firstOfCycle;
        try (Spool spool = Spool.open(config(dir))) {
            firstOfCycle = SpoolRetentionTest.appendAcrossCycles(spool, 3);
        }
        List<Path> files = SpoolRetentionTest.cycleFiles(dir).stream().sorted().toList();
        Files.delete(files.get(1));
        String logs;
        try (CapturedStderr err = new CapturedStderr();
             Spool spool = Spool.open(config(dir))) {
            List<Event> read = Spools.readAll(spool);
            int middle = SpoolRetentionTest.cycleOf(firstOfCycle.get(1));
            assertTrue(read.stream().noneMatch(e -> SpoolRetentionTest.cycleOf(e.id()) == middle));
            assertTrue(read.stream().anyMatch(e -> e.id() == firstOfCycle.get(0)), "the first file's events remain");
            assertTrue(read.stream().anyMatch(e -> e.id() == firstOfCycle.get(2)), "and the last file's");
            assertEquals(1, spool.stats().missingFiles(), "counted");
            logs = err.text();
        }
        assertTrue(logs.contains(files.get(1) + " is missing (deleted by hand?): the events it held are lost"), logs);
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(1, spool.stats().missingFiles(), "once, not at every open");
        }
    }

    @Test
    void theFileHoldingTheCursorDeletedByHandIsCountedAndReadingGoesOnFromTheNextFile() throws Exception {
        Path dir = tmp.resolve("spool");
        List<Long> firstOfCycle;
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            firstOfCycle = SpoolRetentionTest.appendAcrossCycles(spool, 3);
            Spools.readAll(reader);
            reader.ack(firstOfCycle.get(0));
        }
        Files.delete(SpoolRetentionTest.cycleFiles(dir).stream().sorted().toList().get(0));
        try (Spool spool = Spool.open(config(dir))) {
            List<Event> read = Spools.readAll(spool);
            assertEquals(firstOfCycle.get(1), read.get(0).id(), "the next file is read from its start");
            assertEquals(1, spool.stats().missingFiles());
        }
    }

    @Test
    void filesDeletedByRetentionAreNotMissing() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            List<Long> firstOfCycle = SpoolRetentionTest.appendAcrossCycles(spool, 3);
            Spools.readAll(reader);
            reader.ack(firstOfCycle.get(2));
            assertEquals(2, reader.retain());
        }
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(0, spool.stats().missingFiles());
        }
    }

    @Test
    void theFileNewEventsGoIntoDeletedByHandIsRefusedUntilItsCycleIsOver() throws Exception {
        // Chronicle would make the file again and give new events the ids of the deleted ones, which receivers hold.
        Path dir = null;
        long lastId = Spool.NONE;
        SpoolException refused = null;
        for (int attempt = 0; refused == null && attempt < 20; attempt++) { // append, delete and open in one second
            dir = tmp.resolve("spool-" + attempt);
            try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
                lastId = spool.append("acked");
                Spools.readAll(reader);
                reader.ack(lastId);
            }
            Files.delete(SpoolRetentionTest.cycleFiles(dir).get(0));
            try {
                Spool.open(config(dir)).close();
            } catch (SpoolException e) {
                refused = e;
            }
        }
        assertNotNull(refused, "refused while the deleted file's cycle lasts");
        assertTrue(refused.getMessage().contains(", the file new events go into, is missing (deleted by hand?). New"
                + " events would take the ids of the ones it held"), refused.getMessage());
        assertTrue(refused.getMessage().contains("Put the file back, or open the spool after "), refused.getMessage());

        try (Spool spool = openOnceItsCycleIsOver(dir)) {
            long next = spool.append("after");
            assertTrue(Long.compareUnsigned(next, lastId) > 0, "new ids come after every id given before");
            assertEquals(List.of("after"), texts(Spools.readAll(spool)));
            assertEquals(1, spool.stats().missingFiles());
        }
    }

    @Test
    void aGroupWritableSpoolIsRefused() throws Exception {
        Path dir = tmp.resolve("spool");
        Spool.open(config(dir)).close();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(dir)));
        assertTrue(e.getMessage().contains("is writable by group or others (mode rwxrwx---)"), e.getMessage());
    }

    /** Skips the calling test unless this process may give files away (root, or CAP_CHOWN). */
    private static void assumeRoot() {
        Assumptions.assumeTrue(SpoolDirectory.processUid().orElse(-1) == 0,
                "needs root: only root may give a directory to another user (run the tests as root to check this)");
    }

    @Test
    void aSpoolOwnedByAnotherUserIsRefused() throws Exception {
        assumeRoot();
        Path dir = tmp.resolve("spool");
        Spool.open(config(dir)).close();
        String me = System.getProperty("user.name");
        UserPrincipal someoneElse = dir.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(me.equals("nobody") ? "root" : "nobody");
        Files.setOwner(dir, someoneElse);
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(dir)));
        assertEquals("spool " + dir + " belongs to user " + someoneElse.getName() + " (uid "
                + Files.getAttribute(dir, "unix:uid") + "), not to " + me + " (uid "
                + SpoolDirectory.processUid().getAsInt() + "): refusing a spool that another user controls",
                e.getMessage());
    }

    @Test
    void aProcessRunningAsAUidWithNoNameOpensTheSpoolItOwns() throws Exception {
        // Containers often run as an arbitrary uid that /etc/passwd does not know: the JDK then calls the user "?",
        // and the spool's owner is named by its number. Comparing names refused the process's own spool.
        assumeRoot();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux) to run a"
                + " child JVM as another uid");
        int uid = 54321;
        Assumptions.assumeTrue(Files.readAllLines(Path.of("/etc/passwd")).stream()
                .noneMatch(l -> l.split(":").length > 2 && l.split(":")[2].equals(String.valueOf(uid))),
                "uid " + uid + " has a name here");
        // Everything the child needs must be readable by that uid: a copy of the class path in a directory of its own.
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "wssink-uid-");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> classPath = new ArrayList<>();
            int n = 0;
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue;
                }
                Path to = shared.resolve("cp" + n++ + (Files.isDirectory(from) ? "" : ".jar"));
                try (Stream<Path> all = Files.walk(from)) {
                    for (Path p : all.toList()) {
                        Path target = to.resolve(from.relativize(p).toString());
                        Files.copy(p, Files.isDirectory(from) ? target : to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                classPath.add(to.toString());
            }
            try (Stream<Path> all = Files.walk(shared)) {
                for (Path p : all.toList()) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p)
                            ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            Path dir = shared.resolve("spool");
            Spool.open(config(dir)).close();
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.toList()) {
                    Files.setAttribute(p, "unix:uid", uid);
                    Files.setAttribute(p, "unix:gid", uid);
                }
            }
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + uid,
                    "--regid=" + uid, "--clear-groups", Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString()));
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                    cmd.add(a);
                }
            }
            cmd.addAll(List.of("-Xmx128m", "-Duser.home=" + shared, "-cp",
                    String.join(File.pathSeparator, classPath), AppendingChild.class.getName(),
                    dir.toString(), "nameless", "1"));
            Process child = new ProcessBuilder(cmd).directory(shared.toFile()).redirectErrorStream(true).start();
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, child.exitValue(), out);
            assertTrue(out.contains("DONE"), out);
        } finally {
            try (Stream<Path> all = Files.walk(shared)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
