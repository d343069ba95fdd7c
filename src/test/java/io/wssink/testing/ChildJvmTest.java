package io.wssink.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class ChildJvmTest {
    @TempDir
    Path tmp;

    @Test
    void afterAKillLinesHasEveryLineTheChildPrinted() throws Exception {
        // Process.destroyForcibly() closed our end of the pipe with the signal: a fast child's last lines, printed
        // but not yet read, were lost (2380 in one round of SpoolCrashTest), and the crash tests counted short.
        Path counter = tmp.resolve("printed");
        for (int round = 0; round < 3; round++) {
            try (ChildJvm child = ChildJvm.start(CountingChild.class, tmp.resolve("child.err"), counter.toString())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> child.lineCount() >= 20_000 || !child.isAlive());
                assertTrue(child.isAlive(), "the child prints until killed; see child.err");
                child.kill();
                long printed = ByteBuffer.wrap(Files.readAllBytes(counter)).getLong();
                List<String> lines = child.lines();
                // the count is stored after each write returned: killed in between, up to a whole chunk more is out
                assertTrue(lines.size() >= printed && lines.size() <= printed + CountingChild.CHUNK,
                        "round " + round + ": the child printed " + printed + " lines, lines() has " + lines.size());
                for (int i = 0; i < lines.size(); i++) {
                    assertEquals("L " + i, lines.get(i), "round " + round + ": line " + i);
                }
            }
        }
    }
}
