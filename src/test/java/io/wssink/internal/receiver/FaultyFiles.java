package io.wssink.internal.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Opens real file channels that record what is done to them ("force out.txt 1200") and fail on command: the
 * receiver's files on a disk that breaks when the test says so. Not a mock: every call that does not fail goes to
 * the real channel.
 */
final class FaultyFiles implements FileOpener {
    /** Where a fault strikes. */
    enum Fault {
        NONE, OUTPUT_WRITE, OUTPUT_FORCE, STATE_WRITE, STATE_FORCE, DIRECTORY_FORCE,
        /** The state's force fails with an unchecked exception, not an IOException: a bug's way of failing. */
        STATE_FORCE_UNCHECKED
    }

    private final Path output;
    private volatile Fault fault = Fault.NONE;
    /** What happened, in order: "write NAME", "force NAME SIZE". */
    final List<String> log = new CopyOnWriteArrayList<>();

    FaultyFiles(Path output) {
        this.output = output.toAbsolutePath();
    }

    /** Every matching call fails from now until {@code arm(Fault.NONE)}. */
    void arm(Fault f) {
        fault = f;
    }

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
            throws IOException {
        Path p = path.toAbsolutePath();
        String kind = p.equals(output) ? "OUTPUT" : p.equals(output.getParent()) ? "DIRECTORY" : "STATE";
        return new Channel(FileChannel.open(path, options, attributes), kind, p.getFileName().toString());
    }

    private final class Channel extends FileChannel {
        private final FileChannel real;
        private final String kind;
        private final String name;

        Channel(FileChannel real, String kind, String name) {
            this.real = real;
            this.kind = kind;
            this.name = name;
        }

        private void check(String op) throws IOException {
            if (fault.name().equals(kind + "_" + op)) {
                throw new IOException("No space left on device (simulated: " + fault + ")");
            }
            if (fault.name().equals(kind + "_" + op + "_UNCHECKED")) {
                throw new java.io.UncheckedIOException(new IOException("simulated: " + fault));
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            check("WRITE");
            log.add("write " + name);
            return real.write(src);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            check("FORCE");
            real.force(metaData);
            log.add("force " + name + " " + real.size());
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            check("WRITE");
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            check("WRITE");
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            check("WRITE");
            log.add("write " + name);
            return real.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
