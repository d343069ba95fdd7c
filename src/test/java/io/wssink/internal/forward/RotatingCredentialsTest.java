package io.wssink.internal.forward;

import io.wssink.HeaderFile;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Header values from suppliers, asked again at every attempt: a token rotated on disk is picked up without a restart. */
class RotatingCredentialsTest {
    @TempDir
    Path tmp;

    @Test
    void aTokenFileRewrittenWhileTheReceiverRefusesTheOldTokenIsReadAgainAndTheSinkGetsThrough() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path token = tmp.resolve("token");
        Files.writeString(token, "old-secret-token\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token("new-secret-token").build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .header("Authorization", HeaderFile.bearer(token))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long id = sink.write("after the rotation");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 3);
            String error = sink.status().lastError();
            assertTrue(error.contains("401"), error);
            assertFalse(error.contains("secret"), "a refused token is never shown: " + error);
            assertFalse(sink.status().toString().contains("secret"));
            Files.writeString(token, "new-secret-token\n");
            sink.acked(id).get(30, TimeUnit.SECONDS);
            assertEquals(List.of("after the rotation"), Output.lines(out));
        }
    }

    @Test
    void theSupplierIsAskedAtEveryAttemptAndItsFailureIsAFailedAttemptNamingTheHeaderOnly() throws Exception {
        Path out = tmp.resolve("out.txt");
        AtomicInteger asked = new AtomicInteger();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token("t0k3n").build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .header("Authorization", () -> {
                         int n = asked.incrementAndGet();
                         if (n == 1) {
                             throw new IllegalStateException("vault unreachable");
                         }
                         return n < 4 ? "Bearer wrong" : "Bearer t0k3n";
                     })
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long id = sink.write("through");
            sink.acked(id).get(30, TimeUnit.SECONDS);
            assertEquals(4, asked.get(), "one call per attempt: a failure, two refusals, then the right token");
            assertEquals(List.of("through"), Output.lines(out));
        }
    }

    @Test
    void aMissingTokenFileFailsTheAttemptWithItsPathAndIsRetried() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path token = tmp.resolve("not-yet");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token("abc").build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .header("Authorization", HeaderFile.bearer(token))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long id = sink.write("late token");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().lastError() != null);
            assertTrue(sink.status().lastError().contains("header Authorization")
                    && sink.status().lastError().contains(token.toString()), sink.status().lastError());
            Files.writeString(token, "abc");
            sink.acked(id).get(30, TimeUnit.SECONDS);
        }
    }
}
