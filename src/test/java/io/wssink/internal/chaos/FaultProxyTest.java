package io.wssink.internal.chaos;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The proxy's delays must keep a stream in order, as TCP does: the chaos soak relies on it. */
class FaultProxyTest {
    @Test
    void delaysSwitchedOnAndOffNeverReorderTheStream() throws Exception {
        int n = 200_000;
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             FaultProxy proxy = new FaultProxy(target.getLocalPort())) {
            CompletableFuture<Integer> checked = CompletableFuture.supplyAsync(() -> {
                try (Socket s = target.accept(); DataInputStream in = new DataInputStream(s.getInputStream())) {
                    for (int i = 0; i < n; i++) {
                        int got = in.readInt();
                        if (got != i) {
                            return got == 0 ? -1 : i;
                        }
                    }
                    return n;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
                 DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
                for (int i = 0; i < n; i++) {
                    if (i % 20_000 == 0) {
                        proxy.delay(i % 40_000 == 0 ? 30 : 0);
                    }
                    out.writeInt(i);
                    if (i % 64 == 0) {
                        out.flush();
                    }
                }
                out.flush();
                assertEquals(n, checked.get(60, TimeUnit.SECONDS), "the first int out of order");
            }
        }
    }
}
