package dev.tether.client;

/** A server address: a DNS name, an IPv4 address or an IPv6 address, and a port. */
public record Endpoint(String host, int port) {
    public Endpoint {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("endpoint host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint port " + port + " is outside 1-65535");
        }
    }

    /** Parses {@code host:port}, {@code [v6]:port} or {@code name:port}. */
    public static Endpoint parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int end = text.indexOf("]:");
            if (end < 0) {
                throw new IllegalArgumentException("endpoint \"" + text + "\" must look like [ADDRESS]:PORT");
            }
            host = text.substring(1, end);
            port = text.substring(end + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("endpoint \"" + text + "\" must look like HOST:PORT");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint \"" + text + "\" has no valid port");
        }
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("endpoint \"" + text + "\" has port " + number + " outside 1-65535");
        }
        return new Endpoint(host, number);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
