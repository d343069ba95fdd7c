package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.wssink.protocol.WireFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whatever frames arrive — resends, reorderings, garbage — and whenever the receiver restarts, its output holds each
 * id at most once, in increasing order.
 */
class ReceiverStoreProperties {

    /** A frame of ids (each written as its own payload), a malformed frame (under one record header: WireFormatProperties
     * covers arbitrary bytes), or a restart of the receiver. */
    @Provide
    Arbitrary<List<Object>> traffic() {
        Arbitrary<Object> ids = Arbitraries.longs().between(1, 60).list().ofMinSize(1).ofMaxSize(8).map(l -> (Object) l);
        Arbitrary<Object> garbage = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(11).map(b -> (Object) b);
        Arbitrary<Object> restart = Arbitraries.just("restart");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, ids), net.jqwik.api.Tuple.of(2, garbage), net.jqwik.api.Tuple.of(1, restart))
                .list().ofMaxSize(40);
    }

    private static final String STREAM = "6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";

    static FileReceiverStore open(Path out) throws IOException {
        return new FileReceiverStore(out, OutputFormat.LINES, ReceiverConfig.Fsync.NEVER, 1024, Duration.ofDays(30),
                System::currentTimeMillis, FileOpener.REAL);
    }

    @Property(tries = 300)
    void noIdIsEverWrittenTwiceAndTheOutputStaysInOrder(@ForAll("traffic") List<Object> traffic) throws Exception {
        Path dir = Files.createTempDirectory("receiver-prop");
        Path out = dir.resolve("out.txt");
        ReceiverStore store = open(out);
        try {
            for (Object t : traffic) {
                if (t.equals("restart")) {
                    store.close();
                    store = open(out);
                    continue;
                }
                ByteBuf frame = Unpooled.buffer();
                if (t instanceof byte[] garbage) {
                    frame.writeBytes(garbage);
                } else {
                    for (Object id : (List<?>) t) {
                        byte[] payload = id.toString().getBytes(StandardCharsets.UTF_8);
                        WireFormat.writeRecord(frame, (Long) id, payload, 0, payload.length);
                    }
                }
                ReceiverStore.Stream stream = store.stream(STREAM);
                store.claim(stream, this);
                String problem = store.acceptFrame(stream, this, store.epoch(), frame);
                if (problem == null && traffic.indexOf(t) % 3 == 0) {
                    store.commit().join();
                }
            }
        } finally {
            store.close();
        }
        List<String> lines = Files.readAllLines(out);
        long previous = 0;
        for (String line : lines) {
            long id = Long.parseLong(line);
            assertTrue(id > previous, "output " + lines + " repeats or reorders an id");
            previous = id;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
