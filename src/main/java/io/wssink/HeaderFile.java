package io.wssink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A header value kept in a file and read again at every connection attempt, for credentials that something else
 * rotates on disk (Kubernetes projected service-account tokens, a Vault agent's sink file). Surrounding whitespace
 * (the trailing newline most tools write) is dropped. The file's content is a secret: it is never logged, and a file
 * that cannot be read fails the attempt with a message naming the path only.
 *
 * <p>{@link #headers(Path)} does the same for a file of {@code Name: value} lines (the CLI's {@code --header-file}).
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

    /**
     * The headers of a file of {@code Name: value} lines ({@code #} starts a comment), each value read from the file
     * again at every connection attempt. The names are read now: a line that is not {@code Name: value} is refused,
     * by its number, never by its text (it may hold a secret).
     *
     * @throws IllegalArgumentException when the file cannot be read or a line is malformed
     */
    public static Map<String, Supplier<String>> headers(Path file) {
        Map<String, Supplier<String>> headers = new LinkedHashMap<>();
        for (String name : parse(file, IllegalArgumentException::new).keySet()) {
            headers.put(name, () -> {
                String value = parse(file, IllegalStateException::new).get(name);
                if (value == null) {
                    throw new IllegalStateException(file + " no longer has a line for " + name);
                }
                return value;
            });
        }
        return headers;
    }

    private static Map<String, String> parse(Path file, Function<String, RuntimeException> error) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw error.apply("cannot read header file " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = colon <= 0 ? "" : line.substring(0, colon);
            if (name.isBlank() || !name.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw error.apply("header file " + file + " line " + (i + 1) + " is not 'Name: value' (its text is"
                        + " not shown: it may hold a secret)");
            }
            headers.put(name, line.substring(colon + 1).strip());
        }
        return headers;
    }

    @Override
    public String toString() {
        return "HeaderFile{" + file + "}"; // the path, never the content
    }
}
