package io.wssink.internal.forward;

/** Sees each event the peer acknowledged once, on the forwarder thread, oldest first; must return at once. */
@FunctionalInterface
public interface AckObserver {
    /**
     * @param id              the event's id
     * @param writtenAtMillis when it was written to the spool, in milliseconds since the epoch
     * @param ackedAtMillis   when its ack was applied, in milliseconds since the epoch
     */
    void acked(long id, long writtenAtMillis, long ackedAtMillis);
}
