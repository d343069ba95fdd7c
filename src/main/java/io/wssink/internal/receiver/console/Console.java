package io.wssink.internal.receiver.console;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The live console of the reference receiver ({@code serve --ui}): what it knows of each wssink.v1 stream that
 * connected since the receiver started ({@link StreamView}), fed by the receiver's connections, and served over
 * HTTP on the sinks' port by {@link ConsoleHttpHandler}. See docs/CONSOLE.md.
 *
 * <p>It never holds back ingestion: a frame costs a map lookup, an uncontended lock, a second walk over its record
 * headers, and a copy of at most {@link StreamView#PREVIEW_BYTES} per record into a slot of a fixed ring, allocated
 * once; nothing waits for a browser.
 * Thread-safe; the receiver calls it from its event loop.
 */
public final class Console {
    /** Largest message a POST may carry: a request body is at most 16 KiB in the receiver (HttpObjectAggregator). */
    public static final int MAX_MESSAGE_BYTES = 8 << 10;
    /**
     * Bytes of queued messages the receiver holds for all its streams together: each stream may queue 1 MiB (and keep
     * 64 KiB of tail), so 1024 streams with full queues would hold 1.3 GiB. A post past this gets 503, as for a full
     * stream queue.
     */
    public static final long MAX_QUEUED_BYTES = 64L << 20;

    private final Map<String, StreamView> streams = new ConcurrentHashMap<>();
    private final int maxStreams;
    private final Function<String, Predicate<String>> tokens;
    private final Set<String> allowedOrigins;
    private final Sessions sessions = new Sessions();
    private final StaticFiles files = StaticFiles.load();
    private final StreamView.Budget budget;
    /** The stream list as every live feed sends it, built at most once per tick for all of them; guarded by this. */
    private List<Listed> listed;
    private long listedMillis;

    /**
     * @param tokens         null when the receiver needs no token; else, for an Authorization header, the streams it
     *                       may see (null: refused)
     * @param allowedOrigins the receiver's --allow-origin list
     * @param maxStreams     streams remembered; past it the longest idle disconnected stream with nothing queued goes,
     *                       and when every stream is connected or has messages queued a new stream is not shown
     */
    public Console(Function<String, Predicate<String>> tokens, Set<String> allowedOrigins, int maxStreams) {
        this(tokens, allowedOrigins, maxStreams, MAX_QUEUED_BYTES);
    }

    /** As above, with {@code maxQueuedBytes} in place of {@link #MAX_QUEUED_BYTES}. */
    Console(Function<String, Predicate<String>> tokens, Set<String> allowedOrigins, int maxStreams, long maxQueuedBytes) {
        this.tokens = tokens;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.maxStreams = maxStreams;
        this.budget = new StreamView.Budget(maxQueuedBytes);
    }

    /** A new handler for one connection's pipeline, placed before the sinks' handshake. */
    public ChannelHandler newHttpHandler() {
        return new ConsoleHttpHandler(this);
    }

    /** A connection took {@code stream} (lower-case UUID); {@code highest} is what the store holds for it. */
    public void connected(String stream, Channel channel, long highest) {
        StreamView v = streams.get(stream);
        if (v == null) {
            synchronized (this) {
                v = streams.get(stream);
                if (v == null) {
                    // a stream with messages queued is not forgotten (they would be lost): when every stream is
                    // connected or has some, the new one is not shown, and posts to it get 404, until room is made
                    if (streams.size() >= maxStreams && !forgetOne()) {
                        return;
                    }
                    v = new StreamView(stream, System.currentTimeMillis(), budget);
                    streams.put(stream, v);
                }
            }
        }
        v.connected(channel, highest);
    }

    /** The store accepted {@code frame} (wssink.v1 records) from the stream's connection. */
    public void accepted(String stream, ByteBuf frame) {
        StreamView v = streams.get(stream);
        if (v == null) {
            return;
        }
        v.frame(frame, System.currentTimeMillis());
    }

    /** The connection of {@code stream} ended. */
    public void disconnected(String stream, Channel channel) {
        StreamView v = streams.get(stream);
        if (v != null) {
            v.disconnected(channel);
        }
    }

    /** The outcome of a post: the message's number in its stream, its state, and how many are queued ahead of it. */
    public record Posted(long seq, String state, int position) {
    }

    /**
     * Queues a message for {@code stream}'s sender, sent at once if it is connected.
     *
     * @return null when the console does not know the stream
     */
    public Posted post(String stream, boolean text, byte[] data) {
        StreamView v = streams.get(stream.toLowerCase(Locale.ROOT));
        if (v == null) {
            return null;
        }
        StreamView.Message m = v.post(text, data, System.currentTimeMillis());
        synchronized (v) {
            return new Posted(m.seq, m.state, v.position(m));
        }
    }

    /** The state of message {@code seq} of {@code stream}, while it is among the latest; else null. */
    public String messageState(String stream, long seq) {
        StreamView v = streams.get(stream);
        if (v == null) {
            return null;
        }
        for (StreamView.MessageState m : v.messages()) {
            if (m.seq() == seq) {
                return m.state();
            }
        }
        return null;
    }

    /** The streams the console knows, the most recently active first. */
    public List<String> streamIds() {
        return streams(s -> true).stream().map(v -> v.id).toList();
    }

    StreamView stream(String id) {
        return streams.get(id);
    }

    /** The streams {@code visible} lets through, the most recently active first. */
    List<StreamView> streams(Predicate<String> visible) {
        List<StreamView> out = new ArrayList<>();
        for (StreamView v : streams.values()) {
            if (visible.test(v.id)) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparingLong(StreamView::lastEventMillis).reversed());
        return out;
    }

    /** Forgets the longest idle stream with no connection and nothing queued; false when there is none. */
    private boolean forgetOne() {
        StreamView oldest = null;
        for (StreamView v : streams.values()) {
            StreamView.Summary s = v.summary();
            if (!s.connected() && s.queued() == 0 && (oldest == null || v.lastEventMillis() < oldest.lastEventMillis())) {
                oldest = v;
            }
        }
        return oldest != null && streams.remove(oldest.id, oldest);
    }

    /** One stream's entry of the stream list, as JSON. */
    record Listed(String id, String json) {
    }

    /**
     * The stream list, most recently active first, as of at most one tick ago: a feed per browser tab each sends it
     * every second, and it is built once for all of them (each keeps the entries its token may see).
     */
    synchronized List<Listed> listed(long nowMillis) {
        if (listed == null || nowMillis - listedMillis >= ConsoleHttpHandler.TICK_MILLIS || nowMillis < listedMillis) {
            listed = list(s -> true, nowMillis);
            listedMillis = nowMillis;
        }
        return listed;
    }

    /** The stream list as of now, most recently active first, of the streams {@code visible} lets through. */
    List<Listed> list(Predicate<String> visible, long nowMillis) {
        List<Listed> out = new ArrayList<>();
        for (StreamView v : streams(visible)) {
            out.add(new Listed(v.id, ConsoleHttpHandler.streamJson(v, nowMillis)));
        }
        return List.copyOf(out);
    }

    long maxQueuedBytes() {
        return budget.max;
    }

    /** Bytes of messages queued for all streams. */
    long queuedBytes() {
        return budget.used();
    }

    Function<String, Predicate<String>> tokens() {
        return tokens;
    }

    Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    Sessions sessions() {
        return sessions;
    }

    StaticFiles files() {
        return files;
    }
}
