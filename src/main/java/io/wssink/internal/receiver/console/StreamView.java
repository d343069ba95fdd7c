package io.wssink.internal.receiver.console;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.wssink.protocol.WireFormat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the console knows of one wssink.v1 stream: whether it is connected, counts, a ring of the latest events (a
 * bounded preview of each), events per second over the last minute, and the stream's outbound messages: a bounded
 * queue, in order, and the fate of the latest ones.
 *
 * <p>Guarded by {@code this}: the receiver's event loop writes it (the receiver runs one event-loop thread, so the
 * lock is uncontended there), the console's HTTP handlers read it from the same loop, tests from theirs.
 */
final class StreamView {
    /** Events kept per stream, and the bytes of each kept: the ring holds at most their product (64 KiB). */
    static final int TAIL_EVENTS = 128;
    static final int PREVIEW_BYTES = 512;
    /** Messages waiting per stream, and their bytes: a post past either is refused with 503 and counted. */
    static final int QUEUE_MESSAGES = 256;
    static final int QUEUE_BYTES = 1 << 20;
    /**
     * Bytes of queued messages the whole receiver holds, shared by its streams: each stream may queue
     * {@link #QUEUE_BYTES}, which with --max-streams 1024 would be 1 GiB; a post past this is refused as by a full
     * stream queue.
     */
    static final class Budget {
        final long max;
        /** Queued message bytes of every stream; any thread. */
        private final AtomicLong used = new AtomicLong();

        Budget(long max) {
            this.max = max;
        }

        /** Takes {@code n} bytes if they fit. */
        boolean take(int n) {
            long now;
            do {
                now = used.get();
                if (now + n > max) {
                    return false;
                }
            } while (!used.compareAndSet(now, now + n));
            return true;
        }

        /** Takes back bytes given up for a write that then failed: they were within the budget before. */
        void retake(int n) {
            used.addAndGet(n);
        }

        void give(int n) {
            used.addAndGet(-n);
        }

        long used() {
            return used.get();
        }
    }

    /** Messages whose fate the page shows. */
    static final int RECENT_MESSAGES = 32;
    static final int RATE_SECONDS = 60;

    /** A message to the stream's sender, and what became of it. */
    static final class Message {
        final long seq;
        final boolean text;
        final byte[] data;
        final long postedMillis;
        /** queued, written (the whole frame left through the socket), or dropped (the queue was full). */
        String state = "queued";
        long writtenMillis;

        Message(long seq, boolean text, byte[] data, long postedMillis) {
            this.seq = seq;
            this.text = text;
            this.data = data;
            this.postedMillis = postedMillis;
        }
    }

    final String id;
    private Channel channel;
    private long events;
    private long lastId;
    private long lastEventMillis;
    private long firstSeenMillis;
    // the tail: slot (head - 1) is the newest; previews are allocated once per slot and reused (no allocation per
    // event once the ring is full)
    private final long[] ids = new long[TAIL_EVENTS];
    private final long[] times = new long[TAIL_EVENTS];
    private final int[] sizes = new int[TAIL_EVENTS];
    private final int[] kept = new int[TAIL_EVENTS];
    private final byte[][] previews = new byte[TAIL_EVENTS][];
    private int head;
    private int count;
    /** The highest id pushed out of the ring: a reader asking for events after a lower id missed some. */
    private long evictedUpTo;
    // events per second: rates[s % RATE_SECONDS] counts second s, for the seconds since rateSecond - RATE_SECONDS
    private final long[] rates = new long[RATE_SECONDS];
    private long rateSecond;
    // messages
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    private long queuedBytes;
    private final ArrayDeque<Message> recent = new ArrayDeque<>();
    private long nextSeq = 1;
    private long written;
    private long dropped;
    private boolean flushing;
    private final Budget budget;

    StreamView(String id, long nowMillis) {
        this(id, nowMillis, new Budget(Long.MAX_VALUE));
    }

    StreamView(String id, long nowMillis, Budget budget) {
        this.id = id;
        this.firstSeenMillis = nowMillis;
        this.budget = budget;
    }

    /** A connection took the stream; {@code highest} is what the store already holds (a resend is not news). */
    synchronized void connected(Channel ch, long highest) {
        channel = ch;
        if (Long.compareUnsigned(highest, lastId) > 0) {
            lastId = highest;
        }
        flush();
    }

