package io.wssink.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records into frames, on an EmbeddedChannel: whole records per binary frame in ack mode, one frame each in raw. */
class FramePackerTest {
    private static final int MAX_FRAME = 1024;
    private final RecordingEvents events = new RecordingEvents();
    private final Connection connection = new Connection(true, events, MAX_FRAME);
    private final EmbeddedChannel ch = new EmbeddedChannel();

    FramePackerTest() {
        connection.channel = ch;
    }

    private static byte[] payload(int n, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (n + i);
        }
        return b;
    }

    @Test
    void ackModePacksWholeRecordsUpToTheFrameLimit() {
        connection.mode = Mode.ACK;
        FramePacker packer = connection.packer();
        int length = 100; // 112 bytes a record: 9 fit in 1024
        List<Long> packed = new ArrayList<>();
        for (long id = 1; id <= 20; id++) {
            byte[] p = payload((int) id, length);
            if (!packer.pack(id, false, p, 0, length)) {
                assertTrue(packer.pack(id, false, p, 0, length), "a fresh frame takes the record");
            }
            packed.add(id);
        }
        assertEquals(2, packer.framesSent(), "two full frames went out before the batch ended");
        assertNull(ch.readOutbound(), "nothing is flushed before finish()");
        packer.finish();
        assertEquals(0, packer.framesSent());

        List<Long> ids = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            BinaryWebSocketFrame frame = assertInstanceOf(BinaryWebSocketFrame.class, o);
            assertTrue(frame.content().readableBytes() <= MAX_FRAME, "frame of " + frame.content().readableBytes());
            String malformed = WireFormat.readRecords(frame.content(), (id, p) -> {
                ids.add(id);
                byte[] got = new byte[p.readableBytes()];
                p.getBytes(p.readerIndex(), got);
                assertArrayEquals(payload((int) id, length), got, "payload of " + id);
            });
            assertNull(malformed);
            frame.release();
        }
        assertEquals(packed, ids, "every record once, in order");
        assertTrue(events.written.isEmpty(), "ack mode waits for acks, not for the socket");
    }

    @Test
    void aRecordLargerThanTheFrameLimitStillGoesOutAlone() {
        connection.mode = Mode.ACK;
        FramePacker packer = connection.packer();
        byte[] big = payload(1, 3000);
        assertTrue(packer.pack(1, false, big, 0, big.length));
        packer.finish();
        BinaryWebSocketFrame frame = assertInstanceOf(BinaryWebSocketFrame.class, ch.readOutbound());
        assertEquals(WireFormat.RECORD_HEADER_BYTES + 3000, frame.content().readableBytes());
        frame.release();
    }

    @Test
    void rawModeSendsOneFramePerEventOfItsKindAndReportsTheBatchWritten() {
        connection.mode = Mode.RAW;
        FramePacker packer = connection.packer();
        byte[] text = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] bin = {9, 8, 7};
        assertTrue(packer.pack(10, true, text, 0, text.length));
        assertTrue(packer.pack(11, false, bin, 0, bin.length));
        assertEquals(2, packer.framesSent());
        packer.finish();
        TextWebSocketFrame t = assertInstanceOf(TextWebSocketFrame.class, ch.readOutbound());
        assertEquals("hello", t.text());
        t.release();
        WebSocketFrame b = assertInstanceOf(BinaryWebSocketFrame.class, ch.readOutbound());
        ByteBuf c = b.content();
        assertEquals(3, c.readableBytes());
        b.release();
        assertEquals(List.of(11L), events.written, "one report covers the batch, once it is on the socket");
    }

    @Test
    void aDiscardedBatchReleasesItsOpenFrameAndSendsNothing() {
        connection.mode = Mode.ACK;
        FramePacker packer = connection.packer();
        byte[] p = payload(1, 10);
        assertTrue(packer.pack(1, false, p, 0, p.length));
        packer.discard();
        packer.finish();
        assertNull(ch.readOutbound());
        assertTrue(ch.finishAndReleaseAll() == false, "nothing was written, nothing is left");
    }

    @Test
    void aDiscardedRawBatchSendsNothingAndReportsNothingWritten() {
        connection.mode = Mode.RAW;
        FramePacker packer = connection.packer();
        byte[] p = payload(1, 10);
        assertTrue(packer.pack(1, false, p, 0, p.length));
        assertTrue(packer.pack(2, true, p, 0, p.length));
        packer.discard();
        packer.finish();
        assertNull(ch.readOutbound());
        assertTrue(events.written.isEmpty());
        assertFalse(ch.finishAndReleaseAll(), "nothing was written, nothing is left");
    }

    @Test
    void finishingAnEmptyBatchSendsNothing() {
        connection.mode = Mode.RAW;
        connection.packer().finish();
        assertNull(ch.readOutbound());
        assertTrue(events.written.isEmpty());
        assertFalse(ch.outboundMessages().iterator().hasNext());
    }
}
