package io.wssink.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.wssink.SinkStatus;
import io.wssink.WebSocketSink;
import io.wssink.protocol.ConnectionState;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A {@link WebSocketSink}'s meters for Micrometer (an optional dependency: applications that bind this bring
 * {@code io.micrometer:micrometer-core}). Every meter is tagged {@code stream} with the sink's stream id; in
 * Prometheus they read:
 *
 * <table>
 * <caption>meters</caption>
 * <tr><th>name</th><th>type</th><th>what</th></tr>
 * <tr><td>wssink_spool_backlog_events</td><td>gauge</td><td>events in the spool not yet acknowledged</td></tr>
 * <tr><td>wssink_spool_backlog_bytes</td><td>gauge</td><td>their bytes</td></tr>
 * <tr><td>wssink_spool_oldest_unacked_age_seconds</td><td>gauge</td><td>age of the oldest of them, 0 when none</td></tr>
 * <tr><td>wssink_events_appended_total</td><td>counter</td><td>events appended to the spool in its life, by every
 *     process</td></tr>
 * <tr><td>wssink_events_acked_total</td><td>counter</td><td>events whose acknowledgement moved the spool's cursor
 *     since the sink was built (raw mode: written to the socket), including those a resume ack covered after a
 *     reconnect ({@link WebSocketSink#ackedEvents()})</td></tr>
 * <tr><td>wssink_events_dropped_total</td><td>counter</td><td>events never to be delivered, tagged {@code reason}:
 *     {@code spool_full} (DROP_NEWEST, or full with nothing to drop), {@code drop_oldest}, {@code expired}
 *     (maxEventAge)</td></tr>
 * <tr><td>wssink_records_corrupt_total</td><td>counter</td><td>records skipped because they failed their
 *     check</td></tr>
 * <tr><td>wssink_connection_up</td><td>gauge</td><td>1 while connected, else 0</td></tr>
 * <tr><td>wssink_reconnects_total</td><td>counter</td><td>connections opened after the first one</td></tr>
 * <tr><td>wssink_ack_latency_seconds</td><td>histogram</td><td>from write to ack, per event this sink sent after
 *     binding and saw acknowledged, across reconnects; events whose write time it does not know (sent by an
 *     earlier process, or before an internal error made it read the spool again) are counted in
 *     {@code wssink_events_acked_total} but left out of the histogram</td></tr>
 * </table>
 *
 * <p>Reading the meters never slows {@code write}: the gauges and function counters read
 * {@link WebSocketSink#quickStatus()}, which takes no lock that {@code write} takes, at most once per
 * {@value #SNAPSHOT_MILLIS} ms however many meters a scrape reads; the histogram is fed on the forwarder thread
 * as acks arrive ({@link WebSocketSink#addAckListener}). Once the sink is closed the gauges read NaN.
 *
 * <pre>{@code
 * WssinkMetrics.bind(sink, registry);
 * }</pre>
 */
public final class WssinkMetrics implements MeterBinder {
    /** How long one snapshot serves: a scrape reads a dozen meters, each one would otherwise scan the index. */
    static final long SNAPSHOT_MILLIS = 200;

    private final WebSocketSink sink;
    private final Tags tags;
    /** The latest snapshot and when it was taken; any scraping thread replaces it (a race costs one more read). */
    private volatile Snapshot last;
    /** Set by bindTo, then used by the forwarder thread. */
    private Timer latency;

    private record Snapshot(SinkStatus status, long takenNanos) {
    }

    public WssinkMetrics(WebSocketSink sink) {
        this(sink, Tags.empty());
    }

    /** @param extraTags added to every meter, besides {@code stream} */
    public WssinkMetrics(WebSocketSink sink, Iterable<Tag> extraTags) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.tags = Tags.of("stream", sink.streamId()).and(extraTags);
    }

    /** Binds a sink's meters to {@code registry}; returns the binder. */
    public static WssinkMetrics bind(WebSocketSink sink, MeterRegistry registry) {
        WssinkMetrics metrics = new WssinkMetrics(sink);
        metrics.bindTo(registry);
        return metrics;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "wssink.spool.backlog.events", "Events in the spool not yet acknowledged",
                s -> s.spool().backlogEvents());
        gauge(registry, "wssink.spool.backlog.bytes", "Bytes of the events not yet acknowledged",
                s -> s.spool().backlogBytes());
        TimeGauge.builder("wssink.spool.oldest.unacked.age", this,
                        TimeUnit.MILLISECONDS, m -> m.read(s -> s.spool().oldestUnackedAgeMillis()))
                .description("Age of the oldest event not yet acknowledged, 0 when there is none")
                .tags(tags).register(registry);
        counter(registry, "wssink.events.appended", Tags.empty(), "Events appended to the spool",
                s -> s.spool().appendedEvents());
        // from the cursor's movement, not from the ack listener: a resume ack after a reconnect acknowledges events
        // the listener never hears of with a write time
        FunctionCounter.builder("wssink.events.acked", this, m -> m.sink.ackedEvents()).tags(tags)
                .description("Events whose acknowledgement moved the spool's cursor (raw mode: written to the socket)")
                .register(registry);
        counter(registry, "wssink.events.dropped", Tags.of("reason", "spool_full"),
                "Events that will never be delivered", s -> s.spool().droppedEvents());
        counter(registry, "wssink.events.dropped", Tags.of("reason", "drop_oldest"),
                "Events that will never be delivered", s -> s.spool().droppedOldestEvents());
        counter(registry, "wssink.events.dropped", Tags.of("reason", "expired"),
                "Events that will never be delivered", s -> s.spool().expiredEvents());
        counter(registry, "wssink.records.corrupt", Tags.empty(), "Spool records skipped because they failed their check",
                s -> s.spool().corruptRecords());
        gauge(registry, "wssink.connection.up", "1 while connected to the endpoint, else 0",
                s -> s.state() == ConnectionState.CONNECTED ? 1 : 0);
        counter(registry, "wssink.reconnects", Tags.empty(), "Connections opened after the first",
                s -> Math.max(0, s.connections() - 1));
        latency = Timer.builder("wssink.ack.latency").tags(tags)
                .description("Time from write to the receiver's ack")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        // Micrometer holds a gauge's object weakly: the sink holding this listener keeps the binder alive as long
        // as itself (without it, `send --metrics-port` read NaN once a GC had run)
        sink.addAckListener(this::onAck);
    }

    /** On the forwarder thread: a Timer records without allocating. */
    private void onAck(long id, long writtenAtMillis, long ackedAtMillis) {
        latency.record(Math.max(0, ackedAtMillis - writtenAtMillis), TimeUnit.MILLISECONDS);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<SinkStatus> f) {
        Gauge.builder(name, this, m -> m.read(f)).description(description).tags(tags).register(registry);
    }

    private void counter(MeterRegistry registry, String name, Tags more, String description,
                         ToDoubleFunction<SinkStatus> f) {
        FunctionCounter.builder(name, this, m -> m.read(f)).description(description).tags(tags.and(more))
                .register(registry);
    }

    private double read(ToDoubleFunction<SinkStatus> f) {
        long now = System.nanoTime();
        Snapshot s = last;
        if (s == null || now - s.takenNanos() > TimeUnit.MILLISECONDS.toNanos(SNAPSHOT_MILLIS)) {
            try {
                s = new Snapshot(sink.quickStatus(), now);
            } catch (IllegalStateException closed) {
                return Double.NaN;
            }
            last = s;
        }
        return f.applyAsDouble(s.status());
    }
}
