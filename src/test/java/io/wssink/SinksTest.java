package io.wssink;

import io.wssink.internal.spool.Spool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.*;

class SinksTest {
    @TempDir
    Path tmp;

    @Test
    void providersAreDiscoveredWithTheirMetadata() {
        List<SinkProvider> providers = Sinks.providers();
        assertEquals(List.of("null", "websocket"), providers.stream().map(SinkProvider::name).sorted().toList());
        for (SinkProvider p : providers) {
            assertEquals("0.1.0-SNAPSHOT", p.version(), "the version comes from the build");
            assertFalse(p.description().isBlank());
        }
        assertEquals(Set.of("ws", "wss"),
                providers.stream().filter(p -> p.name().equals("websocket")).findFirst().orElseThrow().schemes());
    }

    @Test
    void theNullSinkDiscardsAndCounts() {
        try (Sink sink = Sinks.open(URI.create("null:discard"), Map.of())) {
            assertEquals(1, sink.write("abc"));
            assertEquals(2, sink.write(new byte[5]));
            assertEquals(2, ((NullSink) sink).events());
            assertEquals(8, ((NullSink) sink).bytes());
        }
    }

    @Test
    void theWebSocketProviderOpensADurableSinkAndRefusesWhatItCannotUse() {
        try (Sink sink = Sinks.open(URI.create("ws://127.0.0.1:1/"), Map.of("spool", tmp.resolve("s").toString()))) {
            assertTrue(sink.write("kept") > 0, "spooled even though nothing listens");
            assertEquals(1, ((WebSocketSink) sink).status().spool().backlogEvents());
            ExecutionException dropped = assertThrows(ExecutionException.class,
                    () -> ((WebSocketSink) sink).acked(Spool.DROPPED).get());
            assertTrue(dropped.getCause().getMessage().startsWith("the event was dropped"));
        }
        try (Sink sink = Sinks.open(URI.create("ws://127.0.0.1:1/"), Map.of("spool", tmp.resolve("aging").toString(),
                "maxEventAge", "PT1M"))) {
            assertTrue(sink.write("x") > 0);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sinks.open(
                URI.create("ws://127.0.0.1:1/"), Map.of("spool", tmp.resolve("aging").toString(), "maxEventAge", "PT0S")));
        assertEquals("maxEventAge must be positive, not PT0S", e.getMessage(), "the option reaches the spool");
        e = assertThrows(IllegalArgumentException.class,
                () -> Sinks.open(URI.create("ws://127.0.0.1:1/"), Map.of()));
        assertEquals("the websocket sink needs the option spool=<directory>", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sinks.open(URI.create("ftp://x/"), Map.of()));
        assertEquals("no sink provider handles 'ftp:' URIs (installed: [null, ws, wss])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sinks.open(URI.create("ws://127.0.0.1:1/"),
                Map.of("spool", tmp.resolve("t").toString(), "colour", "red")));
        assertEquals("unknown options for the websocket sink: [colour]", e.getMessage());
    }
}
