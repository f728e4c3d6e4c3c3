package dev.tether.client;

/** How reconnect attempts pick among several endpoints (section 14.2). */
public enum EndpointSelection {
    /** Each outage starts at the first endpoint; every failed attempt moves to the next one. */
    FAILOVER,
    /** Every attempt uses the endpoint after the one used last. */
    ROUND_ROBIN
}
