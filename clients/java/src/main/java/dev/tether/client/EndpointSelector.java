package dev.tether.client;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Picks the endpoint of each attempt: first the one-shot alternates a server named in its GOAWAY or CLOSE (D10),
 * then the configured list by failover or round-robin.
 */
final class EndpointSelector {
    private final List<Endpoint> endpoints;
    private final EndpointSelection mode;
    private final Deque<Endpoint> alternates = new ArrayDeque<>();
    private int next;

    EndpointSelector(List<Endpoint> endpoints, EndpointSelection mode) {
        this.endpoints = List.copyOf(endpoints);
        this.mode = mode;
    }

    synchronized Endpoint next() {
        Endpoint alternate = alternates.poll();
        if (alternate != null) {
            return alternate;
        }
        Endpoint endpoint = endpoints.get(next % endpoints.size());
        next = (next + 1) % endpoints.size();
        return endpoint;
    }

    /** A connection opened: the alternates are forgotten and failover starts at the top for the next outage. */
    synchronized void onConnected() {
        alternates.clear();
        if (mode == EndpointSelection.FAILOVER) {
            next = 0;
        }
    }

    /** Replaces the one-shot alternates with the server's list (an empty list keeps the current one). */
    synchronized void useAlternates(List<Endpoint> list) {
        if (!list.isEmpty()) {
            alternates.clear();
            alternates.addAll(list);
        }
    }
}
