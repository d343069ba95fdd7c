package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.protocol.InboundMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Reads events from stdin (a line each, as text, or as a binary event of its bytes if it is not UTF-8; with --binary, a 4-byte big-endian length then the bytes), spools each, and forwards them. Each message from the receiver goes to stdout, one per line, as it arrives: text as is, binary (and text holding a line break or starting with base64:) as base64: and the bytes in base64. Without --follow, exits once stdin ended and every event is acknowledged (delivered, in raw mode). SIGINT/SIGTERM drain and exit 130; the spool keeps the rest: run again with </dev/null to deliver it. A line or record longer than --max-event-bytes, or stdin ending inside a record, stops reading: what came before is delivered, then exit 1.",
        footer = ExitCodes.HELP)
final class SendCommand implements Callable<Integer> {
    @Mixin
    SinkOptions options;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--binary", description = "Read length-prefixed binary records instead of lines.")
    boolean binary;

    @Option(names = "--follow", description = "Keep forwarding after stdin ends, until interrupted.")
    boolean follow;

    @Option(names = "--timeout", description = "Longest wait for acks once stdin ended, e.g. 30s or PT30S (default: none).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        int maxEventBytes = options.maxEventBytes();
        WebSocketSink sink = options.builder().onMessage(SendCommand::print).build();
        MetricsServer endpoint;
        try {
            endpoint = metrics.start(sink);
        } catch (RuntimeException e) {
            sink.close();
            throw e;
        }
        AtomicBoolean finished = new AtomicBoolean();
        Thread onSignal = new Thread(() -> {
            if (finished.get()) {
                return; // the command ended on its own (an error included): its own exit code stands
            }
            closeEndpoint(endpoint); // first: no scrape reads a spool being closed
            sink.close(); // drains as the protocol says; what is not acked stays spooled
            System.err.println("wssink: interrupted; " + spooled(options.spool) + " events stay in the spool");
            Runtime.getRuntime().halt(ExitCodes.INTERRUPTED);
        }, "wssink-signal");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            String badInput = binary ? readBinary(sink, maxEventBytes) : readLines(sink, maxEventBytes);
            if (follow && badInput == null) {
                new CountDownLatch(1).await(); // until a signal
            }
            int code = awaitDelivery(sink); // what was read before bad input is delivered too
            if (badInput != null) {
                throw new IllegalStateException(badInput + (code == ExitCodes.OK ? "; the events before it were"
                        + " delivered" : "; the events before it stay in the spool"));
            }
            return code;
        } finally {
            finished.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, and returns at once: finished is set
            }
            closeEndpoint(endpoint); // first: a scrape racing the shutdown must not read a spool being closed
            sink.close();
        }
    }

    static void closeEndpoint(MetricsServer endpoint) {
        if (endpoint != null) {
            endpoint.close();
        }
    }

    /**
     * Writes a message from the receiver to stdout as one line, flushed at once so that a pipeline reacts to it: text
     * as is; binary, and text that would not read back as itself (a line break in it, or the prefix), as
     * {@code base64:} and the bytes in standard base64. Runs on the sink's message thread, one message at a time.
     */
    static void print(InboundMessage message) {
        print("", message);
    }

    /** As {@link #print(InboundMessage)}, after {@code prefix}. */
    static void print(String prefix, InboundMessage message) {
        String line = message.isText() ? message.text() : null;
        if (line == null || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.startsWith(BASE64)) {
            line = BASE64 + Base64.getEncoder().encodeToString(message.data());
        }
        byte[] bytes = (prefix + line + "\n").getBytes(StandardCharsets.UTF_8); // UTF-8 whatever the locale says
        synchronized (System.out) {
            System.out.write(bytes, 0, bytes.length);
            System.out.flush();
        }
    }

    static final String BASE64 = "base64:";

    /**
     * Spools a line per event (ended by LF, CR or CRLF, as BufferedReader reads them), holding at most
     * maxEventBytes + 1 bytes of a line in memory.
     *
     * @return null at the end of stdin, or why the input is refused
     */
    private static String readLines(WebSocketSink sink, int maxEventBytes) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        boolean[] toldOfBytes = {false};
        InputStream in = new BufferedInputStream(System.in, 1 << 16);
        byte[] line = new byte[Math.min(maxEventBytes + 1, 1 << 16)];
        int length = 0;
        long number = 1;
        boolean afterCr = false;
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n' && afterCr) {
                afterCr = false;
                continue; // the LF of a CRLF
            }
            afterCr = c == '\r';
            if (c == '\n' || c == '\r') {
                spoolLine(sink, line, length, number, utf8, toldOfBytes);
                length = 0;
                number++;
                continue;
            }
            if (length == maxEventBytes) {
                return "line " + number + " of stdin is longer than the largest event, " + maxEventBytes
                        + " bytes (--max-event-bytes); nothing from it on was spooled";
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(maxEventBytes + 1, line.length * 2));
            }
            line[length++] = (byte) c;
        }
        if (length > 0) {
            spoolLine(sink, line, length, number, utf8, toldOfBytes); // a last line without a line break
        }
        return null;
    }

    /**
     * Spools a line as a text event when it is UTF-8, else as a binary event of its exact bytes (said once on
     * stderr). Decoded anyway, each bad byte became U+FFFD: the event changed, and, three bytes for one, could
     * outgrow --max-event-bytes, which ended send with exit 2 before it waited for the events before it.
     */
    private static void spoolLine(WebSocketSink sink, byte[] line, int length, long number, CharsetDecoder utf8,
                                  boolean[] toldOfBytes) {
        String text;
        try {
            text = utf8.decode(ByteBuffer.wrap(line, 0, length)).toString();
        } catch (CharacterCodingException notUtf8) {
            if (!toldOfBytes[0]) {
                toldOfBytes[0] = true;
                System.err.println("wssink: line " + number + " of stdin is not UTF-8: sent as a binary event, byte"
                        + " for byte (as is any later such line)");
            }
            sink.write(Arrays.copyOf(line, length));
            return;
        }
        sink.write(text);
    }

    /**
     * Spools length-prefixed records, checking each length before allocating for it.
     *
     * @return null at the end of stdin, or why the input is refused
     */
    private static String readBinary(WebSocketSink sink, int maxEventBytes) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        for (long number = 1; ; number++) {
            int first = in.read();
            if (first == -1) {
                return null;
            }
            byte[] rest = new byte[3];
            try {
                in.readFully(rest);
            } catch (EOFException cut) {
                return "stdin ended inside the length of binary record " + number + "; it was not spooled";
            }
            int length = first << 24 | (rest[0] & 0xff) << 16 | (rest[1] & 0xff) << 8 | (rest[2] & 0xff);
            if (length < 0 || length > maxEventBytes) {
                return "binary record " + number + " of stdin has length " + Integer.toUnsignedString(length)
                        + ", more than the largest event, " + maxEventBytes + " bytes (--max-event-bytes);"
                        + " nothing from it on was spooled";
            }
            byte[] event = new byte[length];
            try {
                in.readFully(event);
            } catch (EOFException cut) {
                return "stdin ended inside binary record " + number + " (" + length + " bytes announced);"
                        + " it was not spooled";
            }
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
    private static String spooled(Path spool) {
        try (Spool s = Spool.open(SpoolConfig.builder(spool).createIfMissing(false).build())) {
            return Long.toString(s.stats().backlogEvents());
        } catch (RuntimeException e) {
            return "the unacknowledged";
        }
    }
}
