package io.wssink.testing;

import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolReader;
import io.wssink.internal.spool.SpoolRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Helpers for reading spools in tests. */
public final class Spools {
    private Spools() {
    }

    /** A record as text, with its id. */
    public record Event(long id, String text) {
    }

    /** Reads everything after the cursor without acking it. */
    public static List<Event> readAll(SpoolReader reader) {
        List<Event> out = new ArrayList<>();
        SpoolRecord r = new SpoolRecord();
        while (reader.next(r)) {
            out.add(new Event(r.id(), new String(r.buffer(), r.payloadOffset(), r.payloadLength(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** Reads everything after the cursor with a reader of its own, released after. */
    public static List<Event> readAll(Spool spool) {
        try (SpoolReader reader = spool.openReader()) {
            return readAll(reader);
        }
    }
}
