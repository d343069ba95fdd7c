package io.wssink.internal.spool;

import java.nio.file.Path;

/**
 * A child process for crash tests: appends "tag-n" events in a loop and prints "A id n" once each append returned;
 * with "ack" it also reads and acks every 50th event, printing "K id" once the ack returned; with "hold" it only
 * holds the reader's lock.
 */
public final class AppendingChild {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String tag = args[1];
        long count = Long.parseLong(args[2]);
        boolean ack = args.length > 3 && args[3].equals("ack");
        boolean hold = ack || args.length > 3 && args[3].equals("hold");
        SpoolConfig config = SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(256L << 20)
                .maxEventBytes(1 << 16).build();
        try (Spool spool = Spool.open(config); SpoolReader reader = hold ? spool.openReader() : null) {
            SpoolRecord r = new SpoolRecord();
            System.out.println("READY");
            System.out.flush();
            for (long n = 0; n < count; n++) {
                long id = spool.append(tag + "-" + n);
                System.out.println("A " + id + " " + n);
                if (ack && n % 50 == 49) {
                    long last = 0;
                    while (reader.next(r)) {
                        last = r.id();
                    }
                    reader.ack(last);
                    System.out.println("K " + last);
                }
                System.out.flush();
            }
        }
        System.out.println("DONE");
    }
}
