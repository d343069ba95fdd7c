package io.wssink.internal.forward;

import io.wssink.internal.transport.Failure;
import org.slf4j.Logger;

import java.util.HashSet;
import java.util.Set;

/**
 * Logs each kind of failure once until a connection succeeds, with its cause, then counts repeats quietly: an
 * endpoint down for hours makes one warning, not thousands, and two endpoints failing in turn make two. A kind is a
 * {@link Failure.Kind} with its code (HTTP 401 and HTTP 503 are two kinds). A success logs how many failures it
 * ended. Not thread-safe: the forwarder thread's.
 */
final class FailureLog {
    private record Key(Failure.Kind kind, int code) {
    }

    private final Logger log;
    /** The kinds logged since the last success. */
    private final Set<Key> logged = new HashSet<>();
    /** Failures since the last success. */
    private long failures;

    FailureLog(Logger log) {
        this.log = log;
    }

    /**
     * @param text what to log: the failure's text, or more
     */
    void failure(Failure failure, String text, String url, long retryInMillis) {
        failures++;
        if (logged.add(new Key(failure.kind(), failure.code()))) {
            log.warn("{}: {}; retrying in {} ms, with backoff, for as long as it takes (repeats are counted, not"
                    + " logged)", url, text, retryInMillis);
        } else {
            log.debug("{}: {} (failure {} in a row; retrying in {} ms)", url, text, failures, retryInMillis);
        }
    }

    /** A connection succeeded: returns how many failures it ended, and resets. */
    long success() {
        long ended = failures;
        failures = 0;
        logged.clear();
        return ended;
    }
}
