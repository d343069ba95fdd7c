package consumer;

import io.wssink.WebSocketSink;

import java.nio.file.Path;

/** Compiles only if the library's API is on the consumer's class path through the installed POM. */
public final class App {
    public static void main(String[] args) throws Exception {
        try (WebSocketSink sink = WebSocketSink.builder()
                .url(args[0])
                .spool(Path.of(args[1]))
                .build()) {
            sink.write("{\"hello\":1}");
        }
    }
}
