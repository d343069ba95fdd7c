package io.wssink.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.spool.SpoolStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows a spool's stream id, counts, backlog and damage; safe while a sender runs on it.",
        footer = ExitCodes.HELP)
final class StatusCommand implements Callable<Integer> {
    @Option(names = "--spool", required = true, description = "The spool directory.")
    Path spool;

    @Option(names = "--json", description = "One JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        SpoolStats s;
        OptionalLong sender;
        try (Spool opened = Spool.open(SpoolConfig.builder(spool).createIfMissing(false).build())) {
            s = opened.stats();
            sender = opened.senderPid(); // takes no lock: a sender starting now must not find the spool in use
        }
        boolean held = sender.isPresent();
        if (json) {
            StringWriter w = new StringWriter();
            try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("streamId", s.streamId());
                g.writeNumberField("appendedEvents", s.appendedEvents());
                g.writeNumberField("appendedBytes", s.appendedBytes());
                g.writeStringField("ackedId", Long.toUnsignedString(s.ackedId()));
                g.writeStringField("lastId", Long.toUnsignedString(s.lastId()));
                g.writeNumberField("backlogEvents", s.backlogEvents());
                g.writeNumberField("backlogBytes", s.backlogBytes());
                g.writeNumberField("oldestUnackedAgeMillis", s.oldestUnackedAgeMillis());
                g.writeNumberField("droppedEvents", s.droppedEvents());
                g.writeNumberField("droppedOldestEvents", s.droppedOldestEvents());
                if (s.droppedOldestEvents() > 0) {
                    g.writeStringField("droppedOldestFirstId", Long.toUnsignedString(s.droppedOldestFirstId()));
                    g.writeStringField("droppedOldestLastId", Long.toUnsignedString(s.droppedOldestLastId()));
                }
                g.writeNumberField("expiredEvents", s.expiredEvents());
                g.writeNumberField("corruptRecords", s.corruptRecords());
                g.writeNumberField("missingFiles", s.missingFiles());
                g.writeNumberField("diskBytes", s.diskBytes());
                g.writeBooleanField("senderRunning", held);
                if (held) {
                    g.writeNumberField("senderPid", sender.getAsLong());
                }
                g.writeNumberField("streamForks", s.streamForks());
                if (!s.forkReason().isEmpty()) {
                    g.writeStringField("forkedFrom", s.forkedFrom());
                    g.writeStringField("forkReason", s.forkReason());
                }
                g.writeEndObject();
            }
            System.out.println(w);
        } else {
            System.out.printf("stream            %s%n", s.streamId());
            System.out.printf("appended          %d events, %d bytes%n", s.appendedEvents(), s.appendedBytes());
            System.out.printf("acknowledged to   %s%n", s.ackedId() == Spool.NONE ? "nothing yet" : Long.toUnsignedString(s.ackedId()));
            System.out.printf("backlog           %d events, %d bytes%n", s.backlogEvents(), s.backlogBytes());
            System.out.printf("oldest unacked    %s%n", s.backlogEvents() == 0 ? "-" : s.oldestUnackedAgeMillis() + " ms ago");
            System.out.printf("dropped           %d events%n", s.droppedEvents());
            if (s.droppedOldestEvents() > 0) {
                System.out.printf("dropped oldest    %d events (the last range: ids %s to %s)%n",
                        s.droppedOldestEvents(), Long.toUnsignedString(s.droppedOldestFirstId()),
                        Long.toUnsignedString(s.droppedOldestLastId()));
            } else {
                System.out.printf("dropped oldest    0 events%n");
            }
            System.out.printf("expired           %d events%n", s.expiredEvents());
            System.out.printf("corrupt records   %d%n", s.corruptRecords());
            System.out.printf("missing files     %d%n", s.missingFiles());
            System.out.printf("on disk           %d bytes%n", s.diskBytes());
            System.out.printf("sender            %s%n", held ? "running (pid " + sender.getAsLong() + ")" : "not running");
            if (s.streamForks() > 0) {
                System.out.printf("stream forks      %d (the last from %s, because %s)%n", s.streamForks(),
                        s.forkedFrom(), s.forkReason());
            }
        }
        return ExitCodes.OK;
    }
}
