package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.spool.Spool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Reads events from stdin (a line each; with --binary, a 4-byte big-endian length then the bytes), spools each, and forwards them. Without --follow, exits once stdin ended and every event is acknowledged (delivered, in raw mode). SIGINT/SIGTERM drain and exit; the spool keeps the rest: run again with </dev/null to deliver it.",
        footer = ExitCodes.HELP)
final class SendCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    SinkOptions options;

    @Option(names = "--binary", description = "Read length-prefixed binary records instead of lines.")
    boolean binary;

    @Option(names = "--follow", description = "Keep forwarding after stdin ends, until interrupted.")
    boolean follow;

    @Option(names = "--timeout", description = "Longest wait for acks once stdin ended, ISO-8601 (default: none).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        WebSocketSink sink = options.builder().build();
        Thread onSignal = new Thread(() -> {
            sink.close(); // drains as the protocol says; what is not acked stays spooled
            System.err.println("wssink: interrupted; " + spooled(options.spool) + " events stay in the spool");
            Runtime.getRuntime().halt(ExitCodes.INTERRUPTED);
        }, "wssink-signal");
        Runtime.getRuntime().addShutdownHook(onSignal);
        if (binary) {
            readBinary(sink);
        } else {
            readLines(sink);
        }
        if (follow) {
            new CountDownLatch(1).await(); // until a signal
        }
        int code = awaitDelivery(sink);
        Runtime.getRuntime().removeShutdownHook(onSignal);
        sink.close();
        return code;
    }

    private static void readLines(WebSocketSink sink) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            sink.write(line);
        }
    }

    private static void readBinary(WebSocketSink sink) throws Exception {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(System.in, 1 << 16));
        while (true) {
            int length;
            try {
                length = in.readInt();
            } catch (EOFException end) {
                return;
            }
            if (length < 0) {
                throw new IllegalArgumentException("binary record with negative length " + length);
            }
            byte[] event = new byte[length];
            in.readFully(event);
            sink.write(event);
        }
    }

    private int awaitDelivery(WebSocketSink sink) throws InterruptedException {
        long last = sink.status().spool().lastId();
        if (last == Spool.NONE) {
            return ExitCodes.OK;
        }
        try {
            if (timeout == null) {
                sink.acked(last).get();
            } else {
                sink.acked(last).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            return ExitCodes.OK;
        } catch (TimeoutException e) {
            System.err.println("wssink: " + remaining(sink) + " events still spooled after " + timeout
                    + (sink.status().lastError() == null ? "" : " (last error: " + sink.status().lastError() + ")")
                    + "; run again on the same spool to deliver them");
            return ExitCodes.TIMEOUT;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static long remaining(WebSocketSink sink) {
        return sink.status().spool().backlogEvents();
    }

    /** The backlog of a spool no sink has open any more. */
    private static String spooled(java.nio.file.Path spool) {
        try (Spool s = Spool.open(io.wssink.spool.SpoolConfig.builder(spool).createIfMissing(false).build())) {
            return Long.toString(s.stats().backlogEvents());
        } catch (RuntimeException e) {
            return "the unacknowledged";
        }
    }
}
