package io.wssink;

import io.wssink.protocol.Mode;
import io.wssink.spool.Durability;
import io.wssink.spool.FullPolicy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code websocket} provider: ws:// and wss:// URIs. Options: {@code spool} (required), {@code mode},
 * {@code durability}, {@code maxSpoolBytes}, {@code fullPolicy}, {@code maxEventAge} and {@code drainTimeout}
 * (ISO-8601), and
 * {@code header.<Name>} for handshake headers.
 */
public final class WebSocketSinkProvider implements SinkProvider {
    @Override
    public String name() {
        return "websocket";
    }

    @Override
    public String description() {
        return "durable delivery to a WebSocket endpoint through an on-disk spool (wssink.v1 or raw)";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("ws", "wss");
    }

    @Override
    public Sink create(URI uri, Map<String, String> options) {
        Map<String, String> o = new HashMap<>(options);
        String spool = o.remove("spool");
        if (spool == null) {
            throw new IllegalArgumentException("the websocket sink needs the option spool=<directory>");
        }
        WebSocketSink.Builder b = WebSocketSink.builder().url(uri).spool(Path.of(spool));
        String v;
        if ((v = o.remove("mode")) != null) b.mode(Mode.valueOf(v.toUpperCase(Locale.ROOT)));
        if ((v = o.remove("durability")) != null) b.durability(Durability.parse(v));
        if ((v = o.remove("maxSpoolBytes")) != null) b.maxSpoolBytes(Long.parseLong(v));
        if ((v = o.remove("fullPolicy")) != null) b.fullPolicy(FullPolicy.valueOf(v.toUpperCase(Locale.ROOT)));
        if ((v = o.remove("maxEventAge")) != null) b.maxEventAge(Duration.parse(v));
        if ((v = o.remove("drainTimeout")) != null) b.drainTimeout(Duration.parse(v));
        for (String key : Set.copyOf(o.keySet())) {
            if (key.startsWith("header.")) {
                b.header(key.substring("header.".length()), o.remove(key));
            }
        }
        if (!o.isEmpty()) {
            throw new IllegalArgumentException("unknown options for the websocket sink: " + o.keySet());
        }
        return b.build();
    }
}
