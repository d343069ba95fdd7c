package io.wssink.testing;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A child process for {@link ChildJvmTest}: prints "L i" lines in writes of {@link #CHUNK} lines, faster than a
 * parent reads them, so that the pipe is mostly full; after each write returned it stores how many lines it printed
 * in the file named by its argument, through a shared mapping that outlives a SIGKILL.
 */
public final class CountingChild {
    static final int CHUNK = 1000;

    public static void main(String[] args) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer printed = ch.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES);
            StringBuilder chunk = new StringBuilder();
            for (long i = 0; i < 100_000_000L; i += CHUNK) {
                chunk.setLength(0);
                for (long j = i; j < i + CHUNK; j++) {
                    chunk.append("L ").append(j).append('\n');
                }
                System.out.print(chunk);
                System.out.flush();
                printed.putLong(0, i + CHUNK);
            }
        }
    }
}
