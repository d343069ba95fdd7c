package io.wssink.internal.receiver.console;

import io.wssink.WebSocketSink;
import io.wssink.cli.Main;
import io.wssink.internal.receiver.OutputFormat;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.InboundMessage;
import io.wssink.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The console's HTTP API on a real receiver (--ui) with real sinks: every endpoint, tokens, limits, the queue. */
class ConsoleApiTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (ChildJvm c : children) {
            c.kill();
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private ReferenceReceiver receiver(ReceiverConfig.Builder b) throws IOException {
        ReferenceReceiver r = ReferenceReceiver.start(b.ui(true).build());
        open.add(r);
        return r;
    }

    private WebSocketSink sink(ReferenceReceiver r, String spool, List<InboundMessage> inbox, String... headers) {
        WebSocketSink.Builder b = WebSocketSink.builder().url(r.url()).spool(tmp.resolve(spool))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).onMessage(inbox::add);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        WebSocketSink s = b.build();
        open.add(s);
        return s;
    }

    private static String streamOf(WebSocketSink s) {
        return s.status().spool().streamId();
    }

    private static Map<String, Object> streamEntry(ReferenceReceiver r, String stream, String... headers)
            throws IOException {
        Http.Response res = Http.get(r.port(), "/api/streams", headers);
        assertEquals(200, res.status(), res.text());
        for (Map<String, Object> s : Json.list(res.text())) {
            if (s.get("stream").equals(stream)) {
                return s;
            }
        }
        return null;
    }

    private static void awaitConnected(ReferenceReceiver r, String stream, boolean connected, String... headers) {
        await().atMost(WAIT).until(() -> {
            Map<String, Object> s = streamEntry(r, stream, headers);
            return s != null && s.get("connected").equals(connected);
        });
    }

    /** The states of the stream's latest messages, oldest first. */
    @SuppressWarnings("unchecked")
    private static List<Object> states(ReferenceReceiver r, String id) throws IOException {
        Http.Response res = Http.get(r.port(), "/api/streams/" + id + "/messages");
        assertEquals(200, res.status(), res.text());
        return ((List<Map<String, Object>>) Json.object(res.text()).get("messages")).stream()
                .map(m -> m.get("state")).toList();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void withoutATokenThePageTheStreamsTheEventsAndMessagesAnswer() throws Exception {
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).format(OutputFormat.JSONL));
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink sink = sink(r, "spool", inbox);
        String id = streamOf(sink);
        for (int i = 1; i <= 5; i++) {
            sink.write("e" + i);
        }
        sink.write(new byte[] {(byte) 0xff, 0});
        long last = sink.status().spool().lastId();
        sink.acked(last).get(20, TimeUnit.SECONDS);

        Http.Response page = Http.get(r.port(), "/");
        assertEquals(200, page.status());
        assertTrue(page.header("content-type").startsWith("text/html"), page.header("content-type"));
        assertTrue(page.text().contains("wssink console"));
        assertTrue(page.header("content-security-policy").contains("default-src 'self'"));
        assertEquals(200, Http.get(r.port(), "/console.js").status());
        assertEquals(200, Http.get(r.port(), "/console.css").status());
        assertEquals(404, Http.get(r.port(), "/nothing-here").status());

        Map<String, Object> s = streamEntry(r, id);
        assertNotNull(s, "the sink's stream is listed");
        assertEquals(true, s.get("connected"));
        assertEquals(6L, s.get("events"));
        assertEquals(Long.toUnsignedString(last), s.get("lastId"));
        assertTrue(s.get("lastEventMillis") instanceof Long);
        @SuppressWarnings("unchecked") List<Object> rate = (List<Object>) s.get("rate");
        assertEquals(60, rate.size());

        Http.Response first = Http.get(r.port(), "/api/streams/" + id + "/events?after=0&limit=3");
        assertEquals(200, first.status(), first.text());
        Map<String, Object> tail = Json.object(first.text());
        @SuppressWarnings("unchecked") List<Map<String, Object>> events = (List<Map<String, Object>>) tail.get("events");
        assertEquals(List.of("e1", "e2", "e3"), events.stream().map(e -> e.get("text")).toList());
        assertEquals(true, tail.get("more"));
        assertEquals(false, tail.get("gap"));
        String third = (String) events.get(2).get("id");
        Map<String, Object> rest = Json.object(Http.get(r.port(), "/api/streams/" + id.toUpperCase()
                + "/events?after=" + third + "&limit=100").text());
        @SuppressWarnings("unchecked") List<Map<String, Object>> more = (List<Map<String, Object>>) rest.get("events");
        assertEquals(3, more.size());
        assertEquals("e5", more.get(1).get("text"));
        assertEquals("/wA=", more.get(2).get("base64"), "a binary event is shown as base64");
        assertEquals(Long.toUnsignedString(last), more.get(2).get("id"));
        assertEquals(false, rest.get("more"));
        assertEquals(400, Http.get(r.port(), "/api/streams/" + id + "/events?limit=0").status());
        assertEquals(400, Http.get(r.port(), "/api/streams/" + id + "/events?after=x").status());

        Http.Response text = Http.post(r.port(), "/api/streams/" + id + "/messages", "text/plain; charset=utf-8",
                utf8("stop now \u00e9"));
        assertEquals(202, text.status(), text.text());
        assertEquals(1L, Json.object(text.text()).get("message"));
        Http.Response binary = Http.post(r.port(), "/api/streams/" + id + "/messages", "application/octet-stream",
                new byte[] {1, 2, 3});
        assertEquals(202, binary.status(), binary.text());
        assertEquals(2L, Json.object(binary.text()).get("message"));
        await().atMost(WAIT).until(() -> inbox.size() == 2);
        assertTrue(inbox.get(0).isText());
        assertEquals("stop now \u00e9", inbox.get(0).text());
        assertFalse(inbox.get(1).isText());
        assertArrayEquals(new byte[] {1, 2, 3}, inbox.get(1).data());
        await().atMost(WAIT).until(() -> states(r, id).equals(List.of("written", "written")));

        assertEquals(202, Http.post(r.port(), "/api/streams/" + id + "/messages", "application/octet-stream",
                new byte[Console.MAX_MESSAGE_BYTES]).status(), "the largest message is taken");
        Http.Response big = Http.post(r.port(), "/api/streams/" + id + "/messages", "application/octet-stream",
                new byte[Console.MAX_MESSAGE_BYTES + 1]);
        assertEquals(413, big.status(), big.text());
        // past the receiver's 16 KiB bound on any HTTP request: its aggregator refuses it before the console sees it
        assertEquals(413, Http.post(r.port(), "/api/streams/" + id + "/messages", "application/octet-stream",
                new byte[(16 << 10) + 1]).status(), "a request body past 16 KiB is refused");
        assertEquals(415, Http.post(r.port(), "/api/streams/" + id + "/messages", "text/html", utf8("x")).status());
        assertEquals(400, Http.post(r.port(), "/api/streams/" + id + "/messages", "text/plain",
                utf8("{\"ack\":\"5\"}")).status(), "a text the sink would take for an ack is refused");
        assertEquals(400, Http.post(r.port(), "/api/streams/" + id + "/messages", "text/plain",
                new byte[] {(byte) 0xc3}).status(), "a text frame must be UTF-8");
        await().atMost(WAIT).until(() -> inbox.size() == 3);
        assertEquals(Console.MAX_MESSAGE_BYTES, inbox.get(2).data().length);

        String unknown = UUID.randomUUID().toString();
        assertEquals(404, Http.get(r.port(), "/api/streams/" + unknown + "/events").status());
        assertEquals(404, Http.get(r.port(), "/api/streams/" + unknown + "/messages").status());
        assertEquals(404, Http.post(r.port(), "/api/streams/" + unknown + "/messages", "text/plain", utf8("x")).status());
        assertEquals(404, Http.post(r.port(), "/api/streams/not-a-uuid/messages", "text/plain", utf8("x")).status());
        assertEquals(405, Http.request(r.port(), "DELETE", "/api/streams/" + id + "/events", null, null).status());
        assertEquals(3, inbox.size(), "nothing refused reached the sink");
    }

    @Test
    void withATokenThePageAndTheApiNeedItAndABrowserGetsACookieInsteadOfKeepingIt() throws Exception {
        String token = "s3cret-" + UUID.randomUUID();
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).token(token));
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink sink = sink(r, "spool", inbox, "Authorization", "Bearer " + token);
        String id = streamOf(sink);
        sink.write("hello");
        sink.acked(sink.status().spool().lastId()).get(20, TimeUnit.SECONDS);
        String events = "/api/streams/" + id + "/events";
        String messages = "/api/streams/" + id + "/messages";

        for (String[] wrong : new String[][] {{}, {"Authorization", "Bearer nope"}, {"Cookie", "wssink_console=forged"}}) {
            String what = Arrays.toString(wrong);
            Http.Response login = Http.get(r.port(), "/", wrong);
            assertEquals(401, login.status(), what);
            assertTrue(login.text().contains("needs a token"), "the page asks for the token: " + what);
            assertFalse(login.text().contains("wssink console</h1>\n  <span id=\"feed\""), what);
            assertEquals(401, Http.get(r.port(), "/console.js", wrong).status(), what);
            assertEquals(401, Http.get(r.port(), "/api/streams", wrong).status(), what);
            assertEquals(401, Http.get(r.port(), events, wrong).status(), what);
            assertEquals(401, Http.get(r.port(), messages, wrong).status(), what);
            assertEquals(401, Http.get(r.port(), "/api/live", wrong).status(), what);
            assertEquals(401, Http.post(r.port(), messages, "text/plain", utf8("x"), wrong).status(), what);
        }
        assertEquals(200, Http.get(r.port(), "/console.css").status(), "the login page's style needs no token");

        String bearer = "Bearer " + token;
        assertNotNull(streamEntry(r, id, "Authorization", bearer));
        Http.Response tail = Http.get(r.port(), events, "Authorization", bearer);
        assertEquals(200, tail.status());
        assertTrue(tail.text().contains("\"hello\""));
        assertEquals(202, Http.post(r.port(), messages, "text/plain", utf8("with bearer"), "Authorization", bearer)
                .status());
        await().atMost(WAIT).until(() -> inbox.size() == 1);
        assertEquals("with bearer", inbox.get(0).text());
        assertEquals(0, inbox.stream().filter(m -> m.text().equals("x")).count(), "no refused post was sent");

        Http.Response bad = Http.post(r.port(), "/login", "application/x-www-form-urlencoded", utf8("token=wrong"));
        assertEquals(303, bad.status());
        assertEquals("/?failed", bad.header("location"));
        assertNull(bad.header("set-cookie"));

        Http.Response login = Http.post(r.port(), "/login", "application/x-www-form-urlencoded",
                utf8("token=" + token + "&stream=" + id));
        assertEquals(303, login.status());
        assertEquals("/?stream=" + id, login.header("location"), "back to the page, the stream chosen");
        String setCookie = login.header("set-cookie");
        assertTrue(setCookie.startsWith("wssink_console="), setCookie);
        assertTrue(setCookie.contains("HTTPOnly") || setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
        assertFalse(setCookie.contains(token), "the cookie is a session, not the token");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        Http.Response page = Http.get(r.port(), "/?stream=" + id, "Cookie", cookie);
        assertEquals(200, page.status());
        assertTrue(page.text().contains("id=\"streams\""));
        assertEquals(200, Http.get(r.port(), "/api/streams", "Cookie", cookie).status());
        assertEquals(202, Http.post(r.port(), messages, "text/plain", utf8("with cookie"), "Cookie", cookie,
                "Origin", "http://127.0.0.1:" + r.port()).status());

        await().atMost(WAIT).until(() -> inbox.size() == 2);
        assertEquals("with cookie", inbox.get(1).text());
    }

    /** A token in an address would stay in the browser's history and in proxies' logs: it logs no one in. */
    @Test
    void aTokenInTheAddressLogsNoOneInAndTheLoginPageIsServed() throws Exception {
        String token = "s3cret-" + UUID.randomUUID();
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).token(token));
        for (String path : new String[] {"/?token=" + token, "/?token=" + token + "&stream=" + UUID.randomUUID(),
                "/?token=wrong"}) {
            Http.Response res = Http.get(r.port(), path);
            assertEquals(401, res.status(), path);
            assertNull(res.header("set-cookie"), "no session: " + path);
            assertTrue(res.text().contains("needs a token"), "the login page: " + path);
            assertFalse(res.text().contains(token), "the token is not echoed: " + path);
        }
        assertEquals(401, Http.get(r.port(), "/api/streams?token=" + token).status());
    }

    @Test
    void aTokenBoundToStreamsSeesAndMessagesOnlyThem() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "ops-token *\n");
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).tokenFile(tokens));
        List<InboundMessage> inboxA = new CopyOnWriteArrayList<>();
        List<InboundMessage> inboxB = new CopyOnWriteArrayList<>();
        String a = streamOf(sink(r, "a", inboxA, "Authorization", "Bearer ops-token"));
        String b = streamOf(sink(r, "b", inboxB, "Authorization", "Bearer ops-token"));
        awaitConnected(r, a, true, "Authorization", "Bearer ops-token");
        awaitConnected(r, b, true, "Authorization", "Bearer ops-token");
        Files.writeString(tokens, "ops-token *\nhost-a " + a + "\n");
        Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(5))); // a coarse clock
        String hostA = "Bearer host-a";
        await().atMost(WAIT).until(() -> Http.get(r.port(), "/api/streams", "Authorization", hostA).status() == 200);
        List<Map<String, Object>> seen = Json.list(Http.get(r.port(), "/api/streams", "Authorization", hostA).text());
        assertEquals(List.of(a), seen.stream().map(s -> s.get("stream")).toList());
        assertEquals(2, Json.list(Http.get(r.port(), "/api/streams", "Authorization", "Bearer ops-token").text()).size());
        assertEquals(404, Http.get(r.port(), "/api/streams/" + b + "/events", "Authorization", hostA).status());
        assertEquals(404, Http.post(r.port(), "/api/streams/" + b + "/messages", "text/plain", utf8("not yours"),
                "Authorization", hostA).status());
        assertEquals(202, Http.post(r.port(), "/api/streams/" + a + "/messages", "text/plain", utf8("yours"),
                "Authorization", hostA).status());
        await().atMost(WAIT).until(() -> inboxA.size() == 1);
        assertEquals("yours", inboxA.get(0).text());
        assertTrue(inboxB.isEmpty());
    }

    @Test
    void pagesOfOtherSitesAndHostNamesThatCouldBeReboundAreRefused() throws Exception {
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")));
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink sink = sink(r, "spool", inbox);
        String id = streamOf(sink);
        awaitConnected(r, id, true);
        String messages = "/api/streams/" + id + "/messages";
        Http.Response evil = Http.post(r.port(), messages, "text/plain", utf8("from evil"),
                "Origin", "http://evil.example");
        assertEquals(403, evil.status(), evil.text());
        assertEquals(403, Http.get(r.port(), "/api/live", "Origin", "http://evil.example").status());
        assertEquals(403, Http.get(r.port(), "/api/streams", "Host", "rebound.example:" + r.port()).status(),
                "without a token, a DNS name could be rebound to this host");
        assertEquals(200, Http.get(r.port(), "/api/streams", "Host", "localhost:" + r.port()).status());
        assertEquals(202, Http.post(r.port(), messages, "text/plain", utf8("from the page"),
                "Origin", "http://127.0.0.1:" + r.port()).status());
        await().atMost(WAIT).until(() -> inbox.size() == 1);
        assertEquals("from the page", inbox.get(0).text());
    }

    /** What Chromium sends when a link on another site (a wiki) is clicked: a top-level navigation, no Origin. */
    private static final String[] LINK_FROM_ANOTHER_SITE = {"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode",
            "navigate", "Sec-Fetch-Dest", "document", "Sec-Fetch-User", "?1", "Referer", "https://wiki.example/runbook"};

    @Test
    void aLinkFromAnotherSiteOpensThePageButNeitherTheApiNorTheFeedNorAPost() throws Exception {
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")));
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        String id = streamOf(sink(r, "spool", inbox));
        awaitConnected(r, id, true);

        Http.Response page = Http.get(r.port(), "/?stream=" + id, LINK_FROM_ANOTHER_SITE);
        assertEquals(200, page.status(), page.text());
        assertTrue(page.text().contains("id=\"streams\""), "the page itself");

        for (String path : new String[] {"/api/streams", "/api/live?stream=" + id, "/api/streams/" + id + "/events",
                "/console.js"}) {
            assertEquals(403, Http.get(r.port(), path, LINK_FROM_ANOTHER_SITE).status(), path);
        }
        assertEquals(403, Http.post(r.port(), "/", "text/plain", utf8("x"), LINK_FROM_ANOTHER_SITE).status());
        assertEquals(403, Http.post(r.port(), "/api/streams/" + id + "/messages", "text/plain", utf8("x"),
                LINK_FROM_ANOTHER_SITE).status(), "a cross-site form post is no link");
        assertEquals(403, Http.get(r.port(), "/", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate",
                "Sec-Fetch-Dest", "iframe").status(), "the page in another site's frame is no link");
        assertEquals(403, Http.get(r.port(), "/", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors",
                "Sec-Fetch-Dest", "image").status(), "nor is an image tag");
        assertTrue(inbox.isEmpty());
    }

    @Test
    void withATokenALinkFromAnotherSiteGetsTheLoginForm() throws Exception {
        String token = "s3cret-" + UUID.randomUUID();
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).token(token));
        String stream = UUID.randomUUID().toString();
        Http.Response page = Http.get(r.port(), "/?stream=" + stream, LINK_FROM_ANOTHER_SITE);
        assertEquals(401, page.status(), page.text());
        assertTrue(page.text().contains("needs a token"), page.text());
        assertEquals(403, Http.get(r.port(), "/api/streams", LINK_FROM_ANOTHER_SITE).status());
    }

    @Test
    void withoutUiTheReceiverServesNoConsole() throws Exception {
        try (ReferenceReceiver r = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("plain.txt")).build())) {
            assertNull(r.console());
            assertNull(r.consoleUrl());
            Http.Response res = Http.get(r.port(), "/api/streams");
            assertNotEquals(200, res.status());
            assertFalse(res.text().contains("["));
        }
    }

    @Test
    void aFullQueueRefusesAndCountsWhatDoesNotFitAndTheRestIsDeliveredInOrderOnReconnect() throws Exception {
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")));
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink sink = sink(r, "spool", inbox);
        String id = streamOf(sink);
        awaitConnected(r, id, true);
        sink.close();
        open.remove(sink);
        awaitConnected(r, id, false);
        String messages = "/api/streams/" + id + "/messages";
        for (int i = 0; i < StreamView.QUEUE_MESSAGES; i++) {
            Http.Response res = Http.post(r.port(), messages, "text/plain", utf8("m" + i));
            assertEquals(202, res.status(), res.text());
            Map<String, Object> m = Json.object(res.text());
            assertEquals("queued", m.get("state"));
            assertEquals((long) i, m.get("position"), "queued behind the earlier ones");
        }
        Http.Response full = Http.post(r.port(), messages, "text/plain", utf8("one too many"));
        assertEquals(503, full.status(), full.text());
        assertEquals("dropped", Json.object(full.text()).get("state"));
        Map<String, Object> s = streamEntry(r, id);
        assertEquals((long) StreamView.QUEUE_MESSAGES, s.get("queued"));
        assertEquals(1L, s.get("dropped"));

        sink(r, "spool", inbox); // the same spool: the same stream
        await().atMost(WAIT).until(() -> inbox.size() >= StreamView.QUEUE_MESSAGES);
        List<String> got = inbox.stream().map(InboundMessage::text).toList();
        List<String> want = new ArrayList<>();
        for (int i = 0; i < StreamView.QUEUE_MESSAGES; i++) {
            want.add("m" + i);
        }
        assertEquals(want, got, "every queued message, once, in order; the dropped one never");
        await().atMost(WAIT).until(() -> streamEntry(r, id).get("written").equals((long) StreamView.QUEUE_MESSAGES));
        assertEquals(0L, streamEntry(r, id).get("queued"));
    }

    /**
     * The guarantee of docs/CONSOLE.md across a real sender process killed with SIGKILL: a message written to the
     * connection is not sent again (at most once), one posted while no sender is connected waits in the queue and is
     * delivered, in order, once the restarted sender connects; `wssink send` prints each as a line.
     */
    @Test
    void aMessageQueuedWhileTheSenderIsDownReachesTheRestartedSenderOnceAndInOrder() throws Exception {
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")));
        Path spool = tmp.resolve("send-spool");
        ChildJvm first = send(r, spool, "first");
        await().atMost(WAIT).until(() -> Json.list(Http.get(r.port(), "/api/streams").text()).size() == 1);
        String id = (String) Json.list(Http.get(r.port(), "/api/streams").text()).get(0).get("stream");
        awaitConnected(r, id, true);
        String messages = "/api/streams/" + id + "/messages";
        assertEquals(202, Http.post(r.port(), messages, "text/plain", utf8("before the kill")).status());
        assertEquals(202, Http.post(r.port(), messages, "application/octet-stream", new byte[] {0, 1, (byte) 0xfe})
                .status());
        await().atMost(WAIT).until(() -> first.lines().size() >= 2);
        assertEquals(List.of("before the kill", "base64:AAH+"), first.lines(), "text as is, binary in base64");

        first.kill();
        children.remove(first);
        awaitConnected(r, id, false);
        for (String m : List.of("queued 1", "queued 2", "line\nbreak")) {
            Http.Response res = Http.post(r.port(), messages, "text/plain", utf8(m));
            assertEquals(202, res.status(), res.text());
            assertEquals("queued", Json.object(res.text()).get("state"));
        }
        ChildJvm second = send(r, spool, "second");
        await().atMost(WAIT).until(() -> second.lines().size() >= 3);
        assertEquals(List.of("queued 1", "queued 2", "base64:bGluZQpicmVhaw=="), second.lines(),
                "the queued messages, in order; nothing written before the kill again");
        assertEquals(id, Json.list(Http.get(r.port(), "/api/streams").text()).get(0).get("stream"),
                "the restarted sender kept its stream");
        await().atMost(WAIT).until(() -> streamEntry(r, id).get("written").equals(5L));
    }

    private ChildJvm send(ReferenceReceiver r, Path spool, String name) throws IOException {
        ChildJvm c = ChildJvm.start(Main.class, tmp.resolve(name + ".err"), "send", "--url", r.url(), "--spool",
                spool.toString(), "--follow");
        children.add(c);
        return c;
    }

    @Test
    void theLiveFeedPushesTheStreamListAndNewEventsOfTheChosenStreamPastTheSinksHandshakeDeadline() throws Exception {
        // a console connection is no sink: the sinks' handshake deadline (here 800 ms) must not close it
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .handshakeTimeout(Duration.ofMillis(800)));
        WebSocketSink sink = sink(r, "spool", new CopyOnWriteArrayList<>());
        String id = streamOf(sink);
        awaitConnected(r, id, true);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", r.port()), 5000);
            s.setSoTimeout(500);
            s.getOutputStream().write(("GET /api/live?stream=" + id + " HTTP/1.1\r\nHost: 127.0.0.1:" + r.port()
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder seen = new StringBuilder();
            InputStream in = s.getInputStream();
            readUntil(in, seen, "event: streams");
            assertTrue(seen.toString().startsWith("HTTP/1.1 200"), seen.toString());
            assertTrue(seen.toString().contains("text/event-stream"), seen.toString());
            assertFalse(seen.toString().contains("live-event-1"));
            sink.write("live-event-1");
            readUntil(in, seen, "live-event-1");
            assertTrue(seen.toString().contains("event: events"), seen.toString());
            long start = System.nanoTime();
            int lists = seen.toString().split("event: streams").length - 1;
            readUntil(in, seen, "event: streams", lists + 3); // a list every second: 2 s and more
            assertTrue(System.nanoTime() - start > Duration.ofMillis(1500).toNanos());
        }
    }

    /** docs/CONSOLE.md: "a token removed from --token-file ends its sessions"; an open live feed is one of them. */
    @Test
    void theLiveFeedEndsOnceItsTokenIsRemovedFromTheTokenFile() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "ops-token *\nstays *\n");
        ReferenceReceiver r = receiver(ReceiverConfig.builder(tmp.resolve("out.txt")).tokenFile(tokens));
        Http.Response login = Http.post(r.port(), "/login", "application/x-www-form-urlencoded", utf8("token=ops-token"));
        assertEquals(303, login.status());
        String cookie = login.header("set-cookie").substring(0, login.header("set-cookie").indexOf(';'));
        try (Socket bySession = liveFeed(r, "Cookie: " + cookie); Socket byHeader = liveFeed(r, "Authorization: Bearer ops-token");
             Socket other = liveFeed(r, "Authorization: Bearer stays")) {
            StringBuilder session = new StringBuilder();
            StringBuilder header = new StringBuilder();
            StringBuilder kept = new StringBuilder();
            readUntil(bySession.getInputStream(), session, "event: streams");
            readUntil(byHeader.getInputStream(), header, "event: streams");
            readUntil(other.getInputStream(), kept, "event: streams");
            assertTrue(session.toString().startsWith("HTTP/1.1 200"), session.toString());

            Files.writeString(tokens, "stays *\n");
            Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(5))); // a coarse clock
            readToEnd(bySession.getInputStream(), session);
            readToEnd(byHeader.getInputStream(), header);
            assertTrue(session.toString().endsWith("0\r\n\r\n"), "the chunked feed ends properly: " + session);
            int lists = kept.toString().split("event: streams").length - 1;
            readUntil(other.getInputStream(), kept, "event: streams", lists + 2); // a token still there: goes on
        }
        assertEquals(401, Http.get(r.port(), "/api/streams", "Cookie", cookie).status());
    }

    private static Socket liveFeed(ReferenceReceiver r, String credentials) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", r.port()), 5000);
        s.setSoTimeout(500);
        s.getOutputStream().write(("GET /api/live HTTP/1.1\r\nHost: 127.0.0.1:" + r.port() + "\r\n" + credentials
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** Reads the feed until the receiver closes it. */
    private static void readToEnd(InputStream in, StringBuilder seen) throws IOException {
        byte[] buf = new byte[8192];
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            if (System.nanoTime() > deadline) {
                fail("the feed still runs " + WAIT + " after its token was removed: " + seen);
            }
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException quiet) {
                // nothing yet: read again until the deadline
            }
        }
    }

    private static void readUntil(InputStream in, StringBuilder seen, String wanted) throws IOException {
        readUntil(in, seen, wanted, 1);
    }

    /** Reads the feed until {@code wanted} occurs {@code times} in all it sent. */
    private static void readUntil(InputStream in, StringBuilder seen, String wanted, int times) throws IOException {
        byte[] buf = new byte[8192];
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (seen.toString().split(Pattern.quote(wanted), -1).length - 1 < times) {
            if (System.nanoTime() > deadline) {
                fail("no \"" + wanted + "\" in the feed within " + WAIT + ": " + seen);
            }
            try {
                int n = in.read(buf);
                if (n < 0) {
                    fail("the feed ended before \"" + wanted + "\": " + seen);
                }
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException quiet) {
                // nothing yet: read again until the deadline
            }
        }
    }
}
