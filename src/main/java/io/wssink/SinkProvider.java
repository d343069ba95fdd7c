package io.wssink;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Makes sinks for some URI schemes. Providers are found with {@link java.util.ServiceLoader}: list yours in
 * {@code META-INF/services/io.wssink.SinkProvider}. See {@link Sinks}.
 */
public interface SinkProvider {
    /** A short unique name, e.g. {@code websocket}. */
    String name();

    /** One line on what its sinks do. */
    String description();

    /** The URI schemes it handles, lower case. */
    Set<String> schemes();

    /** The version of the jar that holds the provider. */
    default String version() {
        return Versions.of(getClass());
    }

    /**
     * Creates a sink for {@code uri}; {@code options} are provider-specific settings (unknown keys are an error).
     *
     * @throws IllegalArgumentException for a URI or option it cannot use, with a message that says why
     */
    Sink create(URI uri, Map<String, String> options);

    /** Where versions come from: the jar's manifest, else the version file the build writes. */
    final class Versions {
        private Versions() {
        }

        static String of(Class<?> type) {
            String v = type.getPackage() == null ? null : type.getPackage().getImplementationVersion();
            if (v != null) {
                return v;
            }
            try (InputStream in = type.getResourceAsStream("/io/wssink/version.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    return p.getProperty("version", "unknown");
                }
            } catch (IOException ignored) {
                // fall through
            }
            return "unknown";
        }
    }
}
