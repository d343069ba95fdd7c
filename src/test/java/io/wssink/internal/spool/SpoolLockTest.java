package io.wssink.internal.spool;

import io.wssink.spool.SpoolLockedException;
import io.wssink.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class SpoolLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondReaderFailsFastInTheSameProcess() {
        try (Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20)
                .maxSpoolBytes(16 << 20).maxEventBytes(1 << 10).build());
             SpoolReader first = spool.openReader()) {
            SpoolLockedException e = assertThrows(SpoolLockedException.class, spool::openReader);
            assertTrue(e.getMessage().contains("is in use by another sender (pid " + ProcessHandle.current().pid()),
                    e.getMessage());
            assertEquals(Spool.NONE, first.ackedId());
        }
    }

    @Test
    void aReaderInAnotherProcessHoldsTheSpoolUntilItDiesEvenByKill9() throws Exception {
        Path dir = tmp.resolve("spool");
        try (ChildJvm child = ChildJvm.start(AppendingChild.class, tmp.resolve("child.err"),
                dir.toString(), "c", "100000000", "hold")) {
            // the child has the lock once READY, and has appended once an "A" line is out
            await().atMost(Duration.ofSeconds(60)).until(() -> child.lines().stream().anyMatch(l -> l.startsWith("A ")));
            try (Spool spool = Spool.open(SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(256L << 20)
                    .maxEventBytes(1 << 16).build())) {
                SpoolLockedException e = assertThrows(SpoolLockedException.class, spool::openReader);
                assertTrue(e.getMessage().contains("(pid " + child.pid() + ")"), e.getMessage());
                child.kill();
                try (SpoolReader reader = spool.openReader()) {
                    assertTrue(reader.next(new SpoolRecord()), "the dead child's events are there to forward");
                }
            }
        }
    }

    @Test
    void senderPidNamesTheHolderWithoutTakingTheLockAndForgetsItWhenItIsGone() throws Exception {
        Path dir = tmp.resolve("spool");
        SpoolConfig config = SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(256L << 20)
                .maxEventBytes(1 << 16).build();
        try (Spool spool = Spool.open(config)) {
            assertTrue(spool.senderPid().isEmpty(), "no sender yet");
            try (SpoolReader reader = spool.openReader()) {
                assertEquals(ProcessHandle.current().pid(), spool.senderPid().orElseThrow());
                assertDoesNotThrow(spool::senderPid); // and asking took no lock: the reader still holds it
            }
            assertTrue(spool.senderPid().isEmpty(), "let go of");
        }
        try (ChildJvm child = ChildJvm.start(AppendingChild.class, tmp.resolve("child.err"),
                dir.toString(), "c", "100000000", "hold")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> child.lines().stream().anyMatch(l -> l.startsWith("A ")));
            try (Spool spool = Spool.open(config)) {
                assertEquals(child.pid(), spool.senderPid().orElseThrow());
                child.kill(); // SIGKILL: the pid stays in the file, its process is gone
                assertTrue(spool.senderPid().isEmpty(), "a dead holder is no sender");
            }
        }
    }
}
