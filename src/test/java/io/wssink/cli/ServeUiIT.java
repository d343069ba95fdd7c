package io.wssink.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** `serve --ui` from the jar: prints the console's URL, never the token, and the console asks for the token. */
class ServeUiIT {
    @TempDir
    Path tmp;

    @Test
    void serveUiPrintsTheConsoleUrlWithoutTheTokenAndTheConsoleNeedsIt() throws Exception {
        String token = "tok-" + UUID.randomUUID();
        ProcessBuilder pb = Jar.command("serve", "--out", tmp.resolve("out.txt").toString(), "--ui")
                .redirectError(tmp.resolve("serve.err").toFile());
        pb.environment().put("WSSINK_TOKEN", token);
        Process serve = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String listening = out.readLine();
            String console = out.readLine();
            assertNotNull(console, "serve printed less than two lines: " + Files.readString(tmp.resolve("serve.err")));
            assertTrue(listening.matches("listening on ws://127\\.0\\.0\\.1:\\d+/"), listening);
            String port = listening.replaceAll(".*:(\\d+)/$", "$1");
            assertEquals("console on http://127.0.0.1:" + port + "/ (it asks for the token)", console);
            HttpClient http = HttpClient.newHttpClient();
            URI api = URI.create("http://127.0.0.1:" + port + "/api/streams");
            assertEquals(401, http.send(HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, page.statusCode());
            assertTrue(page.body().contains("needs a token"), page.body());
            HttpResponse<String> streams = http.send(HttpRequest.newBuilder(api).header("Authorization", "Bearer " + token)
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, streams.statusCode());
            assertEquals("[]", streams.body());
        } finally {
            serve.destroy();
            assertTrue(serve.waitFor(30, TimeUnit.SECONDS));
        }
        assertFalse(Files.readString(tmp.resolve("serve.err")).contains(token), "the token is never logged");
    }
}
