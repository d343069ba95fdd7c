package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class SpoolConfigTest {
    @Test
    void theBuilderTakesItsDirectoryLikeAnyOtherSettingAndNeedsOne() {
        SpoolConfig.Builder b = SpoolConfig.builder().blockSize(1 << 20).maxSpoolBytes(8 << 20)
                .rollPeriod(RollPeriod.DAILY).fullPolicy(FullPolicy.FAIL).blockTimeout(Duration.ofSeconds(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith("a spool directory is needed"), e.getMessage());
        SpoolConfig c = b.directory(Path.of("/x")).build();
        assertEquals(Path.of("/x"), c.directory());
        assertEquals(1 << 20, c.blockSize());
        assertEquals(RollPeriod.DAILY, c.rollPeriod());
        assertEquals(FullPolicy.FAIL, c.fullPolicy());
        assertEquals(1 << 18, c.maxEventBytes(), "a quarter block when that is less than 1 MiB");
        assertEquals(c.maxSpoolBytes(), c.toBuilder().build().maxSpoolBytes());
        assertEquals(Path.of("/y"), SpoolConfig.builder(Path.of("/y")).build().directory());
    }
}
