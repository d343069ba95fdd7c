package io.wssink.forward;

import org.slf4j.Logger;

/**
 * Logs each kind of failure once, with its cause, then counts repeats quietly: an endpoint down for hours makes one
 * warning, not thousands. A success logs how many failures it ended. Not thread-safe.
 */
final class FailureLog {
    private final Logger log;
    private String lastKind;
    private long repeats;

    FailureLog(Logger log) {
        this.log = log;
    }

    void failure(String kind, String text, String url, long retryInMillis) {
        if (kind.equals(lastKind)) {
            repeats++;
            log.debug("{}: {} (again, {} times; retrying in {} ms)", url, text, repeats, retryInMillis);
            return;
        }
        lastKind = kind;
        repeats = 0;
        log.warn("{}: {}; retrying in {} ms, with backoff, for as long as it takes (repeats are counted, not"
                + " logged)", url, text, retryInMillis);
    }

    /** A connection succeeded: returns how many failures it ended, and resets. */
    long success() {
        long ended = lastKind == null ? 0 : repeats + 1;
        lastKind = null;
        repeats = 0;
        return ended;
    }
}
