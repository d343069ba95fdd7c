package io.wssink;

import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolFullException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The sink's builder hands every spool setting to the spool's own builder, in any order. */
class WebSocketSinkBuilderTest {
    @TempDir
    Path tmp;

    @Test
    void spoolSettingsReachTheSpoolWhetherGivenBeforeOrAfterItsDirectory() {
        // port 1 on loopback refuses: the forwarder backs off, which is all this test needs of it
        try (WebSocketSink sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").maxEventBytes(100)
                .blockSize(1 << 20).spool(tmp.resolve("spool")).maxSpoolBytes(8 << 20).fullPolicy(FullPolicy.FAIL)
                .rollPeriod(RollPeriod.DAILY).blockTimeout(Duration.ofSeconds(1)).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sink.write(new byte[101]));
            assertTrue(e.getMessage().contains("exceeds maxEventBytes 100"), e.getMessage());
            assertTrue(sink.write(new byte[100]) > 0);
        }
        try (Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20)
                .maxSpoolBytes(8 << 20).rollPeriod(RollPeriod.DAILY).createIfMissing(false).build())) {
            assertEquals(1, spool.stats().backlogEvents(), "the sink wrote into the directory it was given");
        }
    }

    @Test
    void theFreeDiskFloorIsASettingOfTheSinkAndANegativeOneIsRefused() {
        // a floor above any disk's free space: the spool is full at once, with the disk named
        try (WebSocketSink sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(tmp.resolve("spool"))
                .fullPolicy(FullPolicy.FAIL).minFreeDiskBytes(Long.MAX_VALUE / 4).build()) {
            SpoolFullException e = assertThrows(SpoolFullException.class, () -> sink.write(new byte[100]));
            assertTrue(e.getMessage().contains("bytes free, below the floor of " + Long.MAX_VALUE / 4),
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WebSocketSink.builder().minFreeDiskBytes(-1));
        assertEquals("minFreeDiskBytes must be at least one block, not -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WebSocketSink.builder().url("ws://127.0.0.1:1/")
                .spool(tmp.resolve("spool-2")).minFreeDiskBytes(1 << 20).blockSize(2 << 20).build());
        assertTrue(e.getMessage().startsWith(
                "minFreeDiskBytes (1048576) must be at least one block (blockSize 2097152)"), e.getMessage());
    }

    @Test
    void aSinkWithoutASpoolDirectoryIsRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WebSocketSink.builder().url("ws://127.0.0.1:1/").maxSpoolBytes(8 << 20).build());
        assertTrue(e.getMessage().startsWith("a spool directory is needed: WebSocketSink.builder().spool(path)"),
                e.getMessage());
    }
}
