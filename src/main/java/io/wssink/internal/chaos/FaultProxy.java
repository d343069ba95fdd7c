package io.wssink.internal.chaos;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault-injecting TCP proxy on 127.0.0.1, for the chaos soak and the tests: forwards to a target port, and on demand cuts every connection, cuts
 * after every N bytes from the client, delays every chunk, or blackholes traffic (drops it both ways, keeping the
 * connections open: a half-open link as the sink sees it).
 */
public final class FaultProxy implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel server;
    private volatile int targetPort;
    private volatile long cutEveryBytes;
    private volatile long delayMillis;
    private volatile boolean blackhole;
    private final AtomicLong cuts = new AtomicLong();

    public FaultProxy(int targetPort) {
        this.targetPort = targetPort;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        open.add(client);
                        Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                                .handler(new Relay(client, false));
                        b.connect("127.0.0.1", FaultProxy.this.targetPort).addListener(f -> {
                            if (f.isSuccess()) {
                                Channel upstream = ((ChannelFuture) f).channel();
                                open.add(upstream);
                                client.pipeline().addLast(new Relay(upstream, true));
                                client.config().setAutoRead(true);
                            } else {
                                client.close();
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String url() {
        return "ws://127.0.0.1:" + port() + "/";
    }

    public void target(int port) {
        targetPort = port;
    }

    /** Closes every proxied connection now. */
    public void cutAll() {
        cuts.incrementAndGet();
        open.close();
    }

    public void cutEveryBytes(long n) {
        cutEveryBytes = n;
    }

    public void delay(long millis) {
        delayMillis = millis;
    }

    public void blackhole(boolean on) {
        blackhole = on;
    }

    public long cuts() {
        return cuts.get();
    }

    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final boolean fromClient;
        private long bytes;
        /** Delayed chunks with their release times, in arrival order: one task drains them in that order, so later
         * chunks never overtake earlier ones (TCP never reorders a stream). Event loop only. */
        private final ArrayDeque<Object> delayed = new ArrayDeque<>();
        private final ArrayDeque<Long> releases = new ArrayDeque<>();

        Relay(Channel to, boolean fromClient) {
            this.to = to;
            this.fromClient = fromClient;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (blackhole) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (fromClient && cutEveryBytes > 0) {
                bytes += ((ByteBuf) msg).readableBytes();
                if (bytes >= cutEveryBytes) {
                    ReferenceCountUtil.release(msg);
                    cuts.incrementAndGet();
                    ctx.close();
                    to.close();
                    return;
                }
            }
            long delay = TimeUnit.MILLISECONDS.toNanos(delayMillis);
            if (delayed.isEmpty() && delay == 0) {
                to.writeAndFlush(msg);
                return;
            }
            delayed.add(msg);
            releases.add(System.nanoTime() + delay);
            if (delayed.size() == 1) {
                ctx.executor().schedule(() -> release(ctx), delay, TimeUnit.NANOSECONDS);
            }
        }

        private void release(ChannelHandlerContext ctx) {
            while (!delayed.isEmpty() && releases.peek() - System.nanoTime() <= 0) {
                releases.poll();
                to.writeAndFlush(delayed.poll());
            }
            if (!delayed.isEmpty()) {
                ctx.executor().schedule(() -> release(ctx), Math.max(0, releases.peek() - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            to.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        open.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
