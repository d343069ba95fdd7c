package io.wssink.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is written to System.err (where wssink's logs go) until closed: slf4j-simple resolves System.err at
 * each write, so the real log lines are seen.
 */
public final class CapturedStderr implements AutoCloseable {
    private final PrintStream real = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    public CapturedStderr() {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    public String text() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        System.setErr(real);
    }
}
