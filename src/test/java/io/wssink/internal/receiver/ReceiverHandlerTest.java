package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
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
import io.wssink.internal.receiver.ReceiverStore.Stream;
import io.wssink.internal.receiver.ReceiverStore.StoreFailedException;
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.WireFormat;
import io.wssink.testing.Output;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
        return channel(config, store);
    }

    private EmbeddedChannel channel(ReceiverConfig config, ReceiverStore store) {
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

    /** The frozen clock moves one ack interval (100 ms in these tests) and the timer's tasks run. */
    private static void nextInterval(EmbeddedChannel ch) {
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    /** Opens the stream, takes records 1 and 2, and checks the resume ack 0, then the interval's ack of 2. */
    private static void ackedThroughTwo(EmbeddedChannel ch) {
        handshake(ch, STREAM);
        assertEquals("{\"ack\":\"0\"}", text(next(ch)));
        ch.writeInbound(records(1, "a", "b"));
        nextInterval(ch);
        assertEquals("{\"ack\":\"2\"}", text(next(ch)));
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
        nextInterval(ch);
        assertEquals("{\"ack\":\"3\"}", text(next(ch)));
        ch.writeInbound(records(2, "b again"), records(4, "d"));
        nextInterval(ch);
        assertEquals("{\"ack\":\"4\"}", text(next(ch)));
        assertEquals(1, store.duplicates());
        ch.finishAndReleaseAll();
        assertEquals(List.of("a", "b", "c", "d"), Output.lines(tmp.resolve("out.txt")));
    }

    /**
     * A store that loses what it took after the last ack, as the Kafka store does when a send fails: its highest id
     * goes back to what Kafka holds, here exactly the last ack, and its commits fail from then on. The sink sends
     * nothing more (it waits for the ack of what it sent): the next ack interval must still close the connection, so
     * that the sink reconnects and resends. Before, the handler committed only when the highest id had moved, and the
     * connection stayed open, the sink's records unacked, until the sink wrote again.
     */
    @Test
    void aStoreThatLostWhatCameAfterTheLastAckClosesTheConnectionAtTheNextIntervalWithoutANewFrame() {
        LosingStore losing = new LosingStore(store);
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofMillis(100)).ackOnReadComplete(false).build(),
                losing);
        ackedThroughTwo(ch);
        ch.writeInbound(records(3, "c"));
        losing.loseSinceLastAck(2);
        nextInterval(ch);
        WebSocketFrame f = next(ch);
        assertInstanceOf(CloseWebSocketFrame.class, f, "a close, not an ack nor nothing");
        assertEquals(1011, ((CloseWebSocketFrame) f).statusCode());
        f.release();
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    /** The interval's commit for bytes that did not move the highest id (above) sends no ack when nothing was lost. */
    @Test
    void anIntervalWithDuplicatesAloneSendsNoAckAndKeepsTheConnection() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofMillis(100)).ackOnReadComplete(false).build());
        ackedThroughTwo(ch);
        ch.writeInbound(records(1, "a again"));
        nextInterval(ch);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> {
            ch.runPendingTasks(); // the commit completes on the store's thread, then its action runs here
            return ch.outboundMessages().isEmpty();
        });
        assertTrue(ch.isOpen());
        assertEquals(1, store.duplicates());
        ch.finishAndReleaseAll();
    }

    /** Delegates to a real store until told to lose what came after an ack (see the test above). */
    private static final class LosingStore implements ReceiverStore {
        private final ReceiverStore real;
        private volatile long lostBackTo = -1;

        LosingStore(ReceiverStore real) {
            this.real = real;
        }

        void loseSinceLastAck(long lastAck) {
            lostBackTo = lastAck;
        }

        @Override
        public Stream stream(String id) {
            return real.stream(id);
        }

        @Override
        public Object claim(Stream stream, Object owner) {
            return real.claim(stream, owner);
        }

        @Override
        public void release(Stream stream, Object owner) {
            real.release(stream, owner);
        }

        @Override
        public long highest(Stream stream) {
            return lostBackTo >= 0 ? lostBackTo : real.highest(stream);
        }

        @Override
        public long epoch() {
            return real.epoch();
        }

        @Override
        public String acceptFrame(Stream stream, Object owner, long epoch, ByteBuf frame) throws IOException {
            return lostBackTo >= 0 ? "the store failed" : real.acceptFrame(stream, owner, epoch, frame);
        }

        @Override
        public String acceptRaw(long epoch, ByteBuf payload) throws IOException {
            return real.acceptRaw(epoch, payload);
        }

        @Override
        public CompletableFuture<Void> commit() {
            return lostBackTo >= 0
                    ? CompletableFuture.failedFuture(new StoreFailedException("lost the records after the ack", null))
                    : real.commit();
        }

        @Override
        public long records() {
            return real.records();
        }

        @Override
        public long duplicates() {
            return real.duplicates();
        }

        @Override
        public int streams() {
            return real.streams();
        }

        @Override
        public Path output() {
            return real.output();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void anAckComesAtTheEndOfEachReadBurstAndABurstEndingDuringACommitIsAckedAfterIt() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofHours(1)).ackBurstSpacing(Duration.ZERO).build());
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

    /**
     * Read-burst acks are spaced (1 ms by default, 5 ms here): bursts that end within the spacing of the last commit
     * for an ack share one ack when it is up; a burst after it is acked at once.
     */
    @Test
    void readBurstAcksAreSpacedSoOneAckCoversTheBurstsThatEndWithinTheSpacing() {
        EmbeddedChannel ch = channel(config().ackInterval(Duration.ofHours(1)).ackBurstSpacing(Duration.ofMillis(5))
                .build());
        handshake(ch, STREAM);
        assertEquals("{\"ack\":\"0\"}", text(next(ch))); // the resume ack: a commit for an ack, on the frozen clock
        ch.writeInbound(records(1, "a")); // two bursts within 5 ms of it
        ch.writeInbound(records(2, "b"));
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "no ack before the spacing is up");
        ch.advanceTimeBy(5, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("{\"ack\":\"2\"}", text(next(ch)), "one ack for both bursts (unspaced: 1, then 2)");
        ch.advanceTimeBy(5, TimeUnit.MILLISECONDS);
        ch.writeInbound(records(3, "c"));
        assertEquals("{\"ack\":\"3\"}", text(next(ch)), "the spacing is up: acked at the burst's end");
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "nothing new arrived: no further ack");
        ch.finishAndReleaseAll();
        assertEquals(List.of("a", "b", "c"), Output.lines(tmp.resolve("out.txt")));
    }

    @Test
    void aNegativeSpacingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> config().ackBurstSpacing(Duration.ofMillis(-1)));
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
