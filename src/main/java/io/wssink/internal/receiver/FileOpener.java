package io.wssink.internal.receiver;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;

/**
 * Opens every file channel {@link FileReceiverStore} writes through (output, state, directory): the seam where tests
 * put a real channel that fails on command, to show that a failed write or fsync loses nothing.
 */
@FunctionalInterface
interface FileOpener {
    FileOpener REAL = FileChannel::open;

    FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes) throws IOException;
}
