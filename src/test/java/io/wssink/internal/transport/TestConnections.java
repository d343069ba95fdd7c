package io.wssink.internal.transport;

import io.netty.channel.Channel;
import io.wssink.protocol.Mode;

/** Connections over a channel of the test's choosing (an EmbeddedChannel), for tests outside this package. */
public final class TestConnections {
    private TestConnections() {
    }

    public static Connection over(Channel channel, Mode mode, ConnectionEvents events) {
        Connection c = new Connection(mode != Mode.RAW, events, 64 << 10);
        c.channel = channel;
        c.mode = mode;
        return c;
    }
}
