package io.wssink.internal.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.Mode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pings on a fixed interval whatever is sent, and a ping that nothing answers closes the link (EmbeddedChannel time). */
class HeartbeatTest {
    private final RecordingEvents events = new RecordingEvents();
    private final Connection connection = new Connection(true, events, 64 << 10);
    private final EmbeddedChannel ch = new EmbeddedChannel();

    HeartbeatTest() {
        connection.channel = ch;
        connection.mode = Mode.RAW;
        ch.freezeTime();
        ch.pipeline().addLast(new Heartbeat(connection, TransportConfig.builder().url("ws://127.0.0.1:1/")
                .ping(Duration.ofSeconds(1), Duration.ofMillis(500)).build()));
        ch.pipeline().addLast(new ClientHandler(connection, TransportConfig.builder().url("ws://127.0.0.1:1/").build()));
    }

    private int pingsOut() {
        int pings = 0;
        for (Object o; (o = ch.readOutbound()) != null; ) {
            if (o instanceof PingWebSocketFrame) {
                pings++;
            }
            ReferenceCountUtil.release(o);
        }
        return pings;
    }

    private void advance(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void pingsGoOutEveryIntervalWhileDataIsSentAndAnswersKeepTheLinkUp() {
        for (int second = 1; second <= 5; second++) {
            for (int i = 0; i < 10; i++) { // steady traffic this way, as raw mode sends it
                ch.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) i})));
                advance(100);
                if (i == 2) {
                    ch.writeInbound(new PongWebSocketFrame()); // 300 ms after the last second's ping: answered
                }
            }
            assertTrue(ch.isActive(), "second " + second);
        }
        assertEquals(5, pingsOut(), "one ping a second, whatever was sent");
        assertEquals(0, events.closedCount);
    }

    @Test
    void aPingThatNothingFollowsClosesTheLinkAsSilent() {
        advance(1000);
        assertEquals(1, pingsOut());
        advance(499);
        assertTrue(ch.isActive());
        advance(1);
        assertFalse(ch.isActive());
        assertEquals(1, events.closedCount);
        assertEquals(Failure.Kind.SILENT, events.closed.get(0).kind());
        assertTrue(events.closed.get(0).text().contains("half-open"), events.closed.get(0).text());
    }

    @Test
    void whileThisSidePausedReadingNoPingCanBeAnsweredAndNoneClosesTheLink() {
        connection.pauseReading(); // a slow message listener
        advance(5_000);
        assertTrue(ch.isActive());
        connection.resumeReading();
        advance(1_000);
        assertTrue(ch.isActive(), "pings sent while paused are not held against the peer");
        advance(500);
        assertFalse(ch.isActive(), "a ping after reading resumed must be answered");
    }

    @Test
    void anyFrameReadAnswersAPingAndReachesTheHandler() {
        connection.mode = Mode.ACK;
        advance(1000);
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":\"3\"}"));
        advance(600);
        assertTrue(ch.isActive(), "an ack after the ping is an answer");
        assertEquals(1, events.acks.size());
        assertInstanceOf(Long.class, events.acks.get(0));
    }
}
