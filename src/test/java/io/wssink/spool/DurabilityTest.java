package io.wssink.spool;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** What operators write for --durability and the appender's element, and the one error for anything else. */
class DurabilityTest {
    @Test
    void theNamesAndAnIntervalInMillisecondsSecondsOrIso8601() {
        assertSame(Durability.PROCESS, Durability.parse(" Process "));
        assertSame(Durability.SYNC_EACH, Durability.parse("sync-each"));
        assertEquals(Durability.syncInterval(Duration.ofMillis(200)), Durability.parse("sync-interval:200ms"));
        assertEquals(Durability.syncInterval(Duration.ofSeconds(5)), Durability.parse("sync-interval:5s"));
        assertEquals(Durability.syncInterval(Duration.ofSeconds(5)), Durability.parse("sync-interval:PT5S"));
        assertEquals(Durability.syncInterval(Duration.ofMinutes(1)), Durability.parse("sync-interval:1m"));
        assertEquals(Durability.syncInterval(Duration.ofHours(1)), Durability.parse("sync-interval:1H"));
    }

    @Test
    void anythingElseIsAnIllegalArgumentNamingTheChoices() {
        // "5 seconds" threw DateTimeParseException, which the CLI took for a failure (exit 1), not bad input (2)
        for (String bad : new String[] {"sync-interval:5 seconds", "sync-interval:", "sync-interval:ms",
                "sync-interval:-5s", "sync-interval:0ms", "sync-interval:5", "sync-interval:5w",
                "sync-interval:9999999999999999d", "always"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durability.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("durability must be process, sync-each or sync-interval:<interval>")
                    || e.getMessage().startsWith("sync interval must be positive"), e.getMessage());
        }
    }
}
