package io.wssink.forward;

import io.wssink.WebSocketSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class InsecureWarningTest {
    @TempDir
    Path tmp;

    @Test
    void insecureMustBeSpelledOutAndIsWarnedAboutAtEveryStart() throws Exception {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int start = 0; start < 2; start++) {
                WebSocketSink.builder().url("wss://127.0.0.1:1/").spool(tmp.resolve("spool")).insecure(true).build().close();
            }
            WebSocketSink.builder().url("wss://127.0.0.1:1/").spool(tmp.resolve("spool")).build().close();
        } finally {
            System.setErr(realErr);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertEquals(2, logs.split("TLS certificate and hostname verification are OFF", -1).length - 1, logs);
    }
}
