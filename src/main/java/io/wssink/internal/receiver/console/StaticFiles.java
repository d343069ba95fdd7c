package io.wssink.internal.receiver.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** The page's files, read once from the jar (src/main/resources/io/wssink/console): no build step, nothing fetched. */
final class StaticFiles {
    record File(byte[] bytes, String type) {
    }

    private final Map<String, File> files;

    private StaticFiles(Map<String, File> files) {
        this.files = files;
    }

    static StaticFiles load() {
        return new StaticFiles(Map.of(
                "/", read("index.html", "text/html; charset=utf-8"),
                "/login", read("login.html", "text/html; charset=utf-8"),
                "/console.js", read("console.js", "text/javascript; charset=utf-8"),
                "/login.js", read("login.js", "text/javascript; charset=utf-8"),
                "/console.css", read("console.css", "text/css; charset=utf-8")));
    }

    private static File read(String name, String type) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/io/wssink/console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + name + " is missing from the jar; rebuild it");
            }
            return new File(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file served at {@code path}, or null. */
    File get(String path) {
        return files.get(path);
    }
}
