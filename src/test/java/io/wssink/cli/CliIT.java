package io.wssink.cli;

import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.testing.ConnectProxy;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The real jar, as a process: each command with good and bad arguments. */
class CliIT {
    @TempDir
    Path tmp;

    private static String lines(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i + "\n").collect(Collectors.joining());
    }

    @Test
    void sinksListsTheProvidersWithTheirMetadata() throws Exception {
        Jar.Result r = Jar.run("sinks");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("websocket  0.1.0-SNAPSHOT   ws,wss"), r.out());
        assertTrue(r.out().contains("null       0.1.0-SNAPSHOT   null"), r.out());
    }

    @Test
    void sendDeliversStdinToServeAndExitsOnceAcknowledged() throws Exception {
        Path out = tmp.resolve("out.txt");
        Process serve = Jar.command("serve", "--port", "0", "--out", out.toString()).start();
        try {
            String ready = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(ready);
            assertTrue(ready.matches("listening on ws://127\\.0\\.0\\.1:\\d+/"), ready);
            String url = ready.substring("listening on ".length());
            Jar.Result r = Jar.run(lines("line-", 1000), 120, "send", "--url", url, "--spool", tmp.resolve("spool").toString());
            assertEquals(0, r.exit(), r.err());
            Output.assertExactly(out, "line-", 1000);

            Jar.Result status = Jar.run("status", "--spool", tmp.resolve("spool").toString(), "--json");
            assertEquals(0, status.exit(), status.err());
            assertTrue(status.out().contains("\"appendedEvents\":1000"), status.out());
            assertTrue(status.out().contains("\"backlogEvents\":0"), status.out());
            assertTrue(status.out().contains("\"senderRunning\":false"), status.out());

            Jar.Result rewind = Jar.run("rewind", "--spool", tmp.resolve("spool").toString(), "--to-time",
                    "2000-01-01T00:00:00Z");
            assertEquals(0, rewind.exit(), rewind.err());
            assertTrue(rewind.out().contains("1000 events will be sent again"), rewind.out());
        } finally {
            serve.destroy();
            serve.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void badArgumentsGetOneClearLineAndExitCode2() throws Exception {
        Jar.Result r = Jar.run("send", "--url", "http://example.com/", "--spool", tmp.resolve("s").toString());
        assertEquals(2, r.exit());
        assertEquals("wssink: URL must start with ws:// or wss://, not 'http://': http://example.com/", r.err().strip());
        r = Jar.run("send", "--url", "ws://127.0.0.1:1/");
        assertEquals(2, r.exit());
        assertEquals("wssink: Missing required option: '--spool=<spool>' (see: wssink send --help)", r.err().strip());
        r = Jar.run("send", "--url", "ws://127.0.0.1:1/", "--spool", tmp.toString(), "--mode", "loud");
        assertEquals(2, r.exit());
        assertEquals("wssink: --mode must be one of auto, ack, raw, not 'loud'", r.err().strip());
        r = Jar.run("rewind", "--spool", tmp.resolve("s").toString(), "--to-id", "12");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("wssink: no spool at"), r.err());
        r = Jar.run("status", "--spool", tmp.resolve("missing").toString());
        assertEquals(1, r.exit());
        assertEquals("wssink: no spool at " + tmp.resolve("missing") + " (the directory does not exist)", r.err().strip());
        r = Jar.run("sinks", "--all");
        assertEquals(2, r.exit());
        assertEquals("wssink: Unknown option: '--all' (see: wssink sinks --help)", r.err().strip());
        r = Jar.run("demo", "--seconds", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("wssink: Invalid value for option '--seconds': 'soon' is not an int"), r.err());
        r = Jar.run("serve", "--port", "0");
        assertEquals(2, r.exit());
        assertEquals("wssink: serve needs --out FILE, or --kafka BOOTSTRAP with --topic T", r.err().strip());
        r = Jar.run("rewind", "--spool", tmp.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("wssink: Error: Missing required argument (specify one of these):"), r.err());
    }

    @Test
    void serveOnAPortInUseFailsClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Jar.Result r = Jar.run("serve", "--port", Integer.toString(taken.getLocalPort()), "--out",
                    tmp.resolve("o.txt").toString());
            assertEquals(1, r.exit());
            assertTrue(r.err().startsWith("wssink: cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.err());
        }
    }

    @Test
    void aSpoolHeldByAnotherSenderIsRefusedBySendAndRewind() throws Exception {
        Path spool = tmp.resolve("spool");
        Process first = Jar.command("send", "--url", "ws://127.0.0.1:1/", "--spool", spool.toString(), "--follow")
                .redirectError(tmp.resolve("first.err").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(spool.resolve("reader.lock"))
                    && Jar.run("status", "--spool", spool.toString()).out().contains("sender            running"));
            Jar.Result r = Jar.run("send", "--url", "ws://127.0.0.1:1/", "--spool", spool.toString());
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("is in use by another sender (pid " + first.pid() + ")"), r.err());
            r = Jar.run("rewind", "--spool", spool.toString(), "--to-id", "0");
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("is in use by another sender"), r.err());
        } finally {
            first.destroyForcibly().waitFor();
        }
    }

    @Test
    void anInterruptedSendKeepsTheRestAndTheNextRunDeliversIt() throws Exception {
        Path spool = tmp.resolve("spool");
        Path out = tmp.resolve("out.txt");
        // nothing answers behind the proxy until the receiver starts (a freed port could be taken meanwhile)
        FaultProxy proxy = new FaultProxy(0);
        String url = proxy.url();
        Process send = Jar.command("send", "--url", url, "--spool", spool.toString(), "--follow")
                .redirectError(tmp.resolve("send.err").toFile()).start();
        try (OutputStream stdin = send.getOutputStream()) {
            stdin.write(lines("kept-", 500).getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> backlog(spool) == 500);
        send.destroy(); // SIGTERM
        assertTrue(send.waitFor(60, TimeUnit.SECONDS));
        assertEquals(130, send.exitValue());
        assertTrue(Files.readString(tmp.resolve("send.err")).contains("interrupted; 500 events stay in the spool"));

        Jar.Result timedOut = Jar.run("", 60, "send", "--url", url, "--spool", spool.toString(), "--timeout", "PT1S");
        assertEquals(3, timedOut.exit());
        assertTrue(timedOut.err().contains("500 events still spooled after PT1S"), timedOut.err());

        try (proxy; ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            proxy.target(URI.create(receiver.url()).getPort());
            Jar.Result resumed = Jar.run("", 120, "send", "--url", url, "--spool", spool.toString());
            assertEquals(0, resumed.exit(), resumed.err());
            assertEquals(500, receiver.store().records());
        }
        Output.assertExactly(out, "kept-", 500);
    }

    private static long backlog(Path spool) {
        try (Spool s = Spool.open(SpoolConfig.builder(spool).createIfMissing(false).build())) {
            return s.stats().backlogEvents();
        } catch (RuntimeException notYet) {
            return -1;
        }
    }

    @Test
    void theDemoLosesNothingAndSaysSo() throws Exception {
        Jar.Result r = Jar.run("", 150, "demo", "--seconds", "13");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*\\n  lost\\s+0\\n.*"), r.out());
        assertTrue(r.out().contains("1 connection cuts, 1 receiver restarts, 2 sender kills"), r.out());
        assertTrue(r.out().contains("nothing lost."), r.out());
        assertTrue(r.err().matches("(?s).*console on http://127\\.0\\.0\\.1:\\d+/.*"), r.err());
    }

    @Test
    void proxyFromEnvIsOptInAndThenTakesHttpProxyFromTheEnvironment() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             ConnectProxy proxy = new ConnectProxy("env-user", "env-pass")) {
            ProcessBuilder direct = Jar.command("send", "--url", receiver.url(), "--spool", tmp.resolve("s1").toString())
                    .redirectInput(ProcessBuilder.Redirect.from(Files.writeString(tmp.resolve("in1"), "direct\n").toFile()))
                    .redirectError(tmp.resolve("err1").toFile());
            direct.environment().put("HTTP_PROXY", proxy.url("env-user:env-pass").toString());
            Process p = direct.start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(tmp.resolve("err1")));
            assertEquals(0, proxy.tunnels.get(), "without --proxy-from-env the environment is not read");

            ProcessBuilder proxied = Jar.command("send", "--proxy-from-env", "--url", receiver.url(),
                    "--spool", tmp.resolve("s2").toString())
                    .redirectInput(ProcessBuilder.Redirect.from(Files.writeString(tmp.resolve("in2"), "proxied\n").toFile()))
                    .redirectError(tmp.resolve("err2").toFile());
            proxied.environment().put("HTTP_PROXY", proxy.url("env-user:env-pass").toString());
            proxied.environment().put("NO_PROXY", "example.com");
            p = proxied.start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(tmp.resolve("err2")));
            assertEquals(1, proxy.tunnels.get(), "with it, HTTP_PROXY carries ws://");
            assertFalse(Files.readString(tmp.resolve("err2")).contains("env-pass"));
        }
        assertEquals(List.of("direct", "proxied"), Output.lines(out));
    }
}
