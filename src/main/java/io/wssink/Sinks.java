package io.wssink;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds {@link SinkProvider}s and opens sinks by URI. */
public final class Sinks {
    private Sinks() {
    }

    /** Every provider on the class path, in discovery order. */
    public static List<SinkProvider> providers() {
        List<SinkProvider> found = new ArrayList<>();
        ServiceLoader.load(SinkProvider.class, Sinks.class.getClassLoader()).forEach(found::add);
        return found;
    }

    /**
     * Opens a sink for {@code uri} with the provider that handles its scheme.
     *
     * @throws IllegalArgumentException when no provider handles the scheme, or the provider refuses
     */
    public static Sink open(URI uri, Map<String, String> options) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        for (SinkProvider p : providers()) {
            if (p.schemes().contains(scheme)) {
                return p.create(uri, options);
            }
        }
        // the URI is not echoed: its user info or query may hold a secret
        throw new IllegalArgumentException("no sink provider handles '" + scheme + ":' URIs (installed: "
                + providers().stream().flatMap(p -> p.schemes().stream()).sorted().toList() + ")");
    }
}
