package io.wssink.receiver;

import io.netty.buffer.ByteBuf;
import io.wssink.protocol.WireFormat;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The receiver's durable output: payloads appended to one file (a line per text event, or length-prefixed records
 * with binary output), and beside it a state file with the highest id per stream and the output's committed length.
 *
 * <p>Acks are sent only after {@link #commit()}: the output is written, then the state replaced atomically. A receiver
 * killed between the two finds, on restart, output past the committed length: it cuts it off, since the sink will
 * resend those records (they were never acked). So dedupe survives restarts and no record is written twice.
 * Thread-safe (one lock; the reference receiver favours clarity over throughput).
 */
public final class ReceiverStore implements AutoCloseable {
    private final Path output;
    private final Path state;
    private final boolean binary;
    private final FileChannel out;
    private final Map<String, Stream> streams = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 << 10);
    private long committedLength;
    private long writtenLength;
    private boolean dirty;
    private long records;
    private long duplicates;

    public ReceiverStore(Path output, boolean binary) throws IOException {
        this.output = output.toAbsolutePath();
        this.state = this.output.resolveSibling(this.output.getFileName() + ".state");
        this.binary = binary;
        if (Files.exists(state)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(state)) {
                p.load(r);
            }
            committedLength = Long.parseLong(p.getProperty("outputLength", "0"));
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("stream.")) {
                    stream(key.substring("stream.".length())).highest = Long.parseUnsignedLong(p.getProperty(key));
                }
            }
        }
        Files.createDirectories(this.output.getParent());
        out = FileChannel.open(this.output, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (out.size() > committedLength) {
            out.truncate(committedLength); // written but never acked: the sink resends it
        }
        writtenLength = out.size();
        committedLength = writtenLength;
        out.position(writtenLength);
    }

    /** One stream's dedupe state; a connection looks it up once, not per record. Guarded by the store's lock. */
    public static final class Stream {
        private final String id;
        private long highest;

        private Stream(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /** The state of {@code id}, made on first use. */
    public synchronized Stream stream(String id) {
        return streams.computeIfAbsent(id, Stream::new);
    }

    /** Whether the store already knows {@code id}. */
    public synchronized boolean knows(String id) {
        return streams.containsKey(id);
    }

    /** The highest id held for {@code stream}, or 0 when none. */
    public synchronized long highest(Stream stream) {
        return stream.highest;
    }

    public synchronized int streams() {
        return streams.size();
    }

    /**
     * Writes a wssink.v1 record unless its id is at or below the highest already held for the stream.
     *
     * @return false for a duplicate, which is dropped
     */
    public synchronized boolean accept(Stream stream, long id, ByteBuf payload) throws IOException {
        records++;
        if (Long.compareUnsigned(id, stream.highest) <= 0) {
            duplicates++;
            return false;
        }
        write(payload);
        stream.highest = id;
        return true;
    }

    /**
     * Checks a whole frame of records, then writes each that is new, under one lock.
     *
     * @return null, or why the frame is malformed (then nothing is written)
     */
    public synchronized String acceptFrame(Stream stream, ByteBuf frame) throws IOException {
        IOException[] failure = new IOException[1];
        String malformed = WireFormat.readRecords(frame, (id, payload) -> {
            if (failure[0] == null) {
                try {
                    accept(stream, id, payload);
                } catch (IOException e) {
                    failure[0] = e;
                }
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        return malformed;
    }

    /** Writes a raw-mode event (no id, no dedupe). */
    public synchronized void acceptRaw(ByteBuf payload) throws IOException {
        records++;
        write(payload);
    }

    private void write(ByteBuf payload) throws IOException {
        int length = payload.readableBytes();
        int need = length + (binary ? 4 : 1);
        if (buffer.remaining() < need) {
            drain();
        }
        if (buffer.remaining() < need) {
            ByteBuffer big = ByteBuffer.allocate(need);
            put(big, payload, length);
            big.flip();
            while (big.hasRemaining()) {
                out.write(big);
            }
        } else {
            put(buffer, payload, length);
        }
        writtenLength += need;
        dirty = true;
    }

    private void put(ByteBuffer to, ByteBuf payload, int length) {
        if (binary) {
            to.putInt(length);
        }
        int limit = to.limit();
        to.limit(to.position() + length);
        payload.getBytes(payload.readerIndex(), to);
        to.limit(limit);
        if (!binary) {
            to.put((byte) '\n');
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
    }

    /** Makes everything accepted so far part of the output and records the state; acks may then cover it. */
    public synchronized void commit() throws IOException {
        if (!dirty) {
            return;
        }
        drain();
        Properties p = new Properties();
        p.setProperty("outputLength", Long.toString(writtenLength));
        streams.forEach((id, stream) -> {
            if (stream.highest != 0) {
                p.setProperty("stream." + id, Long.toUnsignedString(stream.highest));
            }
        });
        Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            p.store(w, "wssink reference receiver: highest id per stream, and the output's committed length");
        }
        try {
            Files.move(tmp, state, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING);
        }
        committedLength = writtenLength;
        dirty = false;
    }

    /** Records received, including duplicates. */
    public synchronized long records() {
        return records;
    }

    /** Records dropped because their id was at or below the highest held. */
    public synchronized long duplicates() {
        return duplicates;
    }

    public Path output() {
        return output;
    }

    @Override
    public synchronized void close() throws IOException {
        commit();
        out.close();
    }
}
