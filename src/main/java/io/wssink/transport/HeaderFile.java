package io.wssink.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A header value kept in a file and read again at every connection attempt, for credentials that something else
 * rotates on disk (Kubernetes projected service-account tokens, a Vault agent's sink file). Surrounding whitespace
 * (the trailing newline most tools write) is dropped. The file's content is a secret: it is never logged, and a file
 * that cannot be read fails the attempt with a message naming the path only.
 *
 * <p>Stateless and immutable: {@link #get()} may be called from any thread.
 */
public final class HeaderFile implements Supplier<String> {
    private final Path file;
    private final String prefix;

    private HeaderFile(Path file, String prefix) {
        this.file = file;
        this.prefix = prefix;
    }

    /** The file's content (trimmed) is the header's value. */
    public static HeaderFile value(Path file) {
        return new HeaderFile(file, "");
    }

    /** The file holds a bearer token: the value is {@code Bearer <content>}, for the Authorization header. */
    public static HeaderFile bearer(Path file) {
        return new HeaderFile(file, "Bearer ");
    }

    @Override
    public String get() {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no file " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
        }
        if (content.isEmpty()) {
            throw new IllegalStateException(file + " is empty");
        }
        return prefix + content;
    }

    @Override
    public String toString() {
        return "HeaderFile{" + file + "}"; // the path, never the content
    }
}
