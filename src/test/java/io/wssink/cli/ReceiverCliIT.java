package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.OutputFormat;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import io.wssink.testing.TestCertificates;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** serve's options and send's exit codes, on the real jar. */
class ReceiverCliIT {
    @TempDir
    Path tmp;

    private static void assertOneLine(Jar.Result r, int exit, String contains) {
        assertEquals(exit, r.exit(), r.err());
        // log lines (a timestamp first) may come before; the error is one line of its own, without a stack trace
        List<String> said = r.err().lines().filter(l -> !l.matches("^\\d{4}-\\d\\d-\\d\\dT.*")).toList();
        assertEquals(1, said.size(), "one line: " + r.err());
        assertTrue(said.get(0).startsWith("wssink: ") && said.get(0).contains(contains), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test
    void sendStopsAtALineLongerThanMaxEventBytesDeliversWhatCameBeforeAndExits1() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            Jar.Result r = Jar.run("a\nb\r\nc\n" + "x".repeat(5000) + "\nnever\n", 120, "send", "--url",
                    receiver.url(), "--spool", tmp.resolve("spool").toString(), "--max-event-bytes", "1024");
            assertOneLine(r, 1, "line 4 of stdin is longer than the largest event, 1024 bytes");
        }
        assertEquals(List.of("a", "b", "c"), Output.lines(out));
    }

    /**
     * A line that is not UTF-8 went as text with U+FFFD (three bytes) for each bad byte: the event changed, and 400
     * bad bytes made 1,200, past --max-event-bytes 1024, which ended send with exit 2 before it waited for the lines
     * before. Now it goes as a binary event of its exact bytes.
     */
    @Test
    void sendSpoolsALineThatIsNotUtf8AsItsExactBytes() throws Exception {
        Path out = tmp.resolve("out.jsonl");
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
        byte[] bad = new byte[400];
        Arrays.fill(bad, (byte) 0xff);
        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        stdin.writeBytes("before\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes(latin1);
        stdin.write('\n');
        stdin.writeBytes(bad);
        stdin.write('\n');
        stdin.writeBytes("after \u00e9\n".getBytes(StandardCharsets.UTF_8));
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .format(OutputFormat.JSONL).build())) {
            Jar.Result r = Jar.run(stdin.toByteArray(), 120, "send", "--url", receiver.url(), "--spool",
                    tmp.resolve("spool").toString(), "--max-event-bytes", "1024");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("line 2 of stdin is not UTF-8: sent as a binary event"), r.err());
        }
        Base64.Encoder b64 = Base64.getEncoder();
        assertEquals(List.of("\"before\"", "{\"base64\":\"" + b64.encodeToString(latin1) + "\"}",
                "{\"base64\":\"" + b64.encodeToString(bad) + "\"}", "\"after \u00e9\""), Output.lines(out));
    }

    @Test
    void sendRefusesABinaryLengthPastMaxEventBytesWithoutAllocatingItAndAnEndInsideARecord() throws Exception {
        Path out = tmp.resolve("out.bin");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).binary(true).build())) {
            ByteBuffer huge = ByteBuffer.allocate(4 + 2 + 4).putInt(2).put((byte) 'o').put((byte) 'k')
                    .putInt(0x7ffffff0); // 2 GiB: the old reader allocated it
            Jar.Result r = Jar.run(huge.array(), 120, "send", "--binary", "--url", receiver.url(), "--spool",
                    tmp.resolve("spool").toString());
            assertOneLine(r, 1, "binary record 2 of stdin has length 2147483632, more than the largest event");

            ByteBuffer cut = ByteBuffer.allocate(4 + 3).putInt(10).put(new byte[] {1, 2, 3});
            r = Jar.run(cut.array(), 120, "send", "--binary", "--url", receiver.url(), "--spool",
                    tmp.resolve("spool").toString());
            assertOneLine(r, 1, "stdin ended inside binary record 1 (10 bytes announced)");

            r = Jar.run(new byte[] {0, 0}, 120, "send", "--binary", "--url", receiver.url(), "--spool",
                    tmp.resolve("spool").toString());
            assertOneLine(r, 1, "stdin ended inside the length of binary record 1");
            assertEquals(1, receiver.store().records(), "the record before the bad one was delivered");
        }
    }

    @Test
    void sendNeverEchoesAMalformedHeaderAndReadsAHeaderFile() throws Exception {
        Jar.Result r = Jar.run("", 60, "send", "--url", "ws://127.0.0.1:1/", "--spool", tmp.resolve("s").toString(),
                "--header", "Authorization: Bearer 5ecret=x");
        assertOneLine(r, 2, "--header takes NAME=VALUE");
        assertFalse(r.err().contains("5ecret"), r.err());

        Path headers = Files.writeString(tmp.resolve("headers"), "# secrets\nAuthorization Bearer 5ecret\n");
        r = Jar.run("", 60, "send", "--url", "ws://127.0.0.1:1/", "--spool", tmp.resolve("s").toString(),
                "--header-file", headers.toString());
        assertOneLine(r, 2, "line 2 is not 'Name: value'");
        assertFalse(r.err().contains("5ecret"), r.err());

        Path out = tmp.resolve("out.txt");
        Files.writeString(headers, "# secrets\nAuthorization: Bearer t0ken\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token("t0ken").build())) {
            r = Jar.run("through\n", 120, "send", "--url", receiver.url(), "--spool", tmp.resolve("s").toString(),
                    "--header-file", headers.toString());
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals(List.of("through"), Output.lines(out));
    }

    @Test
    void serveRefusesAnOutputWithoutStateAndAnEmptyToken() throws Exception {
        Path precious = Files.writeString(tmp.resolve("precious.txt"), "someone's data\n");
        Jar.Result r = Jar.run("serve", "--out", precious.toString());
        assertOneLine(r, 1, "exists but precious.txt.state does not");
        assertEquals("someone's data\n", Files.readString(precious));

        ProcessBuilder pb = Jar.command("serve", "--out", tmp.resolve("new.txt").toString())
                .redirectError(tmp.resolve("err").toFile()).redirectOutput(tmp.resolve("stdout").toFile());
        pb.environment().put("WSSINK_TOKEN", "");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(Files.readString(tmp.resolve("err")).contains("the token is empty"));
    }

    @Test
    void serveSpeaksWssWithTlsCertAndTlsKey() throws Exception {
        TestCertificates certs = new TestCertificates();
        TestCertificates.Server server = certs.server("127.0.0.1");
        Path cert = tmp.resolve("cert.pem");
        Path key = tmp.resolve("key.pem");
        try (Writer w = Files.newBufferedWriter(cert); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(server.cert());
        }
        try (Writer w = Files.newBufferedWriter(key); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(server.keys().getPrivate(), null));
        }
        Path out = tmp.resolve("out.txt");
        Process serve = Jar.command("serve", "--out", out.toString(), "--tls-cert", cert.toString(), "--tls-key",
                key.toString()).redirectError(tmp.resolve("serve.err").toFile()).start();
        try {
            String ready = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertNotNull(ready, "serve printed nothing");
            assertTrue(ready.startsWith("listening on wss://127.0.0.1:"), ready);
            try (WebSocketSink sink = WebSocketSink.builder().url(ready.substring("listening on ".length()))
                    .spool(tmp.resolve("spool")).trustCertificates(certs.writeCa(tmp.resolve("ca.pem"))).build()) {
                sink.acked(sink.write("over tls")).get(60, TimeUnit.SECONDS);
            }
        } finally {
            serve.destroy();
            serve.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of("over tls"), Output.lines(out));
    }
}
