package io.wssink.internal.receiver.console;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** What the console holds in all: queued message bytes across streams, streams remembered, the shared stream list. */
class ConsoleLimitsTest {
    private static final int M = Console.MAX_MESSAGE_BYTES;

    /** A stream that connected once and is gone: its messages wait in its queue. */
    private static String gone(Console console) {
        String id = UUID.randomUUID().toString();
        EmbeddedChannel ch = new EmbeddedChannel();
        console.connected(id, ch, 0);
        ch.close();
        console.disconnected(id, ch);
        return id;
    }

    private static FullHttpResponse post(Console console, String stream, byte[] body) {
        EmbeddedChannel ch = new EmbeddedChannel(console.newHttpHandler());
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/api/streams/" + stream + "/messages", Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, "127.0.0.1:1").set(HttpHeaderNames.CONTENT_TYPE,
                "application/octet-stream");
        ch.writeInbound(req);
        return ch.readOutbound();
    }

    @Test
    void theReceiverWideCapOnQueuedBytesRefusesAPostWithRoomInItsOwnStreamQueueAndCountsItDropped() {
        Console console = new Console(null, Set.of(), 10, 3L * M);
        String a = gone(console);
        String b = gone(console);
        assertEquals("queued", console.post(a, false, new byte[M]).state());
        assertEquals("queued", console.post(a, false, new byte[M]).state());
        assertEquals("queued", console.post(b, false, new byte[M]).state());
        assertEquals(3L * M, console.queuedBytes());

        FullHttpResponse refused = post(console, b, new byte[M]); // b's own queue holds 8 KiB of its 1 MiB
        String body = refused.content().toString(StandardCharsets.UTF_8);
        assertEquals(503, refused.status().code(), body);
        assertTrue(body.contains("\"state\":\"dropped\""), body);
        assertTrue(body.contains("the receiver's queues are (" + 3L * M + " bytes in all)"), body);
        refused.release();
        assertEquals(1, console.stream(b).summary().dropped(), "counted as dropped");
        assertEquals(1, console.stream(b).summary().queued());
        assertEquals(3L * M, console.queuedBytes(), "nothing taken for the refused one");

        EmbeddedChannel back = new EmbeddedChannel(); // a's sender connects again: its two messages leave
        console.connected(a, back, 0);
        for (int i = 0; i < 2; i++) {
            WebSocketFrame f = back.readOutbound();
            assertEquals(M, f.content().readableBytes());
            f.release();
        }
        assertEquals((long) M, console.queuedBytes(), "written messages give their bytes back");
        FullHttpResponse taken = post(console, b, new byte[M]);
        assertEquals(202, taken.status().code(), taken.content().toString(StandardCharsets.UTF_8));
        taken.release();
        assertEquals(2, console.stream(b).summary().queued());
    }

    @Test
    void atMaxStreamsAnIdleStreamIsForgottenButOneWithQueuedMessagesIsKeptAndANewStreamIsThenNotTracked() {
        Console console = new Console(null, Set.of(), 2);
        String queued = gone(console);
        String idle = gone(console);
        assertEquals("queued", console.post(queued, true, "wait for me".getBytes(StandardCharsets.UTF_8)).state());

        String third = UUID.randomUUID().toString();
        EmbeddedChannel thirdCh = new EmbeddedChannel();
        console.connected(third, thirdCh, 0);
        assertEquals(Set.of(queued, third), Set.copyOf(console.streamIds()), "the idle one made room");

        String fourth = UUID.randomUUID().toString();
        console.connected(fourth, new EmbeddedChannel(), 0); // one connected, one with a queue: no room
        assertEquals(2, console.streamIds().size(), "the map stays at maxStreams");
        assertFalse(console.streamIds().contains(fourth), "the new stream is not tracked");
        assertNull(console.post(fourth, true, new byte[1]), "a post to it is refused as for an unknown stream");
        assertEquals(1, console.stream(queued).summary().queued(), "the queued message is kept");

        thirdCh.close();
        console.disconnected(third, thirdCh);
        console.connected(fourth, new EmbeddedChannel(), 0); // its next connection, once there is room
        assertEquals(Set.of(queued, fourth), Set.copyOf(console.streamIds()));
    }

    @Test
    void theStreamListIsBuiltOncePerTickForEveryFeed() {
        Console console = new Console(null, Set.of(), 10);
        gone(console);
        long now = 1_000_000;
        List<Console.Listed> first = console.listed(now);
        assertEquals(1, first.size());
        assertSame(first, console.listed(now + ConsoleHttpHandler.TICK_MILLIS - 1), "shared within a tick");
        gone(console);
        List<Console.Listed> next = console.listed(now + ConsoleHttpHandler.TICK_MILLIS);
        assertNotSame(first, next, "built again a tick later");
        assertEquals(2, next.size());
    }
}
