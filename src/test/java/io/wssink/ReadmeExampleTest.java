package io.wssink;

import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The README's library example, as written there, but for the URL, the spool and the token. */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    @Test
    void theReadmeExampleWorksAsWritten() throws Exception {
        String token = "s3cret";
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .token(token).build())) {
            String url = receiver.url();
            Path spool = tmp.resolve("wssink");
            // --- from README.md ---
            try (WebSocketSink sink = WebSocketSink.builder()
                    .url(url)                                          // or wss://; repeat .url(...) for failover
                    .spool(spool)                                      // created 0700 on first use
                    .header("Authorization", "Bearer " + token)        // sent, never logged
                    .onMessage(m -> System.out.println("remote says " + m.text()))
                    .build()) {
                long id = sink.write("{\"step\":1,\"status\":\"started\"}");
                sink.write(new byte[] {1, 2, 3});
                sink.acked(id).get(10, TimeUnit.SECONDS);            // only if you need to know it arrived
                System.out.println(sink.status());
            }
            // --- end ---
            assertEquals(2, receiver.store().records());
        }
    }
}
