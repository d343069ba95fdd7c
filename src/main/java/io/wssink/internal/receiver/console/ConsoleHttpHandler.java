package io.wssink.internal.receiver.console;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.CookieHeaderNames;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.wssink.protocol.Acks;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The console's HTTP side, first in each connection's pipeline after the HTTP codec (only with --ui): a WebSocket
 * upgrade goes on to the sinks' handshake untouched and this handler leaves the pipeline; any other request makes
 * the connection a console connection for good (the sinks' handlers leave instead, their handshake deadline with
 * them) and is answered here: the page, its files, the JSON API and the page's live feed (server-sent events).
 *
 * <p>Who may ask: with a token, an {@code Authorization: Bearer} header (scripts) or the session cookie the login
 * form sets (browsers), never a token in the address; a request with an {@code Origin} header must come from the page itself or --allow-origin.
 * Without a token, the Host must be an IP address or localhost (or a host of --allow-origin): otherwise any web site
 * could read the console through DNS rebinding. Fields are owned by the channel's event loop.
 */
final class ConsoleHttpHandler extends ChannelInboundHandlerAdapter {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Predicate<String> EVERY_STREAM = s -> true;
    /** The live feed's period: events reach the page within it; a human does not read faster. */
    static final long TICK_MILLIS = 500;
    /** A console connection with no request and nothing written for this long is closed. */
    private static final long IDLE_SECONDS = 60;

    private final Console console;
    private boolean taken;
    private ScheduledFuture<?> ticker;

    ConsoleHttpHandler(Console console) {
        this.console = console;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            if (taken) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
            return;
        }
        if (!taken && req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            ctx.pipeline().remove(this); // a sink: the receiver as without --ui
            ctx.fireChannelRead(msg);
            return;
        }
        if (!taken) {
            take(ctx);
        }
        try {
            handle(ctx, req);
        } catch (RuntimeException e) {
            respond(ctx, req, text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the console failed: " + e));
        } finally {
            req.release();
        }
    }

