package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class InsecureWarningTest {
    @TempDir
    Path tmp;

    @Test
    void insecureMustBeSpelledOutAndIsWarnedAboutAtEveryStart() throws Exception {
        String logs;
        try (CapturedStderr err = new CapturedStderr()) {
            for (int start = 0; start < 2; start++) {
                WebSocketSink.builder().url("wss://127.0.0.1:1/").spool(tmp.resolve("spool")).insecure(true).build().close();
            }
            WebSocketSink.builder().url("wss://127.0.0.1:1/").spool(tmp.resolve("spool")).build().close();
            logs = err.text();
        }
        assertEquals(2, logs.split("TLS certificate and hostname verification are OFF", -1).length - 1, logs);
    }
}
