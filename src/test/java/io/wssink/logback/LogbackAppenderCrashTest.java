package io.wssink.logback;

import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.ChildJvm;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A child JVM configured by a real logback.xml (the WebSocketAppender with Logback's JsonEncoder, on the root logger
 * beside a console appender) logs 100k events and is SIGKILLed about half way; a second child on the same spool
 * delivers the rest. Every event whose log call returned reaches the receiver once, in order.
 *
 * <p>The children run without slf4j-simple on their class path ({@link ChildJvm#classPathWithout}), so Logback is
 * SLF4J's only provider there, and the sink's own log lines (io.wssink.*) reach the appender too: they must go to
 * the console, never to the receiver. The kill point is seeded: rerun with -Dwssink.test.seed=SEED.
 */
class LogbackAppenderCrashTest {
    private static final long SEED = Long.getLong("wssink.test.seed", System.nanoTime());
    private static final Pattern MESSAGE = Pattern.compile("\"loggerName\":\"app\".*\"message\":\"([^\"]*)\"");

    @TempDir
    Path tmp;

    @Test
    void everyEventLoggedBeforeAKillArrivesOnceInOrder() throws Exception {
        Random random = new Random(SEED);
        String seed = " (seed " + SEED + ")";
        Path out = tmp.resolve("out.txt");
        Path spool = tmp.resolve("spool");
        Path err = tmp.resolve("child.err");
        String classPath = ChildJvm.classPathWithout("slf4j-simple");
        assertFalse(classPath.contains("slf4j-simple"));
        List<String> logged = new ArrayList<>();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            Path xml = logbackXml(receiver.url(), spool);
            int killAfter = 40_000 + random.nextInt(20_000);
            try (ChildJvm first = ChildJvm.start(classPath, LoggingChild.class, err, xml.toString(), "a", "100000")) {
                await().atMost(Duration.ofSeconds(120)).until(() -> first.lineCount() > killAfter || !first.isAlive());
                assertTrue(first.isAlive(), "the first child still logs when it is killed" + seed + "\n" + Files.readString(err));
                first.kill();
                for (String line : first.lines()) {
                    if (line.startsWith("L ")) {
                        logged.add(line.substring(2));
                    }
                }
            }
            assertTrue(logged.size() > 40_000 && logged.size() < 100_000, logged.size() + " logged before the kill" + seed);
            try (ChildJvm second = ChildJvm.start(classPath, LoggingChild.class, err, xml.toString(), "b", "1000")) {
                assertEquals(0, second.waitFor(180), "the second child drains and exits\n" + Files.readString(err));
                assertTrue(second.lines().contains("DRAINED"));
                assertTrue(second.lines().contains("STOPPED"), "LoggerContext.stop() stops the appender");
                for (String line : second.lines()) {
                    if (line.startsWith("L ")) {
                        logged.add(line.substring(2));
                    }
                }
            }
        }
        List<String> received = new ArrayList<>();
        for (String line : Output.lines(out)) {
            Matcher m = MESSAGE.matcher(line);
            assertTrue(m.find(), "every payload is a JsonEncoder event, none is the sink's own log line: " + line);
            received.add(m.group(1));
        }
        assertEquals(received.size(), new HashSet<>(received).size(), "no event arrived twice" + seed);
        Set<String> got = new HashSet<>(received);
        for (String event : logged) {
            assertTrue(got.contains(event), event + " was logged but never arrived" + seed);
        }
        // in order: every a before every b, each tag by index; nothing but what the children logged
        String previous = "a";
        int index = -1;
        for (String event : received) {
            String tag = event.substring(0, 1);
            int i = Integer.parseInt(event.substring(2));
            assertTrue(tag.compareTo(previous) > 0 || tag.equals(previous) && i > index,
                    event + " arrived after " + previous + "-" + index + seed);
            previous = tag;
            index = i;
        }
        String stderr = Files.readString(err);
        assertTrue(stderr.contains("connected to"), "the sink's own log lines went to the console appender:\n" + stderr);
        assertFalse(stderr.contains("multiple SLF4J providers") || stderr.contains("Multiple bindings"),
                "Logback is the children's only SLF4J provider:\n" + stderr);
    }

    private Path logbackXml(String url, Path spool) throws Exception {
        Path xml = tmp.resolve("logback.xml");
        Files.writeString(xml, """
                <configuration>
                  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%%level %%logger - %%msg%%n</pattern></encoder>
                  </appender>
                  <appender name="WS" class="io.wssink.logback.WebSocketAppender">
                    <url>%s</url>
                    <spool>%s</spool>
                    <durability>process</durability>
                    <fullPolicy>block</fullPolicy>
                    <drainTimeout>10s</drainTimeout>
                    <encoder class="ch.qos.logback.classic.encoder.JsonEncoder"/>
                  </appender>
                  <root level="INFO">
                    <appender-ref ref="CONSOLE"/>
                    <appender-ref ref="WS"/>
                  </root>
                  <logger name="app" level="INFO" additivity="false">
                    <appender-ref ref="WS"/>
                  </logger>
                </configuration>
                """.formatted(url, spool));
        return xml;
    }
}
