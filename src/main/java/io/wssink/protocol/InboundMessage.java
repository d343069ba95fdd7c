package io.wssink.protocol;

import java.nio.charset.StandardCharsets;

/** An application message from the receiver: any frame that is not an ack. */
public record InboundMessage(boolean isText, byte[] data) {
    /** The message as text (UTF-8). */
    public String text() {
        return new String(data, StandardCharsets.UTF_8);
    }
}
