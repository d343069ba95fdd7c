package io.wssink.internal.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.Mode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client's wssink.v1 handler on an EmbeddedChannel: what each frame from the receiver turns into. */
class ClientHandlerTest {
    private final RecordingEvents events = new RecordingEvents();
    private final Connection connection = new Connection(true, events, 64 << 10);

    private EmbeddedChannel open(Mode mode) {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientHandler(connection, TransportConfig.builder()
                .url("ws://127.0.0.1:1/").build()));
        connection.channel = ch;
        connection.mode = mode; // what the handshake would have decided
        return ch;
    }

    @Test
    void anAckIsReportedAsAnAck() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":\"18446744073709551615\"}"));
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":7}"));
        assertEquals(2, events.acks.size());
        assertEquals(-1L, events.acks.get(0), "2^64-1, unsigned");
        assertEquals(7L, events.acks.get(1));
        assertTrue(events.messages.isEmpty());
        assertTrue(ch.isActive());
    }

    @Test
    void otherTextAndBinaryFramesAreMessages() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":\"5\",\"note\":\"not only an ack\"}"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        assertTrue(events.acks.isEmpty());
        assertEquals(2, events.messages.size());
        assertTrue(events.messages.get(0).isText());
        assertEquals("{\"ack\":\"5\",\"note\":\"not only an ack\"}", events.messages.get(0).text());
        assertFalse(events.messages.get(1).isText());
        assertArrayEquals(new byte[] {1, 2, 3}, events.messages.get(1).data());
    }

    @Test
    void inRawModeEvenAnAckShapedTextIsAMessage() {
        EmbeddedChannel ch = open(Mode.RAW);
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":\"5\"}"));
        assertTrue(events.acks.isEmpty());
        assertEquals("{\"ack\":\"5\"}", new String(events.messages.get(0).data(), StandardCharsets.UTF_8));
    }

    @Test
    void aMalformedAckClosesWith1002AsAProtocolError() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.writeInbound(new TextWebSocketFrame("{\"ack\":\"-3\"}"));
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        assertEquals(1002, close.statusCode());
        close.release();
        assertTrue(events.acks.isEmpty());
        ch.close();
        assertEquals(1, events.closedCount);
        assertEquals(Failure.Kind.PROTOCOL_ERROR, events.closed.get(0).kind());
        assertTrue(events.closed.get(0).text().contains("not an unsigned decimal"), events.closed.get(0).text());
    }

    @Test
    void anOversizedMessageClosesWith1009() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.pipeline().fireExceptionCaught(new TooLongFrameException("frame too big"));
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        assertEquals(1009, close.statusCode());
        close.release();
        ch.close();
        assertEquals(Failure.Kind.MESSAGE_TOO_BIG, events.closed.get(0).kind());
        assertEquals(1009, events.closed.get(0).code());
    }

    @Test
    void theReceiversCloseIsEchoedAndReportedOnce() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.writeInbound(new CloseWebSocketFrame(1001, "going away"));
        CloseWebSocketFrame echo = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        assertEquals(1001, echo.statusCode());
        echo.release();
        assertFalse(ch.isActive(), "closed once the echo is written");
        assertEquals(1, events.closedCount);
        Failure f = events.closed.get(0);
        assertEquals(Failure.Kind.CLOSED_BY_RECEIVER, f.kind());
        assertEquals(1001, f.code());
        assertEquals("the receiver closed the connection: 1001 going away", f.text());
    }

    @Test
    void aCloseReasonCannotForgeLogLines() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.writeInbound(new CloseWebSocketFrame(1011, "oops\n12:00:00 INFO all good"));
        ReferenceCountUtil.release(ch.readOutbound());
        assertEquals("the receiver closed the connection: 1011 oops?12:00:00 INFO all good",
                events.closed.get(0).text());
    }

    @Test
    void aDropWithoutCloseFrameIsReportedAsDropped() {
        EmbeddedChannel ch = open(Mode.ACK);
        ch.close();
        assertEquals(1, events.closedCount);
        assertEquals(Failure.Kind.DROPPED, events.closed.get(0).kind());
        assertNull(ch.readOutbound());
    }

    @Test
    void anOrderlyCloseFromThisSideIsNoFailure() {
        EmbeddedChannel ch = open(Mode.ACK);
        connection.close(1000, "sink closing");
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        assertEquals(1000, close.statusCode());
        close.release();
        assertFalse(ch.isActive());
        assertEquals(1, events.closedCount);
        assertNull(events.closed.get(0), "no failure: the next attempt goes to the first URL without backoff");
    }
}
