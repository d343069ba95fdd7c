package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.Mode;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class EndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void twoHundredThousandEventsArriveInOrderOnceAndAreAcknowledged() throws Exception {
        Path out = tmp.resolve("out.txt");
        int n = 200_000;
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
            long last = 0;
            for (int i = 0; i < n; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(60, TimeUnit.SECONDS);
            assertEquals(Mode.ACK, sink.status().mode());
            assertEquals(0, sink.status().protocolErrors());
            assertEquals(0, sink.status().spool().backlogEvents());
            assertEquals(last, sink.status().spool().ackedId());
        }
        Output.assertExactly(out, "event-", n);
    }

    @Test
    void theReceiversMessagesReachOnMessageInOrder() throws Exception {
        Path out = tmp.resolve("out.txt");
        List<String> got = new CopyOnWriteArrayList<>();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .onMessage(m -> got.add(m.text())).build()) {
            sink.acked(sink.write("hello")).get(30, TimeUnit.SECONDS);
            for (int i = 0; i < 100; i++) {
                receiver.sendToAll("pause-" + i);
            }
            receiver.sendToAll("{\"ack\":\"1\",\"also\":\"not an ack\"}".getBytes());
            await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 101);
            for (int i = 0; i < 100; i++) {
                assertEquals("pause-" + i, got.get(i));
            }
            assertEquals(0, sink.status().protocolErrors(), "messages are never taken for acks");
        }
    }
}
