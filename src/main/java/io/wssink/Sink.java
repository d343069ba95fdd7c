package io.wssink;

import java.nio.ByteBuffer;

/**
 * Somewhere events go. Writes are thread-safe and return once the sink has taken the event; what "taken" promises
 * is each sink's own contract ({@link WebSocketSink}: durably spooled, to be delivered).
 */
public interface Sink extends AutoCloseable {
    /** Writes a text event; returns its id (a sink without ids returns a running count). */
    long write(CharSequence text);

    /** Writes a binary event. */
    long write(byte[] bytes);

    /** Writes the remaining bytes of {@code bytes} as a binary event, leaving its position unchanged. */
    long write(ByteBuffer bytes);

    @Override
    void close();
}
