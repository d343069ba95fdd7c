package io.wssink.internal.spool;

import io.wssink.spool.QuarantinedEventException;
import io.wssink.spool.SpoolException;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SpoolDamageTest {
    @TempDir
    Path tmp;

    private SpoolConfig config(Path dir) {
        return SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(16 << 20).maxEventBytes(1 << 10).build();
    }

    @Test
    void aRecordWithFlippedBytesIsSkippedCountedAndQuarantinedWithoutStallingTheStream() throws Exception {
        Path dir = tmp.resolve("spool");
        long damagedId;
        try (Spool spool = Spool.open(config(dir))) {
            spool.append("first-intact");
            damagedId = spool.append("second-DAMAGED");
            spool.append("third-intact");
        }
        Path cycleFile = SpoolRetentionTest.cycleFiles(dir).get(0);
        byte[] bytes = Files.readAllBytes(cycleFile);
        int at = indexOf(bytes, "DAMAGED".getBytes(StandardCharsets.US_ASCII));
        assertTrue(at > 0);
        bytes[at] ^= 0x20;
        Files.write(cycleFile, bytes);

        try (Spool spool = Spool.open(config(dir))) {
            List<Event> read = Spools.readAll(spool);
            assertEquals(List.of("first-intact", "third-intact"), read.stream().map(Event::text).toList());
            assertEquals(1, spool.stats().corruptRecords());
            byte[] kept = Files.readAllBytes(dir.resolve("quarantine.bin"));
            assertEquals(damagedId, ByteBuffer.wrap(kept).getLong(), "the quarantine names the id");
            assertTrue(indexOf(kept, "second-dAMAGED".getBytes(StandardCharsets.US_ASCII)) > 0, "and keeps its bytes");
        }
    }

    /** Flips a bit in the payload of the record holding {@code text}, in the spool's only cycle file. */
    private static void damage(Path dir, String text) throws Exception {
        Path cycleFile = SpoolRetentionTest.cycleFiles(dir).get(0);
        byte[] bytes = Files.readAllBytes(cycleFile);
        int at = indexOf(bytes, text.getBytes(StandardCharsets.US_ASCII));
        assertTrue(at > 0, text);
        bytes[at] ^= 0x20;
        Files.write(cycleFile, bytes);
    }

    /** How many entries quarantine.bin holds. */
    private static int quarantined(Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("quarantine.bin")));
        int n = 0;
        while (b.remaining() >= 12) {
            b.getLong();
            b.position(b.position() + b.getInt());
            n++;
        }
        return n;
    }

    @Test
    void aDamagedRecordIsQuarantinedAndCountedOnceNotAgainAtEachRewindOrReopen() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir))) {
            spool.append("first-intact");
            spool.append("second-DAMAGED");
            spool.append("third-intact");
        }
        damage(dir, "DAMAGED");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            assertEquals(2, Spools.readAll(reader).size());
            reader.rewind(); // as at each reconnect
            assertEquals(2, Spools.readAll(reader).size());
            reader.rewindCursorTo(Spool.NONE);
            assertEquals(2, Spools.readAll(reader).size());
            assertEquals(1, spool.stats().corruptRecords(), "counted once");
        }
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(2, Spools.readAll(spool).size());
            assertEquals(1, spool.stats().corruptRecords(), "and not again after a restart");
        }
        assertEquals(1, quarantined(dir), "its bytes are kept once");
    }

    @Test
    void theCursorMovesOverDamagedRecordsAtTheTailSoTheBacklogReachesZero() throws Exception {
        Path dir = tmp.resolve("spool");
        long intact;
        long damagedId;
        try (Spool spool = Spool.open(config(dir))) {
            intact = spool.append("intact");
            spool.append("tail-DAMAGED-1");
            damagedId = spool.append("tail-DAMAGED-2");
        }
        damage(dir, "DAMAGED-1");
        damage(dir, "DAMAGED-2");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            List<Event> read = Spools.readAll(reader); // reads the damaged ones too, before the receiver acks
            assertEquals(List.of(new Event(intact, "intact")), read);
            assertEquals(1, reader.ack(intact), "one event acknowledged");
            assertEquals(damagedId, spool.ackedId(), "the ack of the record before them moves the cursor over them");
            assertEquals(0, spool.stats().backlogEvents(), "so a sender waiting for the backlog to drain can exit");
        }
    }

    @Test
    void aDamagedRecordReadAfterEverythingBeforeItWasAcknowledgedMovesTheCursorAtOnce() throws Exception {
        Path dir = tmp.resolve("spool");
        long intact;
        long damagedId;
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            intact = spool.append("intact");
            assertEquals(1, Spools.readAll(reader).size());
            reader.ack(intact);
            damagedId = spool.append("tail-DAMAGED");
        }
        damage(dir, "DAMAGED");
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            assertEquals(List.of(), Spools.readAll(reader));
            assertEquals(damagedId, reader.ackedId());
            assertEquals(0, spool.stats().backlogEvents());
        }
    }

    @Test
    void aQuarantinedEventIsKnownAsSuchToAnyoneWaitingForItsAck() throws Exception {
        Path dir = tmp.resolve("spool");
        long intact;
        long damagedId;
        try (Spool spool = Spool.open(config(dir))) {
            intact = spool.append("intact");
            damagedId = spool.append("DAMAGED");
        }
        damage(dir, "DAMAGED");
        try (Spool spool = Spool.open(config(dir))) {
            assertFalse(spool.isQuarantined(damagedId), "not known before it is read");
            Spools.readAll(spool);
            assertTrue(spool.isQuarantined(damagedId));
            assertFalse(spool.isQuarantined(intact));
            assertDoesNotThrow(() -> spool.checkNotQuarantined(intact));
            QuarantinedEventException e = assertThrows(QuarantinedEventException.class,
                    () -> spool.checkNotQuarantined(damagedId));
            assertEquals(damagedId, e.id());
            assertEquals("event " + damagedId + " was found damaged in spool " + dir.toAbsolutePath() + " (it failed"
                    + " its check) and was quarantined in " + dir.toAbsolutePath().resolve("quarantine.bin")
                    + ": it will never be delivered", e.getMessage());
        }
        try (Spool spool = Spool.open(config(dir))) {
            assertTrue(spool.isQuarantined(damagedId), "known from quarantine.bin after a restart");
        }
    }

    @Test
    void aDirectoryWithOtherFilesIsNotASpool() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "not a spool");
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(dir)));
        assertTrue(e.getMessage().contains("is not a wssink spool"), e.getMessage());
        assertEquals(List.of(dir.resolve("holiday.jpg")), Files.list(dir).toList(), "and nothing was written into it");
    }

    @Test
    void aFileIsNotASpool() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(file)));
        assertTrue(e.getMessage().endsWith("is not a directory"), e.getMessage());
    }

    @Test
    void aSpoolWhoseOwnerLostAccessIsRefused() throws Exception {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config(dir))) {
            spool.append("x");
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("---------"));
        try {
            SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(dir)));
            assertTrue(e.getMessage().contains("cannot be read and written (mode ---------)"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aDamagedMarkerIsRefusedAndAMissingSpoolIsNotCreatedWhenNotAllowed() throws Exception {
        Path dir = tmp.resolve("spool");
        Spool.open(config(dir)).close();
        Files.writeString(dir.resolve("wssink-spool.properties"), "format=wssink-spool-1\nstreamId=garbage\n");
        SpoolException e = assertThrows(SpoolException.class, () -> Spool.open(config(dir)));
        assertTrue(e.getMessage().contains("is damaged: streamId 'garbage' is not a UUID"), e.getMessage());

        Path missing = tmp.resolve("missing");
        e = assertThrows(SpoolException.class,
                () -> Spool.open(config(missing).toBuilder().createIfMissing(false).build()));
        assertTrue(e.getMessage().startsWith("no spool at"), e.getMessage());
        assertFalse(Files.exists(missing));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
