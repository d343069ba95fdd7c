package io.wssink.internal.transport;

import io.wssink.protocol.InboundMessage;

import java.util.ArrayList;
import java.util.List;

/** Connection events as they were reported, in order: what a test of a handler asserts on. */
final class RecordingEvents implements ConnectionEvents {
    final List<Long> acks = new ArrayList<>();
    final List<Long> written = new ArrayList<>();
    final List<InboundMessage> messages = new ArrayList<>();
    final List<Failure> closed = new ArrayList<>();
    int opened;
    int closedCount;
    int writabilityChanges;

    @Override
    public void opened(Connection connection) {
        opened++;
    }

    @Override
    public void ack(Connection connection, long id) {
        acks.add(id);
    }

    @Override
    public void written(Connection connection, long id) {
        written.add(id);
    }

    @Override
    public void message(Connection connection, InboundMessage message) {
        messages.add(message);
    }

    @Override
    public void writabilityChanged(Connection connection) {
        writabilityChanges++;
    }

    @Override
    public void closed(Connection connection, Failure failure) {
        closedCount++;
        closed.add(failure);
    }
}
