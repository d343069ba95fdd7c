package io.wssink.internal.forward;

import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The forwarder publishes after every turn; a snapshot is made only when a figure changed (it was ~3 per event). */
class StatusBoardTest {
    @Test
    void publishingUnchangedFiguresKeepsTheSnapshot() {
        StatusBoard board = new StatusBoard();
        board.state = ConnectionState.CONNECTED;
        board.mode = Mode.ACK;
        board.url = "ws://127.0.0.1:1/";
        board.connections = 1;
        board.publish();
        ForwarderStatus first = board.snapshot();
        assertEquals(ConnectionState.CONNECTED, first.state());
        board.url = new String("ws://127.0.0.1:1/"); // an equal text is no change
        board.publish();
        board.publish();
        assertSame(first, board.snapshot(), "nothing changed: the same snapshot");
    }

    @Test
    void eachChangedFigureIsPublished() {
        StatusBoard board = new StatusBoard();
        board.publish();
        ForwarderStatus before = board.snapshot();
        Runnable[] changes = {
                () -> board.state = ConnectionState.DRAINING,
                () -> board.mode = Mode.RAW,
                () -> board.rawFallback = true,
                () -> board.url = "ws://127.0.0.1:2/",
                () -> board.connections++,
                () -> board.failedAttempts++,
                () -> board.protocolErrors++,
                () -> board.lastError = "closed with 1002",
        };
        for (int i = 0; i < changes.length; i++) {
            changes[i].run();
            board.publish();
            ForwarderStatus after = board.snapshot();
            assertNotSame(before, after, "change " + i + " was not published");
            before = after;
        }
        assertEquals(new ForwarderStatus(ConnectionState.DRAINING, Mode.RAW, true, "ws://127.0.0.1:2/", 1, 1, 1,
                "closed with 1002"), board.snapshot());
    }
}
