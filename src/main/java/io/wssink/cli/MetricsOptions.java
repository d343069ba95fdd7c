package io.wssink.cli;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverMeters;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.micrometer.WssinkMetrics;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code --metrics-port} and {@code --metrics-bind}, for the commands that run for long: send and serve. */
final class MetricsOptions {
    @Option(names = "--metrics-port", description = "Serve /metrics (Prometheus text) and /healthz (200 while"
            + " healthy, else 503) on this port; 0 picks a free one, printed to stderr. Off by default.")
    Integer port;

    @Option(names = "--metrics-bind", defaultValue = "127.0.0.1",
            description = "Address of the metrics port (default: ${DEFAULT-VALUE}).")
    String bind;

    /** The sink's meters, healthy while it forwards; null without --metrics-port. */
    MetricsServer start(WebSocketSink sink) {
        if (port == null) {
            return null;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WssinkMetrics.bind(sink, registry);
        return started(MetricsServer.start(bind, port, registry, sink::isForwarding));
    }

    /** The receiver's meters, healthy while it listens and its output takes writes; null without --metrics-port. */
    MetricsServer start(ReferenceReceiver receiver) {
        if (port == null) {
            return null;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReceiverMeters m = receiver.meters();
        Gauge.builder("wssink.receiver.streams.connected", m, ReceiverMeters::streamsConnected)
                .description("Streams with a connection now").register(registry);
        FunctionCounter.builder("wssink.receiver.records.received", m, ReceiverMeters::recordsReceived)
                .description("Records written to the output (duplicates not counted)").register(registry);
        FunctionCounter.builder("wssink.receiver.bytes.received", m, ReceiverMeters::bytesReceived)
                .description("Payload bytes written to the output").register(registry);
        FunctionCounter.builder("wssink.receiver.duplicates.dropped", m, ReceiverMeters::duplicatesDropped)
                .description("Records dropped because their stream already held their id").register(registry);
        FunctionCounter.builder("wssink.receiver.acks.sent", m, ReceiverMeters::acksSent)
                .description("Acks sent, each after a durable commit").register(registry);
        Timer fsync = Timer.builder("wssink.receiver.fsync")
                .description("How long each commit took to force the output and the state to disk")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        m.onFsync(nanos -> fsync.record(nanos, TimeUnit.NANOSECONDS));
        return started(MetricsServer.start(bind, port, registry, receiver::isHealthy));
    }

    private static MetricsServer started(MetricsServer server) {
        System.err.println("wssink: metrics on " + server.url() + ", health on "
                + server.url().replace("/metrics", "/healthz"));
        return server;
    }
}
