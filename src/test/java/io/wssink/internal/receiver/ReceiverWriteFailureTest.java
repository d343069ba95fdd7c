package io.wssink.internal.receiver;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.FaultyFiles.Fault;
import io.wssink.testing.CapturedStderr;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A failed write or fsync closes the connection without acking, keeps the store consistent and is logged once; the
 * sink resends, and once the disk works again the output holds every event once.
 */
class ReceiverWriteFailureTest {
    @TempDir
    Path tmp;

    private static long errorLines(String logs) {
        return logs.lines().filter(l -> l.contains("ERROR FileReceiverStore")).count();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"NONE", "DIRECTORY_FORCE"}, mode = EnumSource.Mode.EXCLUDE)
    void aFailureAnywhereInACommitIsNeverAckedAndLosesNothing(Fault fault) throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        String logs;
        try (CapturedStderr err = new CapturedStderr();
             ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files);
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long last = 0;
            for (int i = 0; i < 50; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(30, TimeUnit.SECONDS);
            long ackedBefore = last;

            files.arm(fault);
            for (int i = 50; i < 100; i++) {
                last = sink.write("event-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 3
                    || (sink.status().lastError() != null && sink.status().lastError().contains("1011")));
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.store().records() > 50);
            assertEquals(ackedBefore, sink.status().spool().ackedId(), "nothing acked while the disk fails");
            assertTrue(sink.status().lastError().contains("1011"), sink.status().lastError());

            files.arm(Fault.NONE);
            sink.acked(last).get(30, TimeUnit.SECONDS);
            logs = err.text();
        }
        assertEquals(1, errorLines(logs), "logged once at ERROR:\n" + logs);
        Output.assertExactly(out, "event-", 100);
        // and the state agrees with the output: a restart takes nothing twice and cuts nothing acknowledged
        try (ReferenceReceiver again = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            assertEquals(0, again.store().records());
        }
        Output.assertExactly(out, "event-", 100);
    }

    /**
     * A commit whose state file could not be forced may still have its state whole in that file, and a start would
     * read it: the store rolls back to that commit, not below it, so the output never holds less than that state says.
     * Stopped while the fault lasts and started on a working disk, the receiver starts, and what the sink resends is
     * taken once. (Rolled back below it, the start refused: "acknowledged events are missing".)
     */
    @Test
    void aFailedStateForceRollsBackToThatCommitSoARestartFindsTheOutputWhole() throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        Path spool = tmp.resolve("spool");
        long last = 0;
        try (CapturedStderr err = new CapturedStderr()) {
            try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files);
                 WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(spool)
                         .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
                sink.acked(sink.write("event-0")).get(30, TimeUnit.SECONDS);
                files.arm(Fault.STATE_FORCE);
                for (int i = 1; i < 50; i++) {
                    last = sink.write("event-" + i);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().lastError() != null
                        && sink.status().lastError().contains("1011"));
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.store().records() >= 50);
            } // closed with the fault still armed: its last commit fails too
            assertTrue(err.text().contains("STATE_FORCE"), err.text());
        }
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(spool).build()) {
            sink.acked(last).get(30, TimeUnit.SECONDS);
        }
        Output.assertExactly(out, "event-", 50);
    }

    /**
     * Commits create no file, so the directory is forced once, at start (the output's entry and both state files'):
     * when that fails, the receiver does not start, says what to do, and a start on a working disk takes it from there.
     */
    @Test
    void aDirectoryThatCannotBeForcedAtStartIsAClearErrorAndTheNextStartWorks() throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        files.arm(Fault.DIRECTORY_FORCE);
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files));
        assertTrue(e.getMessage().startsWith("cannot force the directory of " + out.toAbsolutePath()),
                e.getMessage());
        assertTrue(e.getMessage().contains("Check the disk, then start again"), e.getMessage());
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
            sink.acked(sink.write("event-0")).get(30, TimeUnit.SECONDS);
        }
        Output.assertExactly(out, "event-", 1);
    }

    /**
     * A record whose write fails is not received: the receiver's meters count it once, when the resent copy is
     * written. (A record bigger than the store's 256 KiB buffer is written at once, so its own write is the one that
     * fails.) Before the fix it was counted before the write, once per failed attempt too.
     */
    @Test
    void aRecordWhoseWriteFailedIsCountedOnceInTheReceiversMeters() throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        String big = "big-" + "x".repeat(300_000);
        try (CapturedStderr err = new CapturedStderr();
             ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files);
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .maxEventBytes(1 << 20).backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            sink.acked(sink.write("small")).get(30, TimeUnit.SECONDS);
            files.arm(Fault.OUTPUT_WRITE);
            long last = sink.write(big);
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            files.arm(Fault.NONE);
            sink.acked(last).get(30, TimeUnit.SECONDS);
            assertEquals(2, receiver.meters().recordsReceived(), "each record once, the failed writes not at all");
            assertEquals("small".length() + big.length(), receiver.meters().bytesReceived());
        }
        assertEquals(List.of("small", big), Output.lines(out));
    }

    @Test
    void aFullDiskClosesConnectionsWithoutAckingAndTheRestArrivesOnceThereIsRoom() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to mount a small tmpfs (the disk that fills up)");
        Path disk = Files.createDirectories(tmp.resolve("disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes());
        Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a tmpfs: " + said);
        try {
            Path filler = disk.resolve("filler");
            Files.write(filler, new byte[700 << 10]);
            Path out = disk.resolve("out.txt");
            String pad = "x".repeat(2000);
            String logs;
            try (CapturedStderr err = new CapturedStderr();
                 ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
                 WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                         .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
                long last = 0;
                for (int i = 0; i < 300; i++) { // 600 KB: more than the 300 KB left
                    last = sink.write("event-" + i + " " + pad);
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> sink.status().lastError() != null
                        && sink.status().lastError().contains("1011"));
                assertTrue(sink.status().spool().backlogEvents() > 0, "not all acked: the disk is full");
                Files.delete(filler);
                sink.acked(last).get(60, TimeUnit.SECONDS);
                logs = err.text();
            }
            assertEquals(1, errorLines(logs), "logged once at ERROR:\n" + logs);
            List<String> lines = Output.lines(out);
            assertEquals(300, lines.size());
            for (int i = 0; i < 300; i++) {
                assertEquals("event-" + i + " " + pad, lines.get(i), "line " + i);
            }
        } finally {
            new ProcessBuilder("umount", "-l", disk.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
