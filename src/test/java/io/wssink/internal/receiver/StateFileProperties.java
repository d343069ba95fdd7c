package io.wssink.internal.receiver;

import io.wssink.internal.receiver.StateFile.State;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Wherever a crash tears a commit of the receiver's state, a start reads a commit that completed. */
class StateFileProperties {
    private static final String A = "6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";
    private static final String B = "0b1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7";

    private static StateFile open(Path[] paths) throws Exception {
        return StateFile.open(paths, StateFile.read(paths), FileOpener.REAL, false);
    }

    /**
     * A crash tears the commit being written anywhere: its file then holds the new commit's first {@code cut} bytes
     * over what the older commit left there. A start reads the commit before it, or the new one if all of it made it;
     * never anything else.
     */
    @Property(tries = 200)
    void aCommitTornAtAnyByteReadsAsTheCommitBeforeItOrAsItself(@ForAll @IntRange(min = 0, max = 400) int cut,
                                                               @ForAll @IntRange(min = 0, max = 6) int streams,
                                                               @ForAll @IntRange(min = 0, max = 6) int olderStreams)
            throws Exception {
        Path dir = Files.createTempDirectory("state-torn");
        try {
            Path[] paths = StateFile.paths(dir.resolve("out.txt.state"));
            Path[] scratch = StateFile.paths(Files.createDirectories(dir.resolve("scratch")).resolve("out.txt.state"));
            Map<String, long[]> many = new HashMap<>();
            for (int i = 0; i < streams; i++) {
                many.put(A.substring(0, 35) + i, new long[] {1000L * i, 1764230000000L + i});
            }
            Map<String, long[]> older = new HashMap<>(); // commit 1's: longer or shorter than commit 3's
            for (int i = 0; i < olderStreams; i++) {
                older.put(B.substring(0, 35) + i, new long[] {7L * i, 1764230000000L - i});
            }
            try (StateFile f = open(paths); StateFile g = open(scratch)) {
                f.write(10, older); // commit 1 in .alt: what commit 3 will tear
                f.write(20, many); // commit 2 in FILE.state
                g.write(10, older);
                g.write(20, many);
                g.write(30, many); // commit 3, whole, beside
            }
            byte[] whole = Files.readAllBytes(scratch[1]);
            byte[] before = Files.readAllBytes(paths[1]);
            byte[] torn; // what the file holds when the crash came
            if (cut < whole.length) { // the new commit's first bytes, then the old ones past them
                torn = Arrays.copyOf(whole, Math.max(cut, before.length));
                if (before.length > cut) {
                    System.arraycopy(before, cut, torn, cut, before.length - cut);
                }
            } else if (cut == whole.length) { // all of it, but not yet the cut-off of what the older commit left
                torn = Arrays.copyOf(whole, Math.max(whole.length, before.length));
                if (before.length > whole.length) {
                    System.arraycopy(before, whole.length, torn, whole.length, before.length - whole.length);
                }
            } else {
                torn = whole;
            }
            Files.write(paths[1], torn);
            State s = StateFile.read(paths);
            if (cut >= whole.length) {
                assertEquals(3, s.seq(), "whole at " + cut + " of " + whole.length);
                assertEquals(30, s.outputLength());
            } else {
                assertEquals(2, s.seq(), "torn at " + cut + " of " + whole.length);
                assertEquals(20, s.outputLength());
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