    /** The connection ended; a replaced connection ending after its successor changes nothing. */
    synchronized void disconnected(Channel ch) {
        if (channel == ch) {
            channel = null;
        }
    }

    synchronized boolean isConnected() {
        return channel != null && channel.isActive();
    }

    synchronized long lastEventMillis() {
        return Math.max(lastEventMillis, firstSeenMillis);
    }

    /**
     * The records of a frame the store accepted (whole records, already checked): each newer than what the console
     * saw is counted and its preview copied into the ring's next slot. No allocation once the ring's slots exist
     * (WireFormat.readRecords would make a slice per record: the frame is walked here instead).
     */
    synchronized void frame(ByteBuf frame, long nowMillis) {
        int at = frame.readerIndex();
        int end = frame.writerIndex();
        while (end - at >= WireFormat.RECORD_HEADER_BYTES) {
            long id = frame.getLong(at);
            long length = frame.getUnsignedInt(at + 8);
            if (length > end - at - WireFormat.RECORD_HEADER_BYTES) {
                return; // cannot happen after the store's check; the console shows nothing rather than guess
            }
            record(id, frame, at + WireFormat.RECORD_HEADER_BYTES, (int) length, nowMillis);
            at += WireFormat.RECORD_HEADER_BYTES + (int) length;
        }
    }

    /** One record: kept if newer than what the console saw (the store drops the same duplicates). */
    synchronized void record(long id, ByteBuf payload, long nowMillis) {
        record(id, payload, payload.readerIndex(), payload.readableBytes(), nowMillis);
    }

    private void record(long id, ByteBuf buf, int offset, int size, long nowMillis) {
        if (Long.compareUnsigned(id, lastId) <= 0) {
            return;
        }
        lastId = id;
        events++;
        lastEventMillis = nowMillis;
        countRate(nowMillis / 1000);
        int slot = head;
        if (count == TAIL_EVENTS) {
            evictedUpTo = ids[slot];
        } else {
            count++;
        }
        int n = Math.min(size, PREVIEW_BYTES);
        if (previews[slot] == null) {
            previews[slot] = new byte[PREVIEW_BYTES];
        }
        buf.getBytes(offset, previews[slot], 0, n);
        ids[slot] = id;
        times[slot] = nowMillis;
        sizes[slot] = size;
        kept[slot] = n;
        head = (slot + 1) % TAIL_EVENTS;
    }

    private void countRate(long second) {
        if (second != rateSecond) {
            long gap = Math.min(second - rateSecond, RATE_SECONDS);
            for (long s = 1; s <= gap; s++) {
                rates[(int) ((rateSecond + s) % RATE_SECONDS)] = 0;
            }
            rateSecond = second;
        }
        rates[(int) (second % RATE_SECONDS)]++;
    }

    /** Events per second for the last {@link #RATE_SECONDS} whole seconds, oldest first. */
    synchronized long[] rates(long nowMillis) {
        long now = nowMillis / 1000;
        long[] out = new long[RATE_SECONDS];
        for (int i = 0; i < RATE_SECONDS; i++) {
            long second = now - RATE_SECONDS + i;
            out[i] = second <= rateSecond && second > rateSecond - RATE_SECONDS ? rates[(int) (second % RATE_SECONDS)] : 0;
        }
        return out;
    }

    /** A copy of one kept event. */
    record Event(long id, long timeMillis, int size, byte[] preview) {
    }

    /** The tail after {@code after} (unsigned), oldest first, at most {@code limit}; and whether some were missed. */
    synchronized Tail tail(long after, int limit) {
        List<Event> out = new ArrayList<>();
        int skipped = 0;
        for (int i = count; i >= 1; i--) { // oldest first
            int slot = Math.floorMod(head - i, TAIL_EVENTS);
            if (Long.compareUnsigned(ids[slot], after) <= 0) {
                continue;
            }
            if (out.size() == limit) {
                skipped++;
                continue;
            }
            byte[] p = new byte[kept[slot]];
            System.arraycopy(previews[slot], 0, p, 0, kept[slot]);
            out.add(new Event(ids[slot], times[slot], sizes[slot], p));
        }
        return new Tail(out, skipped > 0, Long.compareUnsigned(after, evictedUpTo) < 0);
    }

