package io.wssink.internal.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The event loop group every sink of this process shares unless its builder was given one: created on first use,
 * with {@link #THREADS} daemon threads (each started by Netty when the first channel lands on it), and never shut
 * down. A group per sink cost one thread per sink (100 sinks: 202 threads with the forwarders, 167 MB RSS); a
 * reference count that shut the group down with its last sink would make a sink opened during that shutdown fail,
 * and the threads of an idle group cost nothing but their stacks. They are daemons: a program that never closes its
 * sinks still exits.
 */
public final class SharedEventLoop {
    /** One per core, at most 4: each loop serves many sockets; the work per event is small beside the forwarder's. */
    public static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private SharedEventLoop() {
    }

    private static final class Holder { // the JVM's lazy, thread-safe initialization of a class
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(THREADS,
                NettyThreads.factory("wssink-io"), ioHandler());
    }

    private static IoHandlerFactory ioHandler() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** The process-wide group, created at the first call. */
    public static EventLoopGroup group() {
        return Holder.GROUP;
    }

    /** The socket channel type that runs on {@code group}: epoll's for an epoll group, NIO's otherwise. */
    static Class<? extends SocketChannel> channelType(EventLoopGroup group) {
        if (Epoll.isAvailable() && group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class)) {
            return EpollSocketChannel.class;
        }
        return NioSocketChannel.class;
    }
}
