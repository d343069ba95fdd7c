package io.wssink.internal.spool;

import io.wssink.testing.ChildJvm;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SpoolProducersTest {
    @TempDir
    Path tmp;

    @Test
    void twoProcessesAppendingAtOnceGetUniqueIncreasingIdsAndLoseNothing() throws Exception {
        Path dir = tmp.resolve("spool");
        int each = 50_000;
        try (Spool created = Spool.open(SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(256L << 20)
                .maxEventBytes(1 << 16).build())) {
            assertNotNull(created.streamId()); // both children open an existing spool
        }
        try (ChildJvm a = ChildJvm.start(AppendingChild.class, tmp.resolve("a.err"), dir.toString(), "a", "" + each);
             ChildJvm b = ChildJvm.start(AppendingChild.class, tmp.resolve("b.err"), dir.toString(), "b", "" + each)) {
            assertEquals(0, a.waitFor(120));
            assertEquals(0, b.waitFor(120));
            assertEquals("DONE", a.lines().get(a.lineCount() - 1));
            assertEquals("DONE", b.lines().get(b.lineCount() - 1));
        }
        try (Spool spool = Spool.open(SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(256L << 20)
                .maxEventBytes(1 << 16).build())) {
            List<Event> all = Spools.readAll(spool);
            assertEquals(2 * each, all.size());
            Set<Long> ids = new HashSet<>();
            long previous = Long.MIN_VALUE;
            int nextA = 0;
            int nextB = 0;
            for (Event e : all) {
                assertTrue(e.id() > previous, "ids strictly increase");
                previous = e.id();
                assertTrue(ids.add(e.id()));
                if (e.text().startsWith("a-")) {
                    assertEquals("a-" + nextA++, e.text(), "each producer's events keep their order");
                } else {
                    assertEquals("b-" + nextB++, e.text());
                }
            }
            assertEquals(each, nextA);
            assertEquals(each, nextB);
            assertEquals(2L * each, spool.stats().appendedEvents(), "counters are shared across processes");
        }
    }
}
