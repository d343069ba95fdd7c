package io.wssink.internal.spool;

/** How an event was written: raw mode sends {@link #TEXT} events as text frames, the rest as binary frames. */
public enum EventKind {
    TEXT(0), BINARY(1);

    private final int code;

    EventKind(int code) {
        this.code = code;
    }

    /** The byte stored in each record. */
    public int code() {
        return code;
    }

    /** @return the kind for a stored byte, or {@code null} if the byte is no kind (a damaged record). */
    public static EventKind ofCode(int code) {
        return code == 0 ? TEXT : code == 1 ? BINARY : null;
    }
}
