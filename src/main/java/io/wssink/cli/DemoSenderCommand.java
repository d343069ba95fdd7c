package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.internal.spool.Spool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The demo's sending side, run as a child process so that the demo can SIGKILL it. */
@Command(name = "demo-sender", hidden = true)
final class DemoSenderCommand implements Callable<Integer> {
    @Option(names = "--url", required = true)
    String url;
    @Option(names = "--spool", required = true)
    Path spool;
    @Option(names = "--tag", required = true)
    String tag;
    @Option(names = "--rate", defaultValue = "20000", description = "events per second")
    int rate;
    @Option(names = "--drain", description = "write nothing; exit once the spool is delivered")
    boolean drain;
    @Option(names = "--print-messages", description = "print each message from the receiver as a line \"M message\"")
    boolean printMessages;

    @Override
    public Integer call() throws Exception {
        try (WebSocketSink sink = WebSocketSink.builder().url(url).spool(spool)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(500))
                .onMessage(printMessages ? m -> SendCommand.print("M ", m) : null).build()) {
            if (drain) {
                long last = sink.status().spool().lastId();
                if (last != Spool.NONE) {
                    sink.acked(last).get(120, TimeUnit.SECONDS);
                }
                return ExitCodes.OK;
            }
            // "W tag-n" goes out only after write(tag-n) returned: the demo counts those as written
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
            long nanosPerEvent = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (long n = 0; ; n++) {
                sink.write(tag + "-" + n);
                out.write("W ");
                out.write(Long.toString(n));
                out.newLine();
                out.flush(); // every line: a kill loses at most the write under way, so "written" stays exact
                             // (flushed every 256, a kill lost up to 255 lines and the summary said more events
                             // were received than written)
                next += nanosPerEvent;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
    }
}
