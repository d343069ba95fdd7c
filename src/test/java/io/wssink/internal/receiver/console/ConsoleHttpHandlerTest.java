package io.wssink.internal.receiver.console;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The routing: a sink's upgrade goes on untouched; any other request makes the connection the console's. */
class ConsoleHttpHandlerTest {
    /** Stands for the sinks' handlers after the console's: keeps what reaches it. */
    private static final class Sinks extends ChannelInboundHandlerAdapter {
        Object got;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            got = msg;
        }
    }

    private static FullHttpRequest request(String uri) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        req.headers().set(HttpHeaderNames.HOST, "127.0.0.1:1");
        return req;
    }

    @Test
    void aWebSocketUpgradeGoesToTheSinksHandlersAndTheConsoleLeavesThePipeline() {
        Console console = new Console(null, Set.of(), 10);
        Sinks sinks = new Sinks();
        EmbeddedChannel ch = new EmbeddedChannel(new IdleStateHandler(60, 0, 0, TimeUnit.SECONDS),
                console.newHttpHandler(), sinks);
        FullHttpRequest upgrade = request("/");
        upgrade.headers().set(HttpHeaderNames.UPGRADE, "WebSocket").set(HttpHeaderNames.CONNECTION, "Upgrade");
        ch.writeInbound(upgrade);
        assertSame(upgrade, sinks.got);
        assertNull(ch.pipeline().get(ConsoleHttpHandler.class));
        assertNotNull(ch.pipeline().get(IdleStateHandler.class), "the sinks' idle timeout stays");
        assertNull(ch.readOutbound());
        upgrade.release();
    }

    @Test
    void anyOtherRequestIsAnsweredAndTheSinksHandlersLeave() {
        Console console = new Console(null, Set.of(), 10);
        Sinks sinks = new Sinks();
        IdleStateHandler sinksIdle = new IdleStateHandler(60, 0, 0, TimeUnit.SECONDS);
        EmbeddedChannel ch = new EmbeddedChannel(sinksIdle, console.newHttpHandler(), sinks);
        ch.writeInbound(request("/api/streams"));
        FullHttpResponse res = ch.readOutbound();
        assertEquals(200, res.status().code());
        assertEquals("[]", res.content().toString(StandardCharsets.UTF_8));
        res.release();
        assertNull(sinks.got);
        assertNull(ch.pipeline().get(Sinks.class), "the sinks' handlers (and their handshake deadline) left");
        assertNotSame(sinksIdle, ch.pipeline().get(IdleStateHandler.class), "the console's own idle timeout");
        FullHttpRequest upgrade = request("/");
        upgrade.headers().set(HttpHeaderNames.UPGRADE, "websocket");
        ch.writeInbound(upgrade);
        FullHttpResponse second = ch.readOutbound();
        assertEquals(200, second.status().code(), "a console connection stays the console's");
        second.release();
        assertTrue(ch.isOpen());
    }
}
