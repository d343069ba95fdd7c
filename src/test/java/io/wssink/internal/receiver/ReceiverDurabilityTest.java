package io.wssink.internal.receiver;

import io.wssink.internal.receiver.ReceiverConfig.Fsync;
import io.wssink.testing.RawWebSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** An ack means durable (item 1), and nothing is destroyed by a mistake (item 2). */
class ReceiverDurabilityTest {
    private static final String STREAM = "6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";

    @TempDir
    Path tmp;

    /** Sends records 1..n in one frame and returns the ack that covers n (after the resume ack). */
    private static String sendAndAwaitAck(RawWebSocket ws, int n) throws IOException {
        assertEquals("{\"ack\":\"0\"}", ws.read().text(), "the resume ack");
        String[] payloads = new String[n];
        for (int i = 0; i < n; i++) {
            payloads[i] = "event-" + i;
        }
        ws.binary(HostileClientTest.records(1, payloads));
        return ws.read().text();
    }

    /**
     * The ack comes after the output and then the state were forced. The directory (the entries of the output and of
     * both state files) is forced once at start: commits write the state files in place, they create nothing.
     */
    @Test
    void anAckIsSentOnlyOnceOutputAndStateAreForcedAndTheDirectoryWasForcedAtStart() throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files);
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            List<String> atStart = new ArrayList<>(files.log);
            assertEquals(List.of("write out.txt.state", "force out.txt.state", "force " + tmp.getFileName()),
                    atStart.stream().map(l -> l.replaceAll(" \\d+$", "")).toList(),
                    "the empty state (commit 0) written and forced, then the directory holding it and the output: "
                            + atStart);
            assertEquals("{\"ack\":\"100\"}", sendAndAwaitAck(ws, 100));
            List<String> seen = new ArrayList<>(files.log); // what had happened when the ack arrived
            long bytes = 0;
            for (int i = 0; i < 100; i++) {
                bytes += ("event-" + i + "\n").length();
            }
            int output = seen.indexOf("force out.txt " + bytes);
            int state = -1;
            for (int i = 0; i < seen.size(); i++) {
                if (seen.get(i).startsWith("force out.txt.state")) {
                    state = i;
                }
            }
            assertTrue(output >= atStart.size() && output < state,
                    "output forced with all " + bytes + " bytes, then the state: " + seen);
            assertEquals(1, seen.stream().filter(l -> l.startsWith("force " + tmp.getFileName())).count(),
                    "the directory forced only at start: " + seen);
        }
    }

    /**
     * A start forces the newest state before any commit may write over the other file, which may hold the last
     * commit known to be on disk: a receiver killed between a commit's write and its force left a newest state that
     * a start reads from the page cache and that may not be on disk. Its bytes are written again first, since a force
     * that failed with EIO may have left its pages marked clean.
     */
    @Test
    void aStartMakesTheNewestStateDurableBeforeAnyCommit() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            assertEquals("{\"ack\":\"3\"}", sendAndAwaitAck(ws, 3)); // commit 0 at start, then commits into .alt
        }
        String newest = StateFile.read(StateFile.paths(tmp.resolve("out.txt.state"))).file() == 0 ? "out.txt.state"
                : "out.txt.state.alt";
        FaultyFiles files = new FaultyFiles(out);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build(), files)) {
            assertEquals(List.of("write " + newest, "force " + newest, "force " + tmp.getFileName()),
                    files.log.stream().map(l -> l.replaceAll(" \\d+$", "")).toList());
        }
    }

    @Test
    void withFsyncNeverNothingIsForcedAndAcksStillCome() throws Exception {
        Path out = tmp.resolve("out.txt");
        FaultyFiles files = new FaultyFiles(out);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).fsync(Fsync.NEVER)
                .build(), files);
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            assertEquals("{\"ack\":\"10\"}", sendAndAwaitAck(ws, 10));
            assertTrue(files.log.stream().noneMatch(l -> l.startsWith("force")), files.log.toString());
        }
    }

    @Test
    void anExistingOutputWithoutStateIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.writeString(tmp.resolve("precious.txt"), "a line someone else wrote\n");
        IOException e = assertThrows(IOException.class, () -> ReferenceReceiver.start(ReceiverConfig.builder(out).build()));
        assertTrue(e.getMessage().contains("exists but precious.txt.state does not"), e.getMessage());
        assertEquals("a line someone else wrote\n", Files.readString(out));
        assertFalse(Files.exists(tmp.resolve("precious.txt.state")));
    }

    @Test
    void anOutputShorterThanItsStateSaysIsRefused() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            sendAndAwaitAck(ws, 10);
        }
        Files.writeString(out, "event-0\n"); // someone cut acknowledged events off
        IOException e = assertThrows(IOException.class, () -> ReferenceReceiver.start(ReceiverConfig.builder(out).build()));
        assertTrue(e.getMessage().contains("acknowledged events are missing"), e.getMessage());
        assertEquals("event-0\n", Files.readString(out));
    }

    @Test
    void outputAndStateAreCreatedOwnerOnlyAndNeverThroughASymlink() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            sendAndAwaitAck(ws, 1);
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        for (String state : List.of("out.txt.state", "out.txt.state.alt")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve(state))),
                    state);
        }

        Path victim = Files.writeString(tmp.resolve("victim"), "not the receiver's\n");
        Path linked = Files.createSymbolicLink(tmp.resolve("linked.txt"), victim);
        IOException e = assertThrows(IOException.class,
                () -> ReferenceReceiver.start(ReceiverConfig.builder(linked).build()));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());

        // a link planted where the state's second file goes is refused, not followed
        Files.createSymbolicLink(tmp.resolve("alt.txt.state.alt"), victim);
        e = assertThrows(IOException.class,
                () -> ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("alt.txt")).build()));
        assertTrue(e.getMessage().contains("alt.txt.state.alt is a symbolic link"), e.getMessage());

        // a link planted where an earlier version's temp file went is removed, not followed
        Path other = tmp.resolve("other.txt");
        Files.createSymbolicLink(tmp.resolve("other.txt.state.tmp"), victim);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(other).build());
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            assertEquals("{\"ack\":\"1\"}", sendAndAwaitAck(ws, 1));
        }
        assertEquals("not the receiver's\n", Files.readString(victim));
        assertEquals("event-0\n", Files.readString(other));
    }

    @Test
    void aSecondReceiverOnTheSameOutputIsRefused() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver first = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            FaultyFiles second = new FaultyFiles(out);
            IOException e = assertThrows(IOException.class,
                    () -> ReferenceReceiver.start(ReceiverConfig.builder(out).build(), second));
            assertTrue(e.getMessage().contains("another receiver writes"), e.getMessage());
            // a start writes the newest state again: the refused one must not, under the running one's commits
            assertEquals(List.of(), second.log, "the refused receiver wrote or forced nothing");
        }
    }

    /**
     * A power cut while the very first start wrote its empty state can leave both state files without a whole state;
     * with the output missing (not made yet) or empty, nothing acknowledged depends on them and the receiver starts
     * afresh. With an output that holds something it refuses, as for any state it cannot read.
     */
    @Test
    void stateFilesWithNoWholeStateStartAfreshOnlyWhenTheOutputIsEmptyOrMissing() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path state = tmp.resolve("out.txt.state");
        Path alt = tmp.resolve("out.txt.state.alt");
        String torn = "#wssink-state length=90 crc32c=00000000\n#torn";
        Files.writeString(state, torn);
        Files.createFile(alt);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            assertTrue(Files.exists(out), "started over a missing output");
        }
        Files.writeString(state, torn);
        Files.writeString(alt, torn);
        assertEquals(0, Files.size(out));
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(STREAM))) {
            assertEquals("{\"ack\":\"2\"}", sendAndAwaitAck(ws, 2), "started over an empty output");
        }
        Files.writeString(state, torn);
        Files.writeString(alt, torn);
        IOException e = assertThrows(IOException.class,
                () -> ReferenceReceiver.start(ReceiverConfig.builder(out).build()));
        assertTrue(e.getMessage().contains("hold no whole state"), e.getMessage());
        assertEquals("event-0\nevent-1\n", Files.readString(out), "nothing changed");
    }

    @Test
    void theStateExistsBeforeAnyOutputSoAKillBeforeTheFirstCommitStillRestarts() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            assertTrue(Files.exists(tmp.resolve("out.txt.state")), "the state is written at start");
            // what a kill between the first write of the output and the first state leaves: bytes never committed
            Files.writeString(out, "never acked\n", StandardOpenOption.APPEND);
        }
        try (ReferenceReceiver restarted = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            assertEquals(0, Files.size(out), "the uncommitted bytes were cut");
        }
    }
}
