package io.wssink.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The record framing: whatever bytes arrive, reading never throws and never yields a record that was not sent. */
class WireFormatProperties {

    record Rec(long id, byte[] payload) {
    }

    @Provide
    Arbitrary<List<Rec>> records() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as(Rec::new).list().ofMinSize(1).ofMaxSize(20);
    }

    @Property
    void framesOfWholeRecordsReadBackExactly(@ForAll("records") List<Rec> sent) {
        ByteBuf frame = Unpooled.buffer();
        for (Rec r : sent) {
            WireFormat.writeRecord(frame, r.id(), r.payload(), 0, r.payload().length);
        }
        List<Rec> read = new ArrayList<>();
        assertNull(WireFormat.readRecords(frame, (id, p) -> read.add(new Rec(id, ByteBufUtil.getBytes(p)))));
        assertEquals(sent.size(), read.size());
        for (int i = 0; i < sent.size(); i++) {
            assertEquals(sent.get(i).id(), read.get(i).id());
            assertArrayEquals(sent.get(i).payload(), read.get(i).payload());
        }
    }

    @Property(tries = 2000)
    void arbitraryBytesNeverThrowAndAValidReadIsAnExactReencoding(@ForAll @Size(max = 200) byte[] bytes) {
        ByteBuf frame = Unpooled.wrappedBuffer(bytes);
        ByteBuf again = Unpooled.buffer();
        String problem = WireFormat.readRecords(frame, (id, p) -> WireFormat.writeRecord(again, id,
                ByteBufUtil.getBytes(p), 0, p.readableBytes()));
        if (problem == null) {
            assertArrayEquals(bytes, ByteBufUtil.getBytes(again), "records read are exactly the bytes received");
        } else {
            assertEquals(0, again.readableBytes(), "a malformed frame delivers nothing at all");
        }
    }

    @Property
    void aFrameCutAnywhereInsideItsLastRecordIsMalformedAndDeliversNothing(@ForAll("records") List<Rec> sent,
                                                                          @ForAll byte cutSeed) {
        ByteBuf frame = Unpooled.buffer();
        for (Rec r : sent) {
            WireFormat.writeRecord(frame, r.id(), r.payload(), 0, r.payload().length);
        }
        Rec last = sent.get(sent.size() - 1);
        int lastLength = WireFormat.RECORD_HEADER_BYTES + last.payload().length;
        int cut = 1 + Math.floorMod(cutSeed, lastLength - 1); // strictly inside: cutting it whole leaves a valid frame
        frame.writerIndex(frame.writerIndex() - cut);
        if (frame.readableBytes() == 0) {
            return; // cut down to nothing: an empty frame, covered below
        }
        List<Long> read = new ArrayList<>();
        assertNotNull(WireFormat.readRecords(frame, (id, p) -> read.add(id)));
        assertTrue(read.isEmpty());
    }
}
