package io.wssink.internal.receiver.console;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.protocol.WireFormat;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The per-stream view: a tail bounded in count and bytes, duplicates ignored, events per second, the queue. */
class StreamViewTest {
    private static ByteBuf payload(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theTailKeepsTheLatestEventsEachCutToAPreviewAndSaysWhatItMissed() {
        StreamView v = new StreamView("s", 0);
        byte[] big = new byte[StreamView.PREVIEW_BYTES * 3];
        Arrays.fill(big, (byte) 'x');
        int n = StreamView.TAIL_EVENTS * 3;
        for (int i = 1; i <= n; i++) {
            v.record(i, i == n ? Unpooled.wrappedBuffer(big) : payload("e" + i), 1_000);
        }
        StreamView.Tail all = v.tail(0, StreamView.TAIL_EVENTS);
        assertEquals(StreamView.TAIL_EVENTS, all.events().size(), "bounded in count");
        assertTrue(all.gap(), "events after 0 were pushed out");
        assertEquals(n - StreamView.TAIL_EVENTS + 1, all.events().get(0).id(), "the oldest kept, first");
        StreamView.Event last = all.events().get(all.events().size() - 1);
        assertEquals(n, last.id());
        assertEquals(big.length, last.size(), "the event's size is its own");
        assertEquals(StreamView.PREVIEW_BYTES, last.preview().length, "only a preview is kept");
        long kept = all.events().stream().mapToLong(e -> e.preview().length).sum();
        assertTrue(kept <= (long) StreamView.TAIL_EVENTS * StreamView.PREVIEW_BYTES, "bounded in bytes");

        StreamView.Tail recent = v.tail(n - 3, 2);
        assertEquals(List.of((long) n - 2, (long) n - 1), recent.events().stream().map(StreamView.Event::id).toList());
        assertTrue(recent.more());
        assertFalse(recent.gap());
        assertEquals(n, v.summary().events());
    }

    @Test
    void aResentRecordIsNotCountedTwiceNorOneTheStoreAlreadyHeld() {
        StreamView v = new StreamView("s", 0);
        v.connected(null, 10); // the store holds up to 10: the sink resends from its last ack
        v.record(9, payload("old"), 5);
        v.record(10, payload("old"), 5);
        v.record(11, payload("new"), 5);
        v.record(11, payload("again"), 5);
        assertEquals(1, v.summary().events());
        assertEquals(11, v.summary().lastId());
        assertEquals(1, v.tail(0, 10).events().size());
    }

    @Test
    void aFrameOfRecordsIsWalkedInPlace() {
        ByteBuf frame = Unpooled.buffer();
        byte[] one = "one".getBytes(StandardCharsets.UTF_8);
        byte[] two = new byte[StreamView.PREVIEW_BYTES + 10];
        Arrays.fill(two, (byte) 'y');
        WireFormat.writeRecord(frame, 7, one, 0, one.length);
        WireFormat.writeRecord(frame, 8, two, 0, two.length);
        StreamView v = new StreamView("s", 0);
        v.frame(frame, 42);
        List<StreamView.Event> events = v.tail(0, 10).events();
        assertEquals(2, events.size());
        assertEquals(7, events.get(0).id());
        assertArrayEquals(one, events.get(0).preview());
        assertEquals(8, events.get(1).id());
        assertEquals(two.length, events.get(1).size());
        assertEquals(StreamView.PREVIEW_BYTES, events.get(1).preview().length);
        assertEquals(42, events.get(1).timeMillis());
        assertEquals(0, frame.readerIndex(), "the frame is left as the store left it");
        frame.release();
    }

    @Test
    void eventsPerSecondCoverTheLastMinute() {
        StreamView v = new StreamView("s", 0);
        for (int i = 1; i <= 5; i++) {
            v.record(i, payload("a"), 100_000); // second 100
        }
        v.record(6, payload("b"), 102_500); // second 102
        long[] r = v.rates(103_000);
        assertEquals(StreamView.RATE_SECONDS, r.length);
        assertEquals(1, r[StreamView.RATE_SECONDS - 1], "second 102, the last whole one before 103");
        assertEquals(0, r[StreamView.RATE_SECONDS - 2]);
        assertEquals(5, r[StreamView.RATE_SECONDS - 3]);
        assertEquals(0, Arrays.stream(v.rates(200_000)).sum(), "a minute later nothing is left");
    }

    @Test
    void messagesWaitForAConnectionAndOneWhoseWriteFailedGoesBackInOrder() {
        StreamView v = new StreamView("s", 0);
        v.post(true, "a".getBytes(StandardCharsets.UTF_8), 1);
        v.post(true, "b".getBytes(StandardCharsets.UTF_8), 1);
        assertEquals(2, v.summary().queued());
        EmbeddedChannel ch = new EmbeddedChannel();
        v.connected(ch, 0);
        assertEquals("a", ((TextWebSocketFrame) ch.readOutbound()).text());
        assertEquals("b", ((TextWebSocketFrame) ch.readOutbound()).text());
        assertEquals(0, v.summary().queued());
        assertEquals(2, v.summary().written());

        ch.close();
        v.disconnected(ch);
        StreamView.Message c = v.post(true, "c".getBytes(StandardCharsets.UTF_8), 2);
        assertEquals("queued", c.state);
        assertEquals(0, v.position(c));
        EmbeddedChannel dead = new EmbeddedChannel();
        dead.close();
        v.connected(dead, 0); // a connection that is already gone takes nothing
        assertEquals(1, v.summary().queued());
        EmbeddedChannel next = new EmbeddedChannel();
        v.connected(next, 0);
        assertEquals("c", ((TextWebSocketFrame) next.readOutbound()).text());
        assertNull(next.readOutbound(), "a and b, once written, are not sent again");
    }
}
