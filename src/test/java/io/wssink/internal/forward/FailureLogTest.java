package io.wssink.internal.forward;

import io.wssink.internal.transport.Failure;
import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FailureLogTest {
    private static long warnings(String log) {
        return log.lines().filter(l -> l.contains("WARN")).count();
    }

    @Test
    void eachKindIsLoggedOnceUntilASuccess() {
        FailureLog failures = new FailureLog(LoggerFactory.getLogger(FailureLogTest.class));
        Failure refused = new Failure(Failure.Kind.REFUSED, "cannot connect: Connection refused");
        try (CapturedStderr err = new CapturedStderr()) {
            for (int i = 0; i < 5; i++) {
                failures.failure(refused, refused.text(), "ws://x/", 100);
            }
            assertEquals(1, warnings(err.text()), err.text());
            failures.failure(new Failure(Failure.Kind.HTTP_STATUS, 401, "handshake refused: HTTP 401"), "401",
                    "ws://x/", 100);
            failures.failure(new Failure(Failure.Kind.HTTP_STATUS, 503, "handshake refused: HTTP 503"), "503",
                    "ws://x/", 100);
            assertEquals(3, warnings(err.text()), "another code is another kind: " + err.text());
            failures.failure(refused, refused.text(), "ws://y/", 100);
            assertEquals(3, warnings(err.text()), "kinds alternating still log each once: " + err.text());
        }
        assertEquals(8, failures.success(), "the success ended every failure since the last one");
        assertEquals(0, failures.success());
        try (CapturedStderr err = new CapturedStderr()) {
            failures.failure(refused, refused.text(), "ws://x/", 100);
            assertEquals(1, warnings(err.text()), "logged again after a success: " + err.text());
        }
    }
}
