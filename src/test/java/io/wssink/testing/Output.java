package io.wssink.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the reference receiver's output in tests. */
public final class Output {
    private Output() {
    }

    /** The lines written so far (text output). */
    public static List<String> lines(Path output) {
        try {
            return Files.exists(output) ? Files.readAllLines(output) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts the lines are exactly prefix-0 .. prefix-(n-1), in order, each once. */
    public static void assertExactly(Path output, String prefix, int n) {
        List<String> lines = lines(output);
        for (int i = 0; i < Math.min(n, lines.size()); i++) {
            if (!lines.get(i).equals(prefix + i)) {
                throw new AssertionError("line " + i + " is '" + lines.get(i) + "', expected '" + prefix + i + "'");
            }
        }
        if (lines.size() != n) {
            throw new AssertionError(lines.size() + " lines, expected " + n);
        }
    }
}
