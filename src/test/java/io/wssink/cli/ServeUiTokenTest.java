package io.wssink.cli;

import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `serve --ui` reachable from other hosts without a token would let anyone message every job: refused. */
class ServeUiTokenTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a serve that starts would run forever
    void serveUiOnAnAddressOtherThanLoopbackWithoutATokenRefusesToStartWithOneLineAndExit2() throws Exception {
        for (String bind : new String[] {"0.0.0.0", "::", "192.0.2.1"}) {
            Path out = tmp.resolve("out-" + bind.replace(':', '_') + ".txt");
            try (CapturedStderr err = new CapturedStderr()) {
                int code = Main.run(Map.of(), "serve", "--bind", bind, "--port", "0", "--out", out.toString(), "--ui");
                assertEquals(ExitCodes.USAGE, code, err.text());
                // the logging backend announces itself once per JVM on stderr: not the command's output
                String text = err.text().lines().filter(l -> !l.startsWith("SLF4J(")).reduce("", (x, y) -> x + y + "\n")
                        .trim();
                assertFalse(text.contains("\n"), "one line: " + text);
                assertTrue(text.startsWith("wssink: --ui on " + bind + " without a token"), text);
                assertTrue(text.contains("--ui-without-token"), "it says how to go on: " + text);
            }
            assertFalse(Files.exists(out), "nothing was started or created for " + bind);
        }
    }

    @Test
    void aTokenLoopbackOrTheExplicitFlagLetsTheConsoleStart() {
        assertNull(ServeCommand.uiRefusal(true, false, "127.0.0.1", false), "loopback stays allowed");
        assertNull(ServeCommand.uiRefusal(true, false, "::1", false));
        assertNull(ServeCommand.uiRefusal(true, false, "localhost", false));
        assertNull(ServeCommand.uiRefusal(true, true, "0.0.0.0", false), "a token (or token file)");
        assertNull(ServeCommand.uiRefusal(true, false, "0.0.0.0", true), "--ui-without-token");
        assertNull(ServeCommand.uiRefusal(false, false, "0.0.0.0", false), "no console, nothing to refuse");
        assertNotNull(ServeCommand.uiRefusal(true, false, "10.1.2.3", false));
    }
}
