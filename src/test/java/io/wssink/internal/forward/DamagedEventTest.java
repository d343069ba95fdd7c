package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.spool.QuarantinedEventException;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A record damaged on disk is never sent: waiting for its ack fails clearly instead of reporting it delivered. */
class DamagedEventTest {
    @TempDir
    Path tmp;

    @Test
    void ackedOfADamagedEventFailsWithTheReason() throws Exception {
        Path dir = tmp.resolve("spool");
        long damaged;
        long last;
        try (Spool spool = Spool.open(SpoolConfig.builder(dir).build())) {
            spool.append("first");
            damaged = spool.append("second-DAMAGED");
            last = spool.append("third");
        }
        try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
            Path cycle = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
            byte[] bytes = Files.readAllBytes(cycle);
            byte[] text = "DAMAGED".getBytes(StandardCharsets.US_ASCII);
            int at = -1;
            for (int i = 0; i + text.length <= bytes.length && at < 0; i++) {
                if (Arrays.equals(bytes, i, i + text.length, text, 0, text.length)) {
                    at = i;
                }
            }
            assertTrue(at > 0);
            bytes[at] ^= 0x20; // one bit: the CRC no longer matches
            Files.write(cycle, bytes);
        }
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(dir).build()) {
            CompletableFuture<Void> early = sink.acked(damaged); // waiting before the damage is found
            sink.acked(last).get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Void> f : List.of(early, sink.acked(damaged))) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                QuarantinedEventException q = assertInstanceOf(QuarantinedEventException.class, e.getCause());
                assertEquals(damaged, q.id());
            }
            assertEquals(0, sink.status().spool().backlogEvents(), "the cursor moved over it");
        }
        assertEquals(List.of("first", "third"), Output.lines(out));
    }
}