    record Tail(List<Event> events, boolean more, boolean gap) {
    }

    /**
     * Queues a message; sends it at once when connected.
     *
     * @return the message, its state "dropped" when the stream's queue or the receiver's budget was full
     */
    synchronized Message post(boolean text, byte[] data, long nowMillis) {
        Message m = new Message(nextSeq++, text, data, nowMillis);
        remember(m);
        if (queue.size() >= QUEUE_MESSAGES || queuedBytes + data.length > QUEUE_BYTES || !budget.take(data.length)) {
            m.state = "dropped";
            dropped++;
            return m;
        }
        queue.addLast(m);
        queuedBytes += data.length;
        flush();
        return m;
    }

    /** Messages queued ahead of {@code m}, or -1 when it is not queued. */
    synchronized int position(Message m) {
        int i = 0;
        for (Message q : queue) {
            if (q == m) {
                return i;
            }
            i++;
        }
        return -1;
    }

    private void remember(Message m) {
        recent.addLast(m);
        if (recent.size() > RECENT_MESSAGES) {
            recent.removeFirst();
        }
    }

    /**
     * Writes the queue to the connection, in order. A message leaves the queue when it is handed to the connection;
     * if that write fails (the connection closed before the whole frame left), it goes back to the front, before
     * anything posted later: the sink cannot have taken part of a frame, so a resend never duplicates one. Once its
     * frame was written, a message is never sent again (at most once): wssink.v1 has no ack for messages.
     */
    private void flush() {
        Channel ch = channel;
        if (ch == null || flushing) {
            return;
        }
        flushing = true;
        // a write that fails at once (the channel just closed) puts its message back at the front: take only as many
        // as were queued, and stop once the channel is gone
        for (int n = queue.size(); n > 0 && ch.isActive(); n--) {
            Message m = queue.removeFirst();
            queuedBytes -= m.data.length;
            budget.give(m.data.length);
            m.state = "sending";
            WebSocketFrame frame = m.text ? new TextWebSocketFrame(Unpooled.wrappedBuffer(m.data))
                    : new BinaryWebSocketFrame(Unpooled.wrappedBuffer(m.data));
            ch.writeAndFlush(frame).addListener(f -> {
                if (f.isSuccess()) {
                    written(m);
                } else {
                    requeue(m);
                }
            });
        }
        flushing = false;
    }

    private synchronized void written(Message m) {
        m.state = "written";
        m.writtenMillis = System.currentTimeMillis();
        written++;
    }

    private synchronized void requeue(Message m) {
        m.state = "queued";
        // keep the queue in posting order: failures of one connection complete in write order, and anything
        // queued meanwhile was posted later
        List<Message> failed = new ArrayList<>();
        Iterator<Message> it = queue.iterator();
        while (it.hasNext()) {
            Message q = it.next();
            if (q.seq < m.seq) {
                failed.add(q);
                it.remove();
            }
        }
        queue.addFirst(m);
        for (int i = failed.size() - 1; i >= 0; i--) {
            queue.addFirst(failed.get(i));
        }
        queuedBytes += m.data.length;
        budget.retake(m.data.length);
        flush();
    }

    /** A consistent copy of the counters, for JSON. */
    synchronized Summary summary() {
        return new Summary(id, isConnected(), events, lastId, lastEventMillis, queue.size(), written, dropped);
    }

    record Summary(String id, boolean connected, long events, long lastId, long lastEventMillis, int queued,
                   long written, long dropped) {
    }

    /** The latest messages, oldest first, each with its state and (when queued) its position. */
    synchronized List<MessageState> messages() {
        List<MessageState> out = new ArrayList<>();
        for (Message m : recent) {
            out.add(new MessageState(m.seq, m.text, m.data.length, preview(m.data), m.state, position(m),
                    m.postedMillis, m.writtenMillis));
        }
        return out;
    }

    record MessageState(long seq, boolean text, int size, byte[] preview, String state, int position,
                        long postedMillis, long writtenMillis) {
    }

    private static byte[] preview(byte[] data) {
        if (data.length <= PREVIEW_BYTES) {
            return data;
        }
        byte[] p = new byte[PREVIEW_BYTES];
        System.arraycopy(data, 0, p, 0, PREVIEW_BYTES);
        return p;
    }
}
