package io.wssink.receiver;

import io.netty.buffer.ByteBuf;

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
    private final Map<String, Long> highest = new HashMap<>();
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
                    highest.put(key.substring("stream.".length()), Long.parseUnsignedLong(p.getProperty(key)));
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

    /** The highest id held for {@code stream}, or 0 when none. */
    public synchronized long highest(String stream) {
        return highest.getOrDefault(stream, 0L);
    }

    public synchronized int streams() {
        return highest.size();
    }

    /**
     * Writes a wssink.v1 record unless its id is at or below the highest already held for the stream.
     *
     * @return false for a duplicate, which is dropped
     */
    public synchronized boolean accept(String stream, long id, ByteBuf payload) throws IOException {
        records++;
        long held = highest.getOrDefault(stream, 0L);
        if (Long.compareUnsigned(id, held) <= 0) {
            duplicates++;
            return false;
        }
        write(payload);
        highest.put(stream, id);
        return true;
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
        highest.forEach((stream, id) -> p.setProperty("stream." + stream, Long.toUnsignedString(id)));
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
