package io.wssink.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /metrics} (Prometheus text) and {@code /healthz} (200 "ok" while healthy, else 503) for operators, on the
 * JDK's own HTTP server: two GET paths do not need a web framework. One daemon thread answers, one request at a
 * time: a scrape reads a snapshot, it never waits for the data path.
 */
final class MetricsServer implements AutoCloseable {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService thread;

    private MetricsServer(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /**
     * Listens on {@code bind:port} (0 picks a free port).
     *
     * @throws IllegalArgumentException when it cannot listen there, with what to do
     */
    static MetricsServer start(String bind, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serve metrics on " + bind + ":" + port + " (" + e.getMessage()
                    + "); choose another --metrics-port or --metrics-bind");
        }
        server.createContext("/metrics", exchange -> {
            if (allowed(exchange)) {
                answer(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
            }
        });
        server.createContext("/healthz", exchange -> {
            if (allowed(exchange)) {
                boolean ok = healthy.getAsBoolean();
                answer(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "unhealthy\n");
            }
        });
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wssink-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.start();
        return new MetricsServer(server, thread);
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Where to scrape, for the one line the commands print at start. */
    String url() {
        return "http://" + server.getAddress().getHostString() + ":" + port() + "/metrics";
    }

    private static boolean allowed(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!path.equals("/metrics") && !path.equals("/healthz")) { // contexts match by prefix
            answer(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            return false;
        }
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            answer(exchange, 405, "text/plain; charset=utf-8", "GET only\n");
            return false;
        }
        return true;
    }

    private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
