package io.wssink.internal.receiver;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which CompleteCommit an exactly-once ack may take for its own commit (KafkaReceiverStore.awaitMarkers): rejecting
 * its own would close the connection after every commit, taking another owner's would ack what may be aborted.
 */
class KafkaCommitOwnershipTest {
    @Test
    void aCommitOfTheSameProducerIsAtItsEpochOrOneAbove() {
        // version 2: initTransactions left epoch 5; the first commit completes at 6, the next (known 6) at 7
        assertTrue(KafkaReceiverStore.committedBySameProducer(10, 5, 10, 6));
        assertTrue(KafkaReceiverStore.committedBySameProducer(10, 6, 10, 7));
        // version 1: a commit does not bump the epoch
        assertTrue(KafkaReceiverStore.committedBySameProducer(10, 5, 10, 5));
    }

    @Test
    void anotherOwnersCommitIsTwoAboveOrMoreOrBelow() {
        // another owner's initTransactions (+1) and its commit (+1)
        assertFalse(KafkaReceiverStore.committedBySameProducer(10, 5, 10, 7));
        assertFalse(KafkaReceiverStore.committedBySameProducer(10, 5, 10, 40));
        assertFalse(KafkaReceiverStore.committedBySameProducer(10, 5, 10, 4));
        // a new producer id while the epoch had room: not a version 2 roll-over
        assertFalse(KafkaReceiverStore.committedBySameProducer(10, 5, 11, 0));
    }

    @Test
    void aRollOverToANewProducerIdOnlyWhenTheEpochRanOut() {
        assertTrue(KafkaReceiverStore.committedBySameProducer(10, Short.MAX_VALUE - 1, 11, 0));
        assertTrue(KafkaReceiverStore.committedBySameProducer(10, Short.MAX_VALUE, 11, 0));
        assertFalse(KafkaReceiverStore.committedBySameProducer(10, Short.MAX_VALUE - 2, 11, 0));
    }
}
