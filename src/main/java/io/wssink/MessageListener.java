package io.wssink;

import io.wssink.protocol.InboundMessage;

/** Receives the receiver's application messages, in order, on a thread of the sink's own (never Netty's). */
@FunctionalInterface
public interface MessageListener {
    void onMessage(InboundMessage message);
}