    /** Removes the sinks' handlers (and their handshake deadline, and idle timeout) from this connection. */
    private void take(ChannelHandlerContext ctx) {
        taken = true;
        ChannelPipeline p = ctx.pipeline();
        List<String> names = new ArrayList<>();
        boolean after = false;
        for (Map.Entry<String, ChannelHandler> e : p) {
            if (e.getValue() == this) {
                after = true;
            } else if (after || e.getValue() instanceof IdleStateHandler) {
                names.add(e.getKey());
            }
        }
        names.forEach(p::remove);
        p.addBefore(ctx.name(), "console-idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (taken && evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ticker != null) {
            ticker.cancel(false);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (taken) {
            ctx.close(); // a broken request or a reset by the browser: nothing to tell anyone
        } else {
            super.exceptionCaught(ctx, cause);
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"));
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String path = q.path();
        String refusal = refusal(req, path);
        if (refusal != null) {
            respond(ctx, req, text(HttpResponseStatus.FORBIDDEN, refusal));
            return;
        }
        if (path.equals("/console.css") || path.equals("/login.js")) {
            serve(ctx, req, path); // the login page needs them; they hold nothing of the receiver
            return;
        }
        Predicate<String> grant = grant(req);
        if (path.equals("/login") && req.method().equals(HttpMethod.POST)) {
            login(ctx, req, new QueryStringDecoder("/?" + req.content().toString(StandardCharsets.UTF_8)));
            return;
        }
        if (grant == null) {
            if (path.equals("/") && req.method().equals(HttpMethod.GET)) {
                // never "/?token=": a token in an address stays in the browser's history and in proxies' logs
                respond(ctx, req, file(HttpResponseStatus.UNAUTHORIZED, console.files().get("/login")));
            } else {
                FullHttpResponse res = text(HttpResponseStatus.UNAUTHORIZED, "a valid Authorization: Bearer <token>"
                        + " header is required (or open the console's page and enter the token)");
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                respond(ctx, req, res);
            }
            return;
        }
        route(ctx, req, q, path, grant);
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, String path,
                       Predicate<String> grant) {
        HttpMethod method = req.method();
        if (path.equals("/") || path.equals("/console.js")) {
            if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
                respond(ctx, req, text(HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET"));
            } else {
                serve(ctx, req, path);
            }
            return;
        }
        if (path.equals("/api/streams")) {
            if (!method.equals(HttpMethod.GET)) {
                respond(ctx, req, text(HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET"));
                return;
            }
            respond(ctx, req, json(HttpResponseStatus.OK, g -> g.writeRawValue(
                    streamsJson(console.list(grant, System.currentTimeMillis()), EVERY_STREAM))));
            return;
        }
        if (path.equals("/api/live")) {
            live(ctx, q, grant, authorization(req));
            return;
        }
        String[] parts = path.split("/");
        // "", "api", "streams", id, "events" | "messages"
        if (parts.length != 5 || !parts[1].equals("api") || !parts[2].equals("streams")) {
            respond(ctx, req, text(HttpResponseStatus.NOT_FOUND, "no such page: " + path));
            return;
        }
        String id = parts[3].toLowerCase(Locale.ROOT);
        StreamView view = UUID.matcher(id).matches() && grant.test(id) ? console.stream(id) : null;
        if (view == null) {
            respond(ctx, req, text(HttpResponseStatus.NOT_FOUND, "unknown stream " + (UUID.matcher(id).matches()
                    ? id : "(not a UUID)") + ": the console knows the streams that connected since the receiver started"));
            return;
        }
        if (parts[4].equals("events") && method.equals(HttpMethod.GET)) {
            long after;
            int limit;
            try {
                String a = param(q, "after");
                after = a == null ? 0 : Long.parseUnsignedLong(a);
                String l = param(q, "limit");
                limit = l == null ? 100 : Integer.parseInt(l);
            } catch (NumberFormatException e) {
                respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "after must be an unsigned decimal id and"
                        + " limit a number"));
                return;
            }
            if (limit < 1 || limit > StreamView.TAIL_EVENTS) {
                respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "limit must be 1.." + StreamView.TAIL_EVENTS));
                return;
            }
            StreamView.Tail tail = view.tail(after, limit);
            respond(ctx, req, json(HttpResponseStatus.OK, g -> writeTail(g, view.id, tail)));
        } else if (parts[4].equals("messages") && method.equals(HttpMethod.GET)) {
            respond(ctx, req, json(HttpResponseStatus.OK, g -> writeMessages(g, view)));
        } else if (parts[4].equals("messages") && method.equals(HttpMethod.POST)) {
            post(ctx, req, view);
        } else if (parts[4].equals("events") || parts[4].equals("messages")) {
            respond(ctx, req, text(HttpResponseStatus.METHOD_NOT_ALLOWED, "events: GET; messages: GET or POST"));
        } else {
            respond(ctx, req, text(HttpResponseStatus.NOT_FOUND, "no such page: " + path));
        }
    }

    private void post(ChannelHandlerContext ctx, FullHttpRequest req, StreamView view) {
        CharSequence mime = HttpUtil.getMimeType(req);
        String type = mime == null ? "" : mime.toString().toLowerCase(Locale.ROOT);
        boolean text = type.equals("text/plain");
        if (!text && !type.equals("application/octet-stream")) {
            respond(ctx, req, text(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "send the message as text/plain (a text"
                    + " frame) or application/octet-stream (a binary frame)"));
            return;
        }
        int size = req.content().readableBytes();
        if (size > Console.MAX_MESSAGE_BYTES) {
            respond(ctx, req, text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "a message holds at most "
                    + Console.MAX_MESSAGE_BYTES + " bytes; this one has " + size));
            return;
        }
        byte[] data = new byte[size];
        req.content().getBytes(req.content().readerIndex(), data);
        if (text) {
            String decoded = utf8(data, false);
            if (decoded == null) {
                respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "a text message must be UTF-8 (a WebSocket"
                        + " text frame is); send other bytes as application/octet-stream"));
                return;
            }
            if (Acks.parse(decoded).kind() != Acks.Parsed.Kind.NOT_AN_ACK) {
                respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "this text reads as a wssink.v1 ack and the"
                        + " sink would take it for one; send it as application/octet-stream"));
                return;
            }
        }
        StreamView.Message m = view.post(text, data, System.currentTimeMillis());
        int position = view.position(m);
        boolean dropped = m.state.equals("dropped");
        respond(ctx, req, json(dropped ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.ACCEPTED, g -> {
            g.writeStartObject();
            g.writeStringField("stream", view.id);
            g.writeNumberField("message", m.seq);
            g.writeStringField("state", dropped ? "dropped" : m.state);
            g.writeNumberField("position", position);
            if (dropped) {
                g.writeStringField("error", "the stream's queue is full (" + StreamView.QUEUE_MESSAGES
                        + " messages or " + StreamView.QUEUE_BYTES + " bytes), or the receiver's queues are ("
                        + console.maxQueuedBytes() + " bytes in all); retry once its sender is connected");
            }
            g.writeEndObject();
        }));
    }

    private void login(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder form) {
        String token = param(form, "token");
        String stream = param(form, "stream");
        String back = "/" + (stream != null && UUID.matcher(stream).matches() ? "?stream=" + stream : "");
        String authorization = token == null ? null : "Bearer " + token;
        if (console.tokens() == null || authorization == null || console.tokens().apply(authorization) == null) {
            redirect(ctx, req, console.tokens() == null ? back : "/?failed", null);
            return;
        }
        DefaultCookie cookie = new DefaultCookie(Sessions.COOKIE, console.sessions().start(authorization));
        cookie.setPath("/");
        cookie.setHttpOnly(true);
        cookie.setSameSite(CookieHeaderNames.SameSite.Strict);
        cookie.setSecure(ctx.pipeline().get(SslHandler.class) != null);
        redirect(ctx, req, back, ServerCookieEncoder.STRICT.encode(cookie)); // the token leaves the address bar
    }

    private void redirect(ChannelHandlerContext ctx, FullHttpRequest req, String location, String cookie) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
        res.headers().set(HttpHeaderNames.LOCATION, location);
        if (cookie != null) {
            res.headers().set(HttpHeaderNames.SET_COOKIE, cookie);
        }
        respond(ctx, req, res);
    }

    /** The streams this request may see, or null when it needs a token it lacks. */
    private Predicate<String> grant(FullHttpRequest req) {
        return grant(authorization(req));
    }

    /**
     * The streams the bearer of {@code authorization} may see now, or null when it needs a token it lacks: asked
     * again for each request and at each tick of a live feed, so a token removed from --token-file ends both.
     */
    private Predicate<String> grant(String authorization) {
        if (console.tokens() == null) {
            return EVERY_STREAM;
        }
        return authorization == null ? null : console.tokens().apply(authorization);
    }

    /** The request's Authorization header, or the one its session cookie stands for; or null. */
    private String authorization(FullHttpRequest req) {
        if (console.tokens() == null) {
            return null;
        }
        String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null) {
            String cookies = req.headers().get(HttpHeaderNames.COOKIE);
            if (cookies != null) {
                for (Cookie c : ServerCookieDecoder.STRICT.decode(cookies)) {
                    if (c.name().equals(Sessions.COOKIE)) {
                        authorization = console.sessions().authorization(c.value());
                    }
                }
            }
        }
        return authorization;
    }

    /** Why a request from a browser is refused (Origin, Host, fetch metadata), or null. */
    private String refusal(FullHttpRequest req, String path) {
        HttpHeaders h = req.headers();
        String host = h.get(HttpHeaderNames.HOST);
        String origin = h.get(HttpHeaderNames.ORIGIN);
        Set<String> allowed = console.allowedOrigins();
        if (console.tokens() == null && !safeHost(host, allowed)) {
            return "open the console at an IP address or localhost, or allow this name with --allow-origin"
                    + " http://NAME:PORT (without a token, a web site could read it through DNS rebinding)";
        }
        if (origin != null && !allowed.contains(origin)
                && !(host != null && (origin.equals("http://" + host) || origin.equals("https://" + host)))) {
            return "Origin not allowed: only the console's own page may call it (serve --allow-origin ORIGIN allows"
                    + " another)";
        }
        if ("cross-site".equals(h.get("Sec-Fetch-Site")) && origin == null && !topLevelPageLoad(req, path)) {
            return "a request from another site";
        }
        return null;
    }

    /**
     * A link to the page followed from another site (a wiki's {@code /?stream=...}): a top-level GET of {@code /}
     * only. It reads nothing back to that site, and the session cookie (SameSite=Strict) does not come with it, so
     * with a token the login form answers. The API, the feed, the scripts and any POST stay refused.
     */
    private static boolean topLevelPageLoad(FullHttpRequest req, String path) {
        HttpHeaders h = req.headers();
        String dest = h.get("Sec-Fetch-Dest");
        return path.equals("/") && req.method().equals(HttpMethod.GET) && "navigate".equals(h.get("Sec-Fetch-Mode"))
                && (dest == null || dest.equals("document"));
    }

    static boolean safeHost(String host, Set<String> allowedOrigins) {
        if (host == null) {
            return false;
        }
        String name = host.startsWith("[") ? host.substring(1, Math.max(1, host.indexOf(']')))
                : host.indexOf(':') >= 0 ? host.substring(0, host.indexOf(':')) : host;
        if (NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name) || name.equalsIgnoreCase("localhost")) {
            return true;
        }
        for (String o : allowedOrigins) {
            try {
                if (name.equalsIgnoreCase(URI.create(o).getHost())) {
                    return true;
                }
            } catch (IllegalArgumentException ignored) {
                // not a URL: allows no host
            }
        }
        return false;
    }

    // ---- the live feed: server-sent events, pushed every TICK_MILLIS; a browser that does not read misses ticks

    private void live(ChannelHandlerContext ctx, QueryStringDecoder q, Predicate<String> opened, String authorization) {
        String s = param(q, "stream");
        String stream = s != null && UUID.matcher(s.toLowerCase(Locale.ROOT)).matches() && opened.test(s.toLowerCase(Locale.ROOT))
                ? s.toLowerCase(Locale.ROOT) : null;
        long[] after = {0};
        try {
            String a = param(q, "after");
            after[0] = a == null ? 0 : Long.parseUnsignedLong(a);
        } catch (NumberFormatException e) {
            after[0] = 0;
        }
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setTransferEncodingChunked(res, true);
        ctx.writeAndFlush(res);
        int[] tick = {0};
        String[] lastMessages = {""};
        ticker = ctx.executor().scheduleAtFixedRate(() -> {
            // the token may have left --token-file since the feed opened (or since the last tick): then the feed ends,
            // as the session's next request would be refused
            Predicate<String> grant = grant(authorization);
            if (grant == null) {
                ticker.cancel(false);
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (!ctx.channel().isWritable()) {
                return; // the browser is not reading: skip, hold nothing for it
            }
            StringBuilder out = new StringBuilder();
            if (tick[0]++ % 2 == 0) {
                out.append("event: streams\ndata: ")
                        .append(streamsJson(console.listed(System.currentTimeMillis()), grant)).append("\n\n");
            }
            StreamView view = stream == null || !grant.test(stream) ? null : console.stream(stream);
            if (view != null) {
                StreamView.Tail tail = view.tail(after[0], StreamView.TAIL_EVENTS);
                if (!tail.events().isEmpty()) {
                    after[0] = tail.events().get(tail.events().size() - 1).id();
                    out.append("event: events\ndata: ").append(jsonText(g -> writeTail(g, view.id, tail))).append("\n\n");
                }
                String messages = jsonText(g -> writeMessages(g, view));
                if (!messages.equals(lastMessages[0])) {
                    lastMessages[0] = messages;
                    out.append("event: messages\ndata: ").append(messages).append("\n\n");
                }
            }
            if (out.length() > 0) {
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(out, StandardCharsets.UTF_8)));
            }
        }, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- JSON

    @FunctionalInterface
    private interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    private static String jsonText(JsonBody body) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writeJson(buf, body);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    private static void writeJson(ByteBuf buf, JsonBody body) {
        try (OutputStream os = new ByteBufOutputStream(buf); JsonGenerator g = JSON.createGenerator(os)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entries {@code visible} lets through, as a JSON list. */
    private static String streamsJson(List<Console.Listed> listed, Predicate<String> visible) {
        StringBuilder out = new StringBuilder("[");
        for (Console.Listed l : listed) {
            if (visible.test(l.id())) {
                out.append(out.length() > 1 ? "," : "").append(l.json());
            }
        }
        return out.append(']').toString();
    }

    /** One stream's entry of the stream list. */
    static String streamJson(StreamView v, long now) {
        return jsonText(g -> {
            StreamView.Summary s = v.summary();
            g.writeStartObject();
            g.writeStringField("stream", s.id());
            g.writeBooleanField("connected", s.connected());
            g.writeNumberField("events", s.events());
            g.writeStringField("lastId", Long.toUnsignedString(s.lastId()));
            if (s.lastEventMillis() > 0) {
                g.writeNumberField("lastEventMillis", s.lastEventMillis());
            } else {
                g.writeNullField("lastEventMillis");
            }
            g.writeNumberField("queued", s.queued());
            g.writeNumberField("written", s.written());
            g.writeNumberField("dropped", s.dropped());
            g.writeArrayFieldStart("rate");
            for (long r : v.rates(now)) {
                g.writeNumber(r);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void writeTail(JsonGenerator g, String stream, StreamView.Tail tail) throws IOException {
        g.writeStartObject();
        g.writeStringField("stream", stream);
        g.writeBooleanField("more", tail.more());
        g.writeBooleanField("gap", tail.gap());
        g.writeArrayFieldStart("events");
        for (StreamView.Event e : tail.events()) {
            g.writeStartObject();
            g.writeStringField("id", Long.toUnsignedString(e.id()));
            g.writeNumberField("time", e.timeMillis());
            g.writeNumberField("size", e.size());
            writePayload(g, e.preview(), e.size() > e.preview().length);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeMessages(JsonGenerator g, StreamView view) throws IOException {
        g.writeStartObject();
        g.writeStringField("stream", view.id);
        g.writeArrayFieldStart("messages");
        for (StreamView.MessageState m : view.messages()) {
            g.writeStartObject();
            g.writeNumberField("message", m.seq());
            g.writeStringField("state", m.state());
            if (m.position() >= 0) {
                g.writeNumberField("position", m.position());
            }
            g.writeNumberField("size", m.size());
            g.writeNumberField("posted", m.postedMillis());
            if (m.writtenMillis() > 0) {
                g.writeNumberField("written", m.writtenMillis());
            }
            g.writeBooleanField("binary", !m.text());
            writePayload(g, m.preview(), m.size() > m.preview().length);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** "text" when the bytes are UTF-8 (a preview may end inside a character), else "base64"; and "truncated". */
    private static void writePayload(JsonGenerator g, byte[] preview, boolean truncated) throws IOException {
        String text = utf8(preview, truncated);
        if (text != null) {
            g.writeStringField("text", text);
        } else {
            g.writeStringField("base64", Base64.getEncoder().encodeToString(preview));
        }
        g.writeBooleanField("truncated", truncated);
    }

    /** The bytes as text when they are UTF-8 (an incomplete last character allowed when {@code cut}), else null. */
    static String utf8(byte[] bytes, boolean cut) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, !cut);
        if (r.isError() || (!cut && in.hasRemaining()) || (in.remaining() > 3)) {
            return null;
        }
        if (!cut && d.flush(out).isError()) {
            return null;
        }
        out.flip();
        return out.toString();
    }

    // ---- responses

    private static String param(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        StaticFiles.File f = console.files().get(path);
        if (f == null) {
            respond(ctx, req, text(HttpResponseStatus.NOT_FOUND, "no such page: " + path));
            return;
        }
        respond(ctx, req, file(HttpResponseStatus.OK, f));
    }

    private static FullHttpResponse file(HttpResponseStatus status, StaticFiles.File f) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(f.bytes()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, f.type());
        return res;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String text) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return res;
    }

    private static FullHttpResponse json(HttpResponseStatus status, JsonBody body) {
        ByteBuf buf = Unpooled.buffer();
        writeJson(buf, body);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return res;
    }

    /** Sends {@code res} with the headers every answer carries; keeps the connection when the request allows it. */
    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res) {
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff")
                // not no-referrer: with it Chromium sends "Origin: null" on the login form's POST, which is then refused
                .set("Referrer-Policy", "same-origin")
                .set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        if (req.method().equals(HttpMethod.HEAD)) {
            res.content().clear();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
