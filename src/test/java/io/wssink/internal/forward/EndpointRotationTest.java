package io.wssink.internal.forward;

import io.wssink.protocol.Mode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointRotationTest {
    private static final URI A = URI.create("ws://a/");
    private static final URI B = URI.create("ws://b/");
    private static final URI C = URI.create("ws://c/");

    @Test
    void failuresMoveOnInOrderAndWrapAround() {
        EndpointRotation r = new EndpointRotation(List.of(A, B, C), Mode.ACK, 1_000, 0);
        assertEquals(A, r.url());
        r.failed();
        assertEquals(B, r.url());
        r.failed();
        r.failed();
        assertEquals(A, r.url());
    }

    @Test
    void attemptsWaitForTheirTime() {
        EndpointRotation r = new EndpointRotation(List.of(A), Mode.ACK, 1_000, 100);
        assertTrue(r.due(100));
        r.notBefore(500);
        assertFalse(r.due(499));
        assertEquals(101, r.nanosUntilDue(399));
        assertTrue(r.due(500));
        assertEquals(0, r.nanosUntilDue(600));
    }

    @Test
    void anOrderlyCloseGoesBackToTheFirstEndpointAtOnce() {
        EndpointRotation r = new EndpointRotation(List.of(A, B), Mode.ACK, 1_000, 0);
        r.failed();
        r.notBefore(10_000);
        r.closedInOrder(50);
        assertEquals(A, r.url());
        assertTrue(r.due(50));
    }

    @Test
    void failbackIsDueOnlyOnALaterEndpointAfterItsTime() {
        EndpointRotation r = new EndpointRotation(List.of(A, B), Mode.ACK, 1_000, 0);
        assertFalse(r.failbackDue(0, 5_000), "already on the first");
        r.failed();
        assertFalse(r.failbackDue(100, 1_099));
        assertTrue(r.failbackDue(100, 1_100));
    }

    @Test
    void autoModeRetriesWithoutTheOfferOnceThenOffersAgainAfterAFailure() {
        EndpointRotation r = new EndpointRotation(List.of(A, B), Mode.AUTO, 1_000, 0);
        assertTrue(r.offerSubprotocol());
        r.notBefore(9_000);
        assertTrue(r.noSubprotocol(true, 10));
        assertFalse(r.offerSubprotocol());
        assertTrue(r.due(10), "the same endpoint again at once");
        assertEquals(A, r.url());
        assertFalse(r.noSubprotocol(false, 20), "not offered: a failure like any other");
        r.failed();
        assertTrue(r.offerSubprotocol());
        assertEquals(B, r.url());
    }

    @Test
    void failingBackToTheFirstEndpointOffersTheSubprotocolAgain() {
        EndpointRotation r = new EndpointRotation(List.of(A, B), Mode.AUTO, 1_000, 0);
        r.failed();
        assertTrue(r.noSubprotocol(true, 10), "B is a plain server");
        assertFalse(r.offerSubprotocol());
        r.closedInOrder(20); // failback from B, connected in raw mode
        assertEquals(A, r.url());
        assertTrue(r.offerSubprotocol(), "A speaks wssink.v1: it must be offered, or A is used in raw mode");
    }

    @Test
    void ackModeNeverDropsTheOfferAndRawModeNeverMakesIt() {
        EndpointRotation ack = new EndpointRotation(List.of(A), Mode.ACK, 1_000, 0);
        assertFalse(ack.noSubprotocol(true, 0));
        assertTrue(ack.offerSubprotocol());
        assertFalse(new EndpointRotation(List.of(A), Mode.RAW, 1_000, 0).offerSubprotocol());
    }
}
