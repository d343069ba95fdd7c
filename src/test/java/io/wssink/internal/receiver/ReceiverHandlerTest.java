package io.wssink.internal.receiver;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleStateHandler;
import io.wssink.internal.receiver.ReceiverConfig.Fsync;
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.WireFormat;
import io.wssink.testing.Output;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ReceiverHandler} on Netty's EmbeddedChannel, as Netty tests its own handlers: the frames it is given and the
 * frames it writes, with a real store on a temp dir and the channel's own clock for timers.
 */
class ReceiverHandlerTest {
    private static final String STREAM = "6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";

    @TempDir
    Path tmp;
    private FileReceiverStore store;
    private final AtomicInteger replaced = new AtomicInteger();
    private final ReceiverHandler.Connections connections = new ReceiverHandler.Connections() {
        @Override
        public void connected(Channel channel) {
        }

        @Override
        public void replaced() {
            replaced.incrementAndGet();
        }

        @Override
        public void rawReceived() {
        }

        @Override
        public void gapNotice(String stream, GapNotice notice) {
        }
    };

    @BeforeEach
    void open() throws Exception {
        store = new FileReceiverStore(tmp.resolve("out.txt"), OutputFormat.LINES, Fsync.ALWAYS, 1024,
                Duration.ofDays(30), System::currentTimeMillis, FileOpener.REAL);
    }

    @AfterEach
    void close() throws Exception {
        store.close();
    }

    private ReceiverConfig.Builder config() {
        return ReceiverConfig.builder(tmp.resolve("out.txt"));
    }

