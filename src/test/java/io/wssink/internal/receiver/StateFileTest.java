package io.wssink.internal.receiver;

import io.wssink.internal.receiver.FaultyFiles.Fault;
import io.wssink.internal.receiver.StateFile.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The receiver's state in two files written in turn: a start reads the newest whole one, whatever a crash tore, and
 * a commit never overwrites the file holding the last one that completed.
 */
class StateFileTest {
    private static final String A = "6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";
    private static final String B = "0b1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";

    @TempDir
    Path tmp;

    private Path[] paths() {
        return StateFile.paths(tmp.resolve("out.txt.state"));
    }

    private static StateFile open(Path[] paths, FileOpener opener) throws IOException {
        return StateFile.open(paths, StateFile.read(paths), opener, true);
    }

    @Test
    void commitsGoToEachFileInTurnAndAStartReadsTheNewest() throws Exception {
        Path[] paths = paths();
        try (StateFile f = open(paths, FileOpener.REAL)) {
            assertEquals(0, StateFile.read(paths).seq(), "an empty state is commit 0, in FILE.state");
            assertEquals(0, Files.size(paths[1]), "the second file is made at once, empty");
            f.write(100, Map.of(A, new long[] {7, 1000}));
            State s = StateFile.read(paths);
            assertEquals(1, s.seq());
            assertEquals(1, s.file(), "commit 1 in .alt");
            byte[] first = Files.readAllBytes(paths[1]);
            f.write(250, Map.of(A, new long[] {9, 2000}, B, new long[] {-1L, 3000}));
            s = StateFile.read(paths);
            assertEquals(2, s.seq());
            assertEquals(0, s.file(), "commit 2 over commit 0");
            assertEquals(250, s.outputLength());
            assertArrayEquals(new long[] {9, 2000}, s.streams().get(A));
            assertArrayEquals(new long[] {-1L, 3000}, s.streams().get(B), "ids are unsigned");
            assertArrayEquals(first, Files.readAllBytes(paths[1]), "commit 1 untouched by commit 2");
            assertTrue(Files.readString(paths[0], StandardCharsets.ISO_8859_1).startsWith("#wssink-state length="));
        }
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(300, Map.of());
            assertEquals(3, StateFile.read(paths).seq(), "after a restart the turn goes on");
            assertEquals(1, StateFile.read(paths).file());
        }
    }

    @Test
    void aTornNewestFileIsPassedOverAndTheNextCommitOverwritesIt() throws Exception {
        Path[] paths = paths();
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(100, Map.of(A, new long[] {7, 1000}));
            f.write(200, Map.of(A, new long[] {8, 1000}));
        }
        byte[] newest = Files.readAllBytes(paths[0]);
        String text = new String(newest, StandardCharsets.ISO_8859_1);
        // one digit of the body wrong, the text still a valid state: only its CRC tells
        Files.writeString(paths[0], text.replace("outputLength=200", "outputLength=900"), StandardCharsets.ISO_8859_1);
        assertEquals(1, StateFile.read(paths).seq(), "the other file's commit");
        Files.write(paths[0], Arrays.copyOf(newest, 30)); // cut inside the header line
        assertEquals(1, StateFile.read(paths).seq());
        Files.write(paths[0], Arrays.copyOf(newest, newest.length - 1)); // the body's last byte missing
        assertEquals(1, StateFile.read(paths).seq());
        byte[] older = Files.readAllBytes(paths[1]);
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(300, Map.of(A, new long[] {9, 1000}));
        }
        assertArrayEquals(older, Files.readAllBytes(paths[1]), "the whole one was not written over");
        assertEquals(2, StateFile.read(paths).seq());
        assertEquals(300, StateFile.read(paths).outputLength());
    }

    @Test
    void aFailedWriteDoesNotMoveTheTurnAndSaysTheFileMayHoldIt() throws Exception {
        Path[] paths = paths();
        FaultyFiles files = new FaultyFiles(tmp.resolve("out.txt"));
        try (StateFile f = open(paths, files)) {
            f.write(100, Map.of(A, new long[] {7, 1000})); // commit 1, in .alt
            byte[] held = Files.readAllBytes(paths[1]);
            for (Fault fault : new Fault[] {Fault.STATE_WRITE, Fault.STATE_FORCE}) {
                files.arm(fault);
                assertThrows(IOException.class, () -> f.write(200, Map.of(A, new long[] {8, 1000})), fault.name());
                assertTrue(f.takeMayBeAhead(), fault + ": the file written may hold the commit");
                assertFalse(f.takeMayBeAhead(), "cleared once taken");
                assertArrayEquals(held, Files.readAllBytes(paths[1]), fault + ": the last whole commit untouched");
            }
            files.arm(Fault.NONE);
            f.write(200, Map.of(A, new long[] {8, 1000}));
            assertFalse(f.takeMayBeAhead());
            State s = StateFile.read(paths);
            assertEquals(2, s.seq(), "the retry is commit 2, into FILE.state again");
            assertEquals(0, s.file());
            assertArrayEquals(held, Files.readAllBytes(paths[1]));
        }
    }

    @Test
    void anEarlierVersionsStateIsReadAsCommitZeroAndKeptUntilTheNextCommitCompletes() throws Exception {
        Path[] paths = paths();
        String old = "#wssink reference receiver: the output's committed length, and per stream the highest id held"
                + " and when it was last seen (ms)\n#Thu Nov 26 10:00:00 UTC 2026\noutputLength=4096\nstream." + A
                + "=18446744073709551615,1764230000000\n";
        Files.writeString(paths[0], old, StandardCharsets.ISO_8859_1);
        State s = StateFile.read(paths);
        assertEquals(0, s.seq());
        assertEquals(4096, s.outputLength());
        assertArrayEquals(new long[] {-1L, 1764230000000L}, s.streams().get(A));
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(5000, s.streams());
        }
        assertEquals(old, Files.readString(paths[0], StandardCharsets.ISO_8859_1), "commit 1 went to .alt");
        assertEquals(1, StateFile.read(paths).seq());
        assertEquals(5000, StateFile.read(paths).outputLength());
    }

    /**
     * Commit 2 goes over an earlier version's FILE.state, which has no header to check: a power cut that tears it by
     * sector may leave its first bytes as they were and later ones of commit 2, "seq=2" among them. Read as commit 0
     * whatever it says, it loses to commit 1 in .alt.
     */
    @Test
    void anEarlierVersionsStateTornByTheCommitOverItLosesToTheOtherFile() throws Exception {
        Path[] paths = paths();
        String old = "#wssink reference receiver: the output's committed length\noutputLength=4096\nstream." + A
                + "=10,1764230000000\n";
        Files.writeString(paths[0], old, StandardCharsets.ISO_8859_1);
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(5000, Map.of(A, new long[] {12, 1764230000000L})); // commit 1, in .alt
        }
        Files.writeString(paths[0], old + "seq=2\noutputLength=9000\n", StandardCharsets.ISO_8859_1);
        State s = StateFile.read(paths);
        assertEquals(1, s.seq());
        assertEquals(5000, s.outputLength());
    }

    @Test
    void whenNeitherFileHoldsAWholeStateTheStartIsRefusedWithWhatToDo() throws Exception {
        Path[] paths = paths();
        Files.writeString(paths[0], "#wssink-state length=5 crc32c=00000000\nhello");
        Files.writeString(paths[1], "not a state at all");
        IOException e = assertThrows(IOException.class, () -> StateFile.read(paths));
        assertTrue(e.getMessage().contains("hold no whole state"), e.getMessage());
        assertTrue(e.getMessage().contains("out.txt.state: CRC32C mismatch; out.txt.state.alt: no valid header line"),
                "both files' reasons: " + e.getMessage());
        assertTrue(e.getMessage().contains("restore them from a backup, or move them and the output away"),
                e.getMessage());
        assertEquals("not a state at all", Files.readString(paths[1]), "nothing changed");
    }

    @Test
    void noStateAtAllIsNullNotAnError() throws Exception {
        assertNull(StateFile.read(paths()));
        Files.createFile(paths()[1]); // the empty second file a start makes
        assertNull(StateFile.read(paths()));
    }

    @Test
    void aShorterStateLeavesNothingOfALongerOneBehind() throws Exception {
        Path[] paths = paths();
        try (StateFile f = open(paths, FileOpener.REAL)) {
            f.write(1, Map.of(A, new long[] {1, 1}, B, new long[] {2, 2}));
            f.write(2, Map.of(A, new long[] {1, 1}, B, new long[] {2, 2}));
            f.write(3, Map.of()); // into .alt, over commit 1's two streams
        }
        String text = Files.readString(paths[1], StandardCharsets.ISO_8859_1);
        assertFalse(text.contains("stream."), text);
        assertEquals(3, StateFile.read(paths).outputLength());
    }
}
