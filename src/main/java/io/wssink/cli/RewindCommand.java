package io.wssink.cli;

import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.spool.SpoolReader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;

@Command(name = "rewind", mixinStandardHelpOptions = true,
        description = "Moves a spool's ack cursor back, so that the tail is sent again (for a receiver that lost data). Refused while a sender holds the spool. Events already deleted by retention cannot return.",
        footer = ExitCodes.HELP)
final class RewindCommand implements Callable<Integer> {
    @Option(names = "--spool", required = true, description = "The spool directory.")
    Path spool;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--to-id", description = "Resend every event after this id.")
        String id;

        @Option(names = "--to-time", description = "Resend every event appended at or after this ISO-8601 instant.")
        String time;
    }

    @Override
    public Integer call() {
        try (Spool opened = Spool.open(SpoolConfig.builder(spool).createIfMissing(false).build());
             SpoolReader reader = opened.openReader()) {
            long before = reader.ackedId();
            long to;
            if (target.id != null) {
                try {
                    to = Long.parseUnsignedLong(target.id);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--to-id takes an unsigned decimal id, not '" + target.id + "'");
                }
                if (Long.compareUnsigned(to, before) > 0) {
                    throw new IllegalArgumentException("rewind only moves back: " + target.id
                            + " is past the cursor " + Long.toUnsignedString(before));
                }
            } else {
                try {
                    to = reader.idBefore(Instant.parse(target.time));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("--to-time takes an ISO-8601 instant such as"
                            + " 2026-11-25T10:00:00Z, not '" + target.time + "'");
                }
            }
            reader.rewindCursorTo(to);
            long after = reader.ackedId();
            System.out.printf("cursor moved from %s to %s: %d events will be sent again%n",
                    before == Spool.NONE ? "nothing" : Long.toUnsignedString(before),
                    after == Spool.NONE ? "the start" : Long.toUnsignedString(after), opened.stats().backlogEvents());
        }
        return ExitCodes.OK;
    }
}
