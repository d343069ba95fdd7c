package io.wssink.internal.receiver;

import io.wssink.WebSocketSink;
import io.wssink.protocol.ConnectionState;
import io.wssink.testing.Output;
import io.wssink.testing.RawWebSocket;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Tokens: Bearer in any case, no empty token, a token file bound to streams and re-read when it changes. */
class ReceiverAuthTest {
    private static final String A = "00000000-0000-4000-8000-00000000000a";
    private static final String B = "00000000-0000-4000-8000-00000000000b";

    @TempDir
    Path tmp;

    /** The file is looked at again at most every 100 ms (TokenFile.RECHECK_NANOS): a change shows within that. */
    private static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(10));
    }

    private static int status(ReferenceReceiver receiver, String stream, String authorization) throws Exception {
        try (RawWebSocket ws = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(stream, "Authorization",
                authorization))) {
            return ws.status();
        }
    }

    @Test
    void theBearerSchemeIsMatchedInAnyCaseAndTheTokenExactly() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .token("t0ken").build())) {
            assertEquals(101, status(receiver, A, "Bearer t0ken"));
            assertEquals(101, status(receiver, A, "bearer t0ken"));
            assertEquals(101, status(receiver, A, "BEARER   t0ken"));
            assertEquals(401, status(receiver, A, "Bearer T0KEN"));
            assertEquals(401, status(receiver, A, "Bearer "));
            assertEquals(401, status(receiver, A, "Basic t0ken"));
        }
    }

    @Test
    void anEmptyTokenIsRefusedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReceiverConfig.builder(tmp.resolve("out.txt")).token("  ").build());
        assertTrue(e.getMessage().contains("empty"));
    }

    @Test
    void aTokenFileBindsTokensToStreamsAndIsReReadWhenItChanges() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "# ops\nops-token *\nhost-a " + A + "\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .tokenFile(tokens).build())) {
            assertEquals(101, status(receiver, A, "Bearer host-a"));
            assertEquals(403, status(receiver, B, "Bearer host-a"));
            assertEquals(101, status(receiver, B, "Bearer ops-token"));
            assertEquals(401, status(receiver, B, "Bearer host-b"));

            Files.writeString(tokens, "host-b " + B + "\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(5))); // a coarse clock
            await("the new token taken").until(() -> status(receiver, B, "Bearer host-b") == 101);
            assertEquals(401, status(receiver, A, "Bearer host-a"), "a token removed from the file is refused");

            Files.writeString(tokens, "# nothing\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(10)));
            await("a file emptied of tokens revokes them all").until(() -> status(receiver, B, "Bearer host-b") == 401);
        }
    }

    @Test
    void aTokenFileThatCannotBeParsedOrIsRemovedTakesNoTokenUntilItIsFixed() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "host-b " + B + "\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .tokenFile(tokens).build())) {
            assertEquals(101, status(receiver, B, "Bearer host-b"));

            // a leaked token's line removed, in an edit with a typo elsewhere: the leaked token must not stay valid
            Files.writeString(tokens, "host-b not-a-stream\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(5)));
            await("a file that cannot be read takes no token").until(() -> status(receiver, B, "Bearer host-b") == 401);

            Files.writeString(tokens, "host-b " + B + "\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(10)));
            await("fixed, its token is taken again").until(() -> status(receiver, B, "Bearer host-b") == 101);

            Files.delete(tokens);
            await("a removed file revokes every token").until(() -> status(receiver, B, "Bearer host-b") == 401);

            Files.writeString(tokens, "host-b " + B + "\n");
            await("the file back, its token is taken again").until(() -> status(receiver, B, "Bearer host-b") == 101);
        }
    }

    /**
     * Tokens were checked at the handshake only: a token removed from the file refused new connections, and the open
     * one of its sink kept writing for as long as it stayed up.
     */
    @Test
    void aRevokedTokenEndsItsOpenConnectionAndTheSinkKeepsWhatItWritesAfter() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "host-a *\n");
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).tokenFile(tokens)
                .build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .header("Authorization", "Bearer host-a").backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                     .build()) {
            sink.acked(sink.write("before")).get(30, TimeUnit.SECONDS);
            assertEquals(1, sink.status().connections());

            Files.writeString(tokens, "host-b *\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(5)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    sink.status().state() != ConnectionState.CONNECTED && sink.status().failedAttempts() >= 1);
            long after = sink.write("after");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 3);
            assertTrue(sink.status().lastError().contains("401"), sink.status().lastError());
            assertFalse(sink.acked(after).isDone(), "nothing is taken with a revoked token");
            assertEquals(List.of("before"), Output.lines(out));

            Files.writeString(tokens, "host-a *\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(10)));
            sink.acked(after).get(30, TimeUnit.SECONDS);
            assertEquals(List.of("before", "after"), Output.lines(out));
        }
    }

    @Test
    void aTokenFileThatIsEmptyOrBrokenIsRefusedAtStartWithoutEchoingAToken() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty"), "\n# none\n");
        Exception e = assertThrows(IOException.class, () -> ReferenceReceiver.start(
                ReceiverConfig.builder(tmp.resolve("out.txt")).tokenFile(empty).build()));
        assertTrue(e.getMessage().contains("holds no token"), e.getMessage());
        Path broken = Files.writeString(tmp.resolve("broken"), "s3cret-token not-a-stream\n");
        e = assertThrows(IOException.class, () -> ReferenceReceiver.start(
                ReceiverConfig.builder(tmp.resolve("out.txt")).tokenFile(broken).build()));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
