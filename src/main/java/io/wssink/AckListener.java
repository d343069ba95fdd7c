package io.wssink;

/**
 * Hears of each event that a {@link WebSocketSink} sent and its receiver acknowledged (in raw mode: that was
 * written to the socket), for figures such as the time from write to ack. Called on the sink's forwarder thread,
 * once per event, oldest first: it must return at once and never block, or it holds back delivery.
 *
 * <p>An event acknowledged by the resume ack of a later connection (the acks of the one that sent it were lost) is
 * heard of too. Events whose write time the sink does not know (sent by an earlier process, or before an internal
 * error made it read the spool again) are not: {@link WebSocketSink#ackedEvents()} counts every one.
 */
@FunctionalInterface
public interface AckListener {
    /**
     * @param id              the event's id, as {@code write} returned it
     * @param writtenAtMillis when it was written, in milliseconds since the epoch
     * @param ackedAtMillis   when the ack was taken in, in milliseconds since the epoch
     */
    void acked(long id, long writtenAtMillis, long ackedAtMillis);
}
