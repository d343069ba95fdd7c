package io.wssink.cli;

import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** serve's Kafka options refuse what cannot work with one line and the right exit code, before any connection. */
class ServeKafkaOptionsTest {
    @TempDir
    Path tmp;

    private static void assertRefused(int exit, String contains, String... args) {
        try (CapturedStderr err = new CapturedStderr()) {
            assertEquals(exit, Main.run(args), err.text());
            String text = err.text().lines().filter(l -> !l.startsWith("SLF4J")).reduce("", (a, b) -> a + b + "\n")
                    .strip();
            assertTrue(text.contains(contains), text);
            assertEquals(1, text.lines().count(), "one line: " + text);
        }
    }

    @Test
    void kafkaNeedsATopicAndExcludesOut() {
        assertRefused(ExitCodes.USAGE, "--kafka needs --topic", "serve", "--kafka", "127.0.0.1:1");
        assertRefused(ExitCodes.USAGE, "not both", "serve", "--kafka", "127.0.0.1:1", "--topic", "t", "--out",
                tmp.resolve("out").toString());
        assertRefused(ExitCodes.USAGE, "serve needs --out FILE, or --kafka", "serve");
        assertRefused(ExitCodes.USAGE, "go with --kafka", "serve", "--out", tmp.resolve("out").toString(), "--topic",
                "t");
        assertFalse(Files.exists(tmp.resolve("out")), "nothing was created");
    }

    @Test
    void anUnknownGuaranteeIsAUsageError() {
        assertRefused(ExitCodes.USAGE, "--guarantee must be one of", "serve", "--kafka", "127.0.0.1:1", "--topic",
                "t", "--guarantee", "twice");
    }

    @Test
    void aProducerConfigThatSetsWhatTheGuaranteeNeedsIsRefused() throws Exception {
        Path config = tmp.resolve("producer.properties");
        Files.writeString(config, "acks=1\n");
        assertRefused(ExitCodes.USAGE, "sets acks", "serve", "--kafka", "127.0.0.1:1", "--topic", "t",
                "--producer-config", config.toString());
        assertRefused(ExitCodes.USAGE, "cannot read --producer-config", "serve", "--kafka", "127.0.0.1:1",
                "--topic", "t", "--producer-config", tmp.resolve("missing").toString());
    }
}
