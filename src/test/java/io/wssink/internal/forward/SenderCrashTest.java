package io.wssink.internal.forward;

import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.ChildJvm;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The sending process is SIGKILLed mid-stream and restarted on its spool: every returned write arrives, once, in the
 * order written. The kill points are seeded (rerun a failure with -Dwssink.test.seed=SEED): the seed replays the
 * schedule, the number of lines after which each child is killed; the instant of the kill within the append that is
 * under way then is the machine's.
 */
class SenderCrashTest {
    private static final long SEED = Long.getLong("wssink.test.seed", System.nanoTime());

    @TempDir
    Path tmp;

    @Test
    void everyWriteThatReturnedArrivesExactlyOnceAcrossTenKills() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path spool = tmp.resolve("spool");
        Random random = new Random(SEED);
        String seed = " (seed " + SEED + ")";
        Set<String> returned = new HashSet<>();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            for (int round = 0; round < 10; round++) {
                int killAfter = 1 + random.nextInt(20_000);
                try (ChildJvm child = ChildJvm.start(SendingChild.class, tmp.resolve("child.err"),
                        receiver.url(), spool.toString(), "r" + round, "10000000")) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> child.lineCount() > killAfter || !child.isAlive());
                    child.kill();
                    for (String line : child.lines()) {
                        if (line.startsWith("W ")) {
                            returned.add(line.substring(2));
                        }
                    }
                }
            }
            try (ChildJvm drain = ChildJvm.start(SendingChild.class, tmp.resolve("child.err"),
                    receiver.url(), spool.toString(), "drain", "0")) {
                assertEquals(0, drain.waitFor(120), "the last sender drains the spool and exits");
                assertTrue(drain.lines().contains("DRAINED"));
            }
        }
        List<String> lines = Output.lines(out);
        assertEquals(lines.size(), new HashSet<>(lines).size(), "no event was written twice by the receiver" + seed);
        Set<String> received = new HashSet<>(lines);
        for (String event : returned) {
            assertTrue(received.contains(event), event + " returned from write but never arrived" + seed);
        }
        assertTrue(returned.size() > 10, "the children wrote something" + seed);
        // in the order written: round by round ("r0-..." before "r1-..."), and within a round by index
        int round = -1;
        int index = -1;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int r = Integer.parseInt(line.substring(1, dash));
            int i = Integer.parseInt(line.substring(dash + 1));
            assertTrue(r > round || r == round && i > index, line + " arrived after r" + round + "-" + index + seed);
            round = r;
            index = i;
        }
    }
}
