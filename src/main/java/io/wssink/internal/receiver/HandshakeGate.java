package io.wssink.internal.receiver;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Checks an upgrade request before the WebSocket handshake, and answers a refusal the client can read:
 * <ul>
 *   <li>403 to a request with an {@code Origin} header not in --allow-origin (nor the receiver's own, see
 *       {@link #ownOrigin}): a browser sends one, so any web page open on the receiver's host could otherwise write
 *       into the output;</li>
 *   <li>401 without a valid {@code Authorization: Bearer <token>}, when tokens are required;</li>
 *   <li>400 when the request offers wssink.v1 without a {@code Wssink-Stream} UUID;</li>
 *   <li>403 when the token may not write that stream (or, for raw mode, any stream: see {@link TokenFile});</li>
 *   <li>400 to a request that does not offer wssink.v1 when the store takes no raw mode
 *       ({@link ReceiverStore#refusesRaw()}): refused here, the sink keeps its events, where a raw-mode sink counts
 *       every event written before a later close as delivered.</li>
 * </ul>
 * Then it records the stream id on the channel for {@link ReceiverHandler} and removes itself (or, when the sink
 * offers gap notices, leaves a {@link GapNoticeReply} in its place to answer the offer).
 */
final class HandshakeGate extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeGate.class);
    /** The checked, lower-case stream id of a wssink.v1 request. */
    static final AttributeKey<String> STREAM = AttributeKey.valueOf("wssink.stream");
    /** When tokens come from a file, which may change: what let the connection in, checked again while it lasts. */
    static final AttributeKey<Credential> CREDENTIAL = AttributeKey.valueOf("wssink.credential");

    /**
     * The {@code Authorization} value a connection came in with (a secret: never logged, no {@code toString} of it),
     * and the token file to check it against again, so that a token revoked while its connection is open ends that
     * connection too: tokens are otherwise only checked at the handshake.
     */
    static final class Credential {
        private final TokenFile tokens;
        private final String authorization;
        private final String stream;

        Credential(TokenFile tokens, String authorization, String stream) {
            this.tokens = tokens;
            this.authorization = authorization;
            this.stream = stream;
        }

        /** Whether the token still may write this connection's stream (or use raw mode, without one). */
        boolean stillAllowed() {
            TokenFile.Grant g = tokens.check(authorization);
            return g != null && g.permits(stream);
        }

        @Override
        public String toString() {
            return "Credential[not shown]";
        }
    }

    private final TokenFile tokens;
    private final Set<String> allowedOrigins;
    private final boolean speaksWssink;
    /** Why the store takes no raw mode, or null when it does. */
    private final String refusesRaw;

    HandshakeGate(TokenFile tokens, Set<String> allowedOrigins, boolean speaksWssink, String refusesRaw) {
        this.tokens = tokens;
        this.allowedOrigins = allowedOrigins;
        this.speaksWssink = speaksWssink;
        this.refusesRaw = refusesRaw;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String refusal = null;
        HttpResponseStatus status = null;
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        boolean offersWssink = speaksWssink && offers(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        String stream = StreamIds.parse(req.headers().get(WireFormat.STREAM_HEADER));
        TokenFile.Grant grant = tokens == null ? null : tokens.check(req.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (origin != null && !allowedOrigins.contains(origin) && !ownOrigin(origin, req.headers().get(HttpHeaderNames.HOST))) {
            status = HttpResponseStatus.FORBIDDEN;
            refusal = "Origin not allowed: this receiver takes handshakes from sinks, not from web pages"
                    + " (serve --allow-origin ORIGIN allows one)";
        } else if (tokens != null && grant == null) {
            status = HttpResponseStatus.UNAUTHORIZED;
            refusal = "a valid Authorization: Bearer <token> header is required";
        } else if (!offersWssink && refusesRaw != null) {
            status = HttpResponseStatus.BAD_REQUEST;
            refusal = refusesRaw;
        } else if (offersWssink && stream == null) {
            status = HttpResponseStatus.BAD_REQUEST;
            refusal = "wssink.v1 needs a Wssink-Stream header holding a UUID";
        } else if (grant != null && !grant.permits(offersWssink ? stream : null)) {
            status = HttpResponseStatus.FORBIDDEN;
            refusal = offersWssink ? "this token may not write stream " + stream
                    : "this token may write only its streams, and raw mode has none";
        }
        if (status != null) {
            log.debug("refused a handshake from {}: {} {}", ctx.channel().remoteAddress(), status.code(), refusal);
            ReferenceCountUtil.release(msg);
            refuse(ctx, status, refusal);
            return;
        }
        if (offersWssink) {
            ctx.channel().attr(STREAM).set(stream);
        }
        if (tokens != null && tokens.canChange()) {
            ctx.channel().attr(CREDENTIAL).set(new Credential(tokens,
                    req.headers().get(HttpHeaderNames.AUTHORIZATION), offersWssink ? stream : null));
        }
        if (offersWssink && "1".equals(req.headers().get(WireFormat.GAP_NOTICES_HEADER))) {
            ctx.pipeline().replace(this, "gap-notice-reply", new GapNoticeReply());
        } else {
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Whether {@code origin} is the receiver's own, addressed by IP: Netty's WebSocket client (and so sinks built on
     * it) sends the URL's own origin, and no web page can have it, since the receiver serves none. Only an IP literal
     * counts: a page on a DNS name the attacker rebinds to this host would have that name as its origin.
     */
    static boolean ownOrigin(String origin, String host) {
        if (host == null || !(origin.equals("http://" + host) || origin.equals("https://" + host))) {
            return false;
        }
        String name = host.startsWith("[") ? host.substring(1, Math.max(1, host.indexOf(']')))
                : host.indexOf(':') >= 0 ? host.substring(0, host.indexOf(':')) : host;
        return NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name);
    }

    private static boolean offers(String subprotocols) {
        if (subprotocols == null) {
            return false;
        }
        for (String p : subprotocols.split(",")) {
            if (p.strip().equals(WireFormat.SUBPROTOCOL)) {
                return true;
            }
        }
        return false;
    }

    /** Answers {@code status} with {@code text} as a one-line body, and closes. */
    static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (status == HttpResponseStatus.UNAUTHORIZED) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
}
