package io.wssink.spool;

import io.wssink.testing.Spools;
import io.wssink.testing.Spools.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
            assertEquals(damagedId, java.nio.ByteBuffer.wrap(kept).getLong(), "the quarantine names the id");
            assertTrue(indexOf(kept, "second-dAMAGED".getBytes(StandardCharsets.US_ASCII)) > 0, "and keeps its bytes");
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
