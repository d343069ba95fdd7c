package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReceiverStore;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Wssink-Stream header is the spool's stream id: a user header of that name never replaces it. */
class StreamHeaderTest {
    @TempDir
    Path tmp;

    @Test
    void aUserHeaderCannotNameAnotherStream() throws Exception {
        String other = "7d1e7d43-2f4c-4c3f-9a51-2b7f4a3c8e10";
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt")).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .header("wssink-stream", other).build()) {
            sink.acked(sink.write("mine")).get(30, TimeUnit.SECONDS);
            ReceiverStore store = receiver.store();
            assertTrue(store.highest(store.stream(sink.streamId())) != 0, "the events went out under the spool's id");
            assertEquals(0, store.highest(store.stream(other)), "nothing under the header's");
        }
    }
}
