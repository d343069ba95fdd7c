package io.wssink.cli;

import io.wssink.spool.Spool;
import io.wssink.spool.SpoolLockedException;
import io.wssink.spool.SpoolReader;

final class Spools {
    private Spools() {
    }

    /** Whether a sender holds the spool now (tries its lock, and lets go at once). */
    static boolean isHeld(Spool spool) {
        try (SpoolReader ignored = spool.openReader()) {
            return false;
        } catch (SpoolLockedException e) {
            return true;
        }
    }
}
