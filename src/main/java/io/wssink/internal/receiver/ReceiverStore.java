package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * Where the reference receiver keeps what it takes, and the dedupe state that makes it exactly-once: the highest id
 * held per stream. {@link FileReceiverStore} writes one file; another implementation may write elsewhere (a topic,
 * a database) as long as it keeps this contract:
 * <ul>
 *   <li>{@link #commit()} completes only once everything accepted before the call, and the highest ids that cover
 *       it, survive what the store promises to survive; an ack never covers more than a completed commit.</li>
 *   <li>A failed write or commit rolls the store back to its last completed commit and starts a new
 *       {@link #epoch()}: connections of an older epoch must close without acking, and their sinks resend.</li>
 *   <li>One owner per stream: records from a connection that is no longer its stream's owner are refused.</li>
 * </ul>
 * Called from the receiver's event loop; implementations are thread-safe.
 */
public interface ReceiverStore extends AutoCloseable {

    /** One stream's dedupe state; a connection looks it up once, not per record. Guarded by its store. */
    final class Stream {
        private final String id;
        long highest;
        long lastSeenMillis;
        Object owner;
        /** The {@code before} of the last gap notice reported; by the owning connection's event loop. */
        volatile long gapReportedBefore;

        Stream(String id, long highest, long lastSeenMillis) {
            this.id = id;
            this.highest = highest;
            this.lastSeenMillis = lastSeenMillis;
        }

        public String id() {
            return id;
        }
    }

    /** The refusal of a frame from a connection whose stream has a newer connection (compare by identity). */
    String REPLACED = new String("a newer connection for this stream replaced this one");

    /** Thrown by accept methods when the store cannot take more: a failed write, or a newer epoch. */
    final class StoreFailedException extends IOException {
        public StoreFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The state of stream {@code id}, made on first use; when the store already holds its maximum of streams, it
     * first forgets the ones idle for longer than its forget-after, and returns null if that made no room.
     */
    Stream stream(String id);

    /** Makes {@code owner} the stream's only writer; returns the previous owner, or null. */
    Object claim(Stream stream, Object owner);

    /**
     * Starts {@code owner}'s use of the stream it claimed; the resume ack waits for it. A store that must read the
     * stream's state from elsewhere (a topic) does it here, off the caller's thread; frames accepted meanwhile wait
     * in the store and are deduped once the state is known. Fails when the stream cannot be used: close without
     * acking. By default there is nothing to wait for.
     */
    default CompletableFuture<Void> open(Stream stream, Object owner) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Whether the store holds so much of {@code owner}'s stream not yet written that the caller should stop reading
     * its connection (back-pressure, instead of blocking the event loop); then the store calls {@code whenDrained},
     * from any thread, once it can take more or the stream's use ended. By default never: a store that writes in
     * the accept call needs none.
     */
    default boolean backlogged(Stream stream, Object owner, Runnable whenDrained) {
        return false;
    }

    /** Ends {@code owner}'s ownership, if it still has it; the stream's idle time starts now. */
    void release(Stream stream, Object owner);

    /**
     * Whether a commit is cheap enough to make at the end of every read burst ({@link ReceiverConfig#ackOnReadComplete}):
     * a file's group commit is, and so is at-least-once Kafka's (a wait for acknowledgements); an exactly-once Kafka
     * transaction per stream per commit is not, so that store commits every ack interval (or ackBytes) only.
     */
    default boolean commitsAtEveryReadBurst() {
        return true;
    }

    /** Counts what it takes into {@code m} from now on; called by the receiver that owns it, before it listens. */
    default void meters(ReceiverMeters m) {
    }

    /** The highest id held for {@code stream} (committed or not), or 0 when none. */
    long highest(Stream stream);

    /** Increases each time the store rolls back after a failure. */
    long epoch();

    /**
     * Checks a whole frame of wssink.v1 records, then writes each record above the stream's highest id.
     *
     * @return null, or why the frame is refused (malformed, an event the format cannot write, an owner that was
     *         replaced); then nothing of it is written
     * @throws StoreFailedException when the write failed or {@code epoch} is not the current one
     */
    String acceptFrame(Stream stream, Object owner, long epoch, ByteBuf frame) throws IOException;

    /**
     * Writes a raw-mode event (no id, no dedupe).
     *
     * @return null, or why the event is refused
     */
    String acceptRaw(long epoch, ByteBuf payload) throws IOException;

    /**
     * Whether this store takes raw mode at all; if not, why not, for the refusal of a handshake that does not offer
     * wssink.v1. A raw-mode sink counts an event delivered once written to the socket, so refusing its frames after
     * the handshake (a close with 1007) loses every event written before the close, at each reconnect; a refused
     * handshake loses nothing: the sink keeps its events and retries.
     *
     * @return null when raw mode is taken
     */
    default String refusesRaw() {
        return null;
    }

    /** Completes once everything accepted so far is durable; fails if a write or the commit failed. */
    CompletableFuture<Void> commit();

    /**
     * Completes once everything {@code owner} accepted for {@code stream} so far, and its highest id, is durable; fails
     * when {@code owner} no longer owns the stream. A store that commits per stream (a transaction each) overrides
     * this. By default, {@link #commit()}.
     */
    default CompletableFuture<Void> commit(Stream stream, Object owner) {
        return commit();
    }

    /** Records received, including duplicates. */
    long records();

    /** Records dropped because their id was at or below the highest held. */
    long duplicates();

    /** How many streams the store knows. */
    int streams();

    /** The output file, or null when the store writes no file. */
    Path output();

    /** Commits what was accepted and releases the store's resources. */
    @Override
    void close() throws IOException;
}
