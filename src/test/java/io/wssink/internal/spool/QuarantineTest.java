package io.wssink.internal.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;

class QuarantineTest {
    @TempDir
    Path tmp;

    @Test
    void keepsEachIdOnceAndKnowsThemAgainFromItsFileEvenWhenItsLastEntryWasCutByACrash() throws Exception {
        Quarantine q = new Quarantine(tmp);
        assertFalse(q.contains(7));
        assertTrue(q.keep(7, new byte[] {1, 2, 3}, 3));
        assertFalse(q.keep(7, new byte[] {1, 2, 3}, 3), "kept once");
        assertTrue(q.keep(9, new byte[] {4}, 1));
        assertEquals(12 + 3 + 12 + 1, Files.size(q.file()));
        // a crash in the middle of writing a third entry
        Files.write(q.file(), ByteBuffer.allocate(14).putLong(11).putInt(100).array(), StandardOpenOption.APPEND);

        Quarantine reopened = new Quarantine(tmp);
        assertTrue(reopened.contains(7));
        assertTrue(reopened.contains(9));
        assertFalse(reopened.contains(11), "an entry cut short is not counted as kept");
        assertFalse(reopened.keep(9, new byte[] {4}, 1));
    }
}