    private EmbeddedChannel channel(ReceiverConfig config) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(new ReceiverHandler(store, config, connections));
        return ch;
    }

    private static void handshake(EmbeddedChannel ch, String stream) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (stream != null) {
            headers.set(WireFormat.STREAM_HEADER, stream);
        }
        ch.pipeline().fireUserEventTriggered(new HandshakeComplete("/", headers, WireFormat.SUBPROTOCOL));
    }

    /** The next frame the handler writes, running its tasks (commits complete on the store's thread) meanwhile. */
    private static WebSocketFrame next(EmbeddedChannel ch) {
        Object[] got = new Object[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ch.runPendingTasks();
            got[0] = ch.readOutbound();
            return got[0] != null;
        });
        return (WebSocketFrame) got[0];
    }

    private static BinaryWebSocketFrame records(long firstId, String... payloads) {
        return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(HostileClientTest.records(firstId, payloads)));
    }

    private static String text(WebSocketFrame f) {
        assertInstanceOf(TextWebSocketFrame.class, f, "an ack");
        String s = ((TextWebSocketFrame) f).text();
        f.release();
        return s;
    }

    @Test
    void theResumeAckComesFirstThenAnAckEveryIntervalCoveringOnlyCommittedRecords() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofMillis(100)).ackOnReadComplete(false).build());
        handshake(ch, STREAM);
        assertEquals("{\"ack\":\"0\"}", text(next(ch)));
        ch.writeInbound(records(1, "a", "b"), records(3, "c"));
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "no ack before the interval");
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("{\"ack\":\"3\"}", text(next(ch)));
        ch.writeInbound(records(2, "b again"), records(4, "d"));
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("{\"ack\":\"4\"}", text(next(ch)));
        assertEquals(1, store.duplicates());
        ch.finishAndReleaseAll();
        assertEquals(List.of("a", "b", "c", "d"), Output.lines(tmp.resolve("out.txt")));
    }

    @Test
    void anAckComesAtTheEndOfEachReadBurstAndABurstEndingDuringACommitIsAckedAfterIt() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofHours(1)).build());
        handshake(ch, STREAM);
        assertEquals("{\"ack\":\"0\"}", text(next(ch)));
        ch.writeInbound(records(1, "a", "b"), records(3, "c")); // one burst: reads, then read-complete
        // the commit for the first burst completes on the store's thread, but its callback waits on this event loop
        // until runPendingTasks: a second burst ends while it is still in progress
        ch.writeInbound(records(4, "d"));
        assertEquals("{\"ack\":\"3\"}", text(next(ch)));
        assertEquals("{\"ack\":\"4\"}", text(next(ch)));
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "nothing new arrived: no further ack");
        ch.finishAndReleaseAll();
        assertEquals(List.of("a", "b", "c", "d"), Output.lines(tmp.resolve("out.txt")));
    }

    @Test
    void anAckComesOnceAckBytesArrivedWithoutWaitingForTheInterval() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofHours(1)).ackBytes(1024).ackOnReadComplete(false)
                .build());
        handshake(ch, STREAM);
        assertEquals("{\"ack\":\"0\"}", text(next(ch)));
        ch.writeInbound(records(1, "x".repeat(1100)));
        assertEquals("{\"ack\":\"1\"}", text(next(ch)));
        ch.finishAndReleaseAll();
    }

    @Test
    void aMalformedFrameClosesWith1007AndWritesNothing() {
        EmbeddedChannel ch = channel(config().build());
        handshake(ch, STREAM);
        text(next(ch));
        byte[] frame = HostileClientTest.records(1, "whole", "cut");
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame, 0, frame.length - 1)));
        CloseWebSocketFrame close = (CloseWebSocketFrame) next(ch);
        assertEquals(1007, close.statusCode());
        assertTrue(close.reasonText().contains("runs past the frame's end"), close.reasonText());
        close.release();
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "closed after the close frame");
        assertEquals(0, store.records());
    }

    @Test
    void aCloseFrameIsEchoedWithItsStatusAndTheChannelCloses() {
        EmbeddedChannel ch = channel(config().build());
        handshake(ch, STREAM);
        text(next(ch));
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        CloseWebSocketFrame echo = (CloseWebSocketFrame) next(ch);
        assertEquals(1000, echo.statusCode());
        echo.release();
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() {
        EmbeddedChannel ch = channel(config().idleTimeout(Duration.ofSeconds(60)).build());
        handshake(ch, STREAM);
        text(next(ch));
        ch.advanceTimeBy(59, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "open before the timeout");
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "closed after 60 s without a read");
    }

    @Test
    void withoutAHandshakeWithinTheDeadlineTheConnectionIsClosed() {
        EmbeddedChannel ch = channel(config().handshakeTimeout(Duration.ofSeconds(10))
                .idleTimeout(Duration.ofHours(1)).build());
        ch.advanceTimeBy(11, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void aStreamIdThatIsNoUuidIsRefusedWith1008() {
        EmbeddedChannel ch = channel(config().build());
        handshake(ch, "not-a-uuid");
        CloseWebSocketFrame close = (CloseWebSocketFrame) next(ch);
        assertEquals(1008, close.statusCode());
        assertTrue(close.reasonText().contains("UUID"));
        close.release();
    }

    @Test
    void aSecondConnectionForAStreamReplacesTheFirstWhoseFramesAreThenRefused() throws Exception {
        EmbeddedChannel first = channel(config().build());
        handshake(first, STREAM);
        text(next(first));
        EmbeddedChannel second = channel(config().build());
        handshake(second, STREAM);
        text(next(second));
        CloseWebSocketFrame close = (CloseWebSocketFrame) next(first);
        assertEquals(1008, close.statusCode());
        assertTrue(close.reasonText().contains("replaced"));
        close.release();
        assertEquals(1, replaced.get());
        first.runPendingTasks();
        assertFalse(first.isOpen(), "the replaced connection is closed");
        BinaryWebSocketFrame late = records(1, "late");
        assertSame(ReceiverStore.REPLACED, store.acceptFrame(store.stream(STREAM), new Object(), store.epoch(),
                late.content()), "and a frame of a connection that no longer owns the stream would be refused");
        late.release();
        assertEquals(0, store.records());
        second.writeInbound(records(1, "new"));
        assertEquals(1, store.records());
        second.finishAndReleaseAll();
        first.finishAndReleaseAll();
    }
}
