package io.wssink.protocol;

/** How a sink talks to its endpoint; see docs/PROTOCOL.md. */
public enum Mode {
    /** Offer wssink.v1; fall back to raw mode if the endpoint selects no subprotocol. */
    AUTO,
    /** wssink.v1 or nothing: an endpoint that selects no subprotocol is a failed connection attempt. */
    ACK,
    /** One event per frame, no ids, no acks: delivered once written to the socket. */
    RAW
}
