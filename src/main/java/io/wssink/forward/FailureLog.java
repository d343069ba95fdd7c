package io.wssink.forward;

import io.wssink.transport.Failure;
import org.slf4j.Logger;

/**
 * Logs each kind of failure once, with its cause, then counts repeats quietly: an endpoint down for hours makes one
 * warning, not thousands. A kind is a {@link Failure.Kind} with its code (HTTP 401 and HTTP 503 are two kinds). A
 * success logs how many failures it ended. Not thread-safe.
 */
final class FailureLog {
    private final Logger log;
    private Failure.Kind lastKind;
    private int lastCode;
    private long repeats;

    FailureLog(Logger log) {
        this.log = log;
    }

    /**
     * @param text what to log: the failure's text, or more
     */
    void failure(Failure failure, String text, String url, long retryInMillis) {
        if (failure.kind() == lastKind && failure.code() == lastCode) {
            repeats++;
            log.debug("{}: {} (again, {} times; retrying in {} ms)", url, text, repeats, retryInMillis);
            return;
        }
        lastKind = failure.kind();
        lastCode = failure.code();
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
