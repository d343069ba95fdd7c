package io.wssink.internal.forward;

import io.wssink.WebSocketSink;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A child process that writes "tag-n" events through a WebSocketSink and prints "W tag-n" once each write returned;
 * with n = 0 it only forwards what is spooled, and prints "DRAINED" once all of it is acknowledged.
 */
public final class SendingChild {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path spool = Path.of(args[1]);
        String tag = args[2];
        int count = Integer.parseInt(args[3]);
        try (WebSocketSink sink = WebSocketSink.builder().url(url).spool(spool)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            System.out.println("READY");
            for (int i = 0; i < count; i++) {
                sink.write(tag + "-" + i);
                System.out.println("W " + tag + "-" + i);
            }
            if (count == 0) {
                long last = sink.status().spool().lastId();
                sink.acked(last).get(60, TimeUnit.SECONDS);
                System.out.println("DRAINED");
            }
        }
    }
}
