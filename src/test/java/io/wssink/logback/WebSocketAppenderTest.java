package io.wssink.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.status.Status;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.OutputFormat;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.ConnectProxy;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The appender in this JVM, on a LoggerContext of its own (SLF4J's provider here is slf4j-simple). */
class WebSocketAppenderTest {
    @TempDir
    Path tmp;

    private final LoggerContext context = new LoggerContext();

    private WebSocketAppender appender(String url, Path spool) {
        return appender(url, spool, null);
    }

    /** An appender whose encoder writes the message and a newline in {@code charset} (null: Logback's default). */
    private WebSocketAppender appender(String url, Path spool, Charset charset) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        if (charset != null) {
            encoder.setCharset(charset);
        }
        encoder.start();
        WebSocketAppender a = new WebSocketAppender();
        a.setContext(context);
        a.setName("WS");
        a.addUrl(url);
        a.setSpool(spool.toString());
        a.setEncoder(encoder);
        return a;
    }

    private LoggingEvent event(String logger, String message) {
        return new LoggingEvent(getClass().getName(), context.getLogger(logger), Level.INFO, message, null, null);
    }

    @Test
    void aFullSpoolDropsAsConfiguredAndSaysSoToTheStatusManagerOnce() {
        // nothing listens on port 1: events stay in the spool until it is full
        WebSocketAppender a = appender("ws://127.0.0.1:1/", tmp.resolve("spool"));
        a.setFullPolicy("drop_newest");
        a.setBlockSize(1 << 20);
        a.setMaxSpoolBytes(4 << 20);
        a.start();
        assertTrue(a.isStarted(), () -> context.getStatusManager().getCopyOfStatusList().toString());
        String payload = "x".repeat(1000);
        for (int i = 0; i < 20_000 && a.sink().status().spool().droppedEvents() < 10; i++) {
            a.doAppend(event("app", payload));
        }
        assertTrue(a.sink().status().spool().droppedEvents() >= 10, "the spool filled and dropped the newest");
        List<Status> warnings = context.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getLevel() == Status.WARN && s.getMessage().contains("is full")).toList();
        assertEquals(1, warnings.size(), "one report per episode of drops, not one per event: " + warnings);
        long spooled = a.sink().status().spool().backlogEvents();
        a.stop();
        assertFalse(a.isStarted());
        assertNull(a.sink());
        // stop() closed the sink as close() does: the spool is free for the next start, and kept every event
        try (WebSocketSink next = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(tmp.resolve("spool")).build()) {
            assertEquals(spooled, next.status().spool().backlogEvents());
        }
    }

    @Test
    void theSinksOwnLogLinesAreNeverSentThroughIt() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            WebSocketAppender a = appender(receiver.url(), tmp.resolve("spool"));
            a.start();
            a.doAppend(event("io.wssink.internal.forward.Forwarder", "the sink's own"));
            a.doAppend(event("net.openhft.chronicle.queue.Whatever", "its spool's own"));
            Thread forwarderNamed = new Thread(() -> a.doAppend(event("io.netty.Something", "on the sink's thread")),
                    "wssink-forwarder");
            forwarderNamed.start();
            forwarderNamed.join();
            a.doAppend(event("app", "the application's"));
            long last = a.sink().status().spool().lastId();
            a.sink().acked(last).get(30, TimeUnit.SECONDS);
            a.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> Output.lines(out).size() >= 1);
            assertEquals(List.of("the application's"), Output.lines(out));
        }
    }

    @Test
    void theBuildersNetworkSettingsWorkFromTheAppenderTooTokenFileAndProxy() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path token = tmp.resolve("token");
        Files.writeString(token, "tok\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token("tok").build());
             ConnectProxy proxy = new ConnectProxy(null, null)) {
            WebSocketAppender a = appender(receiver.url(), tmp.resolve("spool"));
            a.setTokenFile(token.toString());
            a.setProxy(proxy.url(null).toString());
            a.start();
            assertTrue(a.isStarted(), () -> context.getStatusManager().getCopyOfStatusList().toString());
            a.doAppend(event("app", "via proxy, with a token"));
            a.sink().acked(a.sink().status().spool().lastId()).get(30, TimeUnit.SECONDS);
            a.stop();
            assertEquals(1, proxy.tunnels.get());
            assertEquals(List.of("via proxy, with a token"), Output.lines(out));
        }
    }

    @Test
    void anEncoderThatLogsThroughTheSameAppenderDoesNotRecurse() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            WebSocketAppender a = appender(receiver.url(), tmp.resolve("spool"));
            Logger app = context.getLogger("app");
            PatternLayoutEncoder logging = new PatternLayoutEncoder() {
                @Override
                public byte[] encode(ILoggingEvent event) {
                    app.info("logged by the encoder"); // re-enters the appender on this thread
                    return super.encode(event);
                }
            };
            logging.setContext(context);
            logging.setPattern("%msg");
            logging.start();
            a.setEncoder(logging);
            a.start();
            app.addAppender(a);
            app.info("outer");
            a.sink().acked(a.sink().status().spool().lastId()).get(30, TimeUnit.SECONDS);
            a.stop();
            assertEquals(List.of("outer"), Output.lines(out));
        }
    }

    @Test
    void withoutAnEncoderItDoesNotStartAndSaysWhy() {
        WebSocketAppender a = appender("ws://127.0.0.1:1/", tmp.resolve("spool"));
        a.setEncoder(null);
        a.start();
        assertFalse(a.isStarted());
        assertTrue(context.getStatusManager().getCopyOfStatusList().stream()
                .anyMatch(s -> s.getLevel() == Status.ERROR && s.getMessage().contains("no encoder")));
    }

    /** URI.create's message held the whole text, and the status carried that exception: password and all. */
    @Test
    void aProxyThatDoesNotParseIsReportedWithoutItsTextAndTheFreeDiskFloorIsASetting() {
        WebSocketAppender a = appender("ws://127.0.0.1:1/", tmp.resolve("spool"));
        a.setProxy("http://user:se cret@proxy:3128");
        a.start();
        assertFalse(a.isStarted());
        List<Status> statuses = context.getStatusManager().getCopyOfStatusList();
        assertTrue(statuses.stream().anyMatch(st -> st.getLevel() == Status.ERROR
                && st.getMessage().contains("the proxy URL is not a URL")), statuses::toString);
        for (Status st : statuses) {
            for (Throwable t = st.getThrowable(); t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains("cret"), t.toString());
            }
            assertFalse(st.getMessage().contains("cret"), st.getMessage());
        }

        WebSocketAppender floor = appender("ws://127.0.0.1:1/", tmp.resolve("spool-2"));
        floor.setMinFreeDiskBytes(Long.MAX_VALUE / 4); // above any disk's free space: nothing is spooled
        floor.setFullPolicy("fail");
        floor.start();
        assertTrue(floor.isStarted(), () -> context.getStatusManager().getCopyOfStatusList().toString());
        floor.doAppend(event("app", "no room"));
        floor.stop();
        assertTrue(context.getStatusManager().getCopyOfStatusList().stream()
                .anyMatch(st -> st.getMessage().contains("below the floor of " + Long.MAX_VALUE / 4)),
                () -> context.getStatusManager().getCopyOfStatusList().toString());
    }

    /** An encoder in Latin-1 gave bytes that went out as text with U+FFFD in place of each accented letter. */
    @Test
    void anEventThatIsNotUtf8GoesAsItsExactBytesAndTextAsText() throws Exception {
        Path out = tmp.resolve("out.jsonl");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .format(OutputFormat.JSONL).build())) {
            WebSocketAppender a = appender(receiver.url(), tmp.resolve("spool"), StandardCharsets.ISO_8859_1);
            a.start();
            a.doAppend(event("app", "plain"));
            a.doAppend(event("app", "caf\u00e9"));
            a.sink().acked(a.sink().status().spool().lastId()).get(30, TimeUnit.SECONDS);
            a.stop();

            WebSocketAppender b = appender(receiver.url(), tmp.resolve("spool-utf8"), StandardCharsets.UTF_8);
            b.start();
            b.doAppend(event("app", "caf\u00e9 and a real \uFFFD")); // valid UTF-8, U+FFFD and all: text
            b.sink().acked(b.sink().status().spool().lastId()).get(30, TimeUnit.SECONDS);
            b.stop();
        }
        byte[] cafe = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(List.of("\"plain\"", "{\"base64\":\"" + Base64.getEncoder().encodeToString(cafe) + "\"}",
                "\"caf\u00e9 and a real \uFFFD\""), Output.lines(out));
    }
}
