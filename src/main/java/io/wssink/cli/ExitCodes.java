package io.wssink.cli;

/** The CLI's exit codes, as documented in {@code wssink --help} and the README. */
final class ExitCodes {
    static final int OK = 0;
    /** A failure: the one line on stderr says what (a spool that cannot be opened, a port in use, ...). */
    static final int FAILED = 1;
    /** Bad arguments: a missing option, an invalid URL or duration. */
    static final int USAGE = 2;
    /** {@code send --timeout} ran out with events still spooled (they stay there for the next run). */
    static final int TIMEOUT = 3;
    /** The demo found an event lost; the chaos soak failed (lost, twice, out of order, or another problem). */
    static final int LOST = 4;
    /** Interrupted by SIGINT/SIGTERM after draining; the spool keeps the rest. */
    static final int INTERRUPTED = 130;

    static final String HELP = "%nExit codes:%n  0 success%n  1 failure (one line on stderr says why)%n"
            + "  2 bad arguments%n  3 send --timeout ran out; the rest stays spooled%n"
            + "  4 demo: an event was lost; chaos: the soak failed (its summary says how)%n"
            + "  130 interrupted (SIGINT/SIGTERM) after draining; the rest stays spooled%n";

    private ExitCodes() {
    }
}
