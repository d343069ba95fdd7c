package io.wssink.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** `wssink demo --ui` from the jar: its console serves the page and three live streams, and senders print messages. */
class DemoUiIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern STREAM = Pattern.compile("\"stream\":\"([0-9a-f-]{36})\",\"connected\":true");

    private Process demo;
    private List<ProcessHandle> children = List.of();

    @AfterEach
    void cleanUp() {
        if (demo != null) {
            demo.toHandle().destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void theDemoRunsUntilInterruptedWithAConsoleWhoseMessagesTheSendersPrint() throws Exception {
        demo = Jar.command("demo", "--ui").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> out = new CopyOnWriteArrayList<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.add(line);
                }
            } catch (Exception ignored) {
                // the demo ended
            }
        }, "demo-ui-out");
        pump.setDaemon(true);
        pump.start();
        await().atMost(WAIT).until(() -> out.stream().anyMatch(l -> l.startsWith("console on ")));
        String url = out.stream().filter(l -> l.startsWith("console on ")).findFirst().orElseThrow().substring(11);
        HttpClient http = HttpClient.newHttpClient();
        assertTrue(http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                .body().contains("wssink console"), "the page comes from the jar");
        String[] streams = new String[1];
        await().atMost(WAIT).until(() -> {
            String list = http.send(HttpRequest.newBuilder(URI.create(url + "api/streams")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = STREAM.matcher(list);
            int n = 0;
            while (m.find()) {
                streams[0] = m.group(1);
                n++;
            }
            return n == 3;
        });
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(url + "api/streams/" + streams[0]
                        + "/messages")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("slow down")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, posted.statusCode(), posted.body());
        await().atMost(WAIT).until(() -> out.stream().anyMatch(l -> l.endsWith(" received: slow down")));
        assertTrue(demo.isAlive(), "the demo runs until interrupted");

        children = demo.descendants().toList();
        assertEquals(3, children.size(), "three senders");
        demo.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook stops the senders
        assertTrue(demo.waitFor(60, TimeUnit.SECONDS));
        await().atMost(WAIT).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
    }
}
