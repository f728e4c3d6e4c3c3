package dev.tether.client;

import java.util.List;

/** Failover, round-robin and one-shot alternates (section 14.2, D10). */
public final class EndpointSelectorTest {
    private static final Endpoint A = new Endpoint("a", 1);
    private static final Endpoint B = new Endpoint("b", 1);
    private static final Endpoint C = new Endpoint("c", 1);
    private static final Endpoint X = new Endpoint("x", 1);
    private static final Endpoint Y = new Endpoint("y", 1);

    public void testFailoverStartsAtTheTopAfterAConnection() {
        EndpointSelector s = new EndpointSelector(List.of(A, B, C), EndpointSelection.FAILOVER);
        Check.equal(A, s.next(), "first");
        Check.equal(B, s.next(), "after a failure");
        s.onConnected();
        Check.equal(A, s.next(), "next outage starts at the top");
    }

    public void testRoundRobinKeepsRotating() {
        EndpointSelector s = new EndpointSelector(List.of(A, B, C), EndpointSelection.ROUND_ROBIN);
        Check.equal(A, s.next(), "1");
        s.onConnected();
        Check.equal(B, s.next(), "2");
        Check.equal(C, s.next(), "3");
        Check.equal(A, s.next(), "wraps");
    }

    public void testAlternatesAreTriedOnceInOrderThenTheListResumes() {
        EndpointSelector s = new EndpointSelector(List.of(A, B), EndpointSelection.FAILOVER);
        Check.equal(A, s.next(), "first");
        s.useAlternates(List.of(X, Y));
        Check.equal(X, s.next(), "first alternate");
        s.useAlternates(List.of());
        Check.equal(Y, s.next(), "an empty list keeps the current alternates");
        Check.equal(B, s.next(), "then the configured list resumes");
        s.useAlternates(List.of(X, Y));
        s.useAlternates(List.of(Y));
        Check.equal(Y, s.next(), "a later list replaces the earlier one");
        s.useAlternates(List.of(X));
        s.onConnected();
        Check.equal(A, s.next(), "alternates are forgotten once a connection opens");
    }
}
