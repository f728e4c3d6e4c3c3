// Endpoint parsing ("host:port", "[v6]:port") and the choice of the next endpoint to try (protocol section 14.2).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace tether {

struct Endpoint {
    std::string host;  // without brackets for IPv6
    std::uint16_t port = 0;

    /// "host:port", with brackets around an IPv6 address.
    std::string to_string() const;
    bool operator==(const Endpoint& other) const { return host == other.host && port == other.port; }
};

/// Parses "127.0.0.1:7447", "[::1]:7447", "localhost:7447"; throws std::invalid_argument with a clear message.
Endpoint parse_endpoint(const std::string& text);

enum class EndpointSelection { failover, round_robin };

/// Which endpoint the next attempt uses: failover starts from the first after a loss and moves on after each failed
/// attempt; round-robin rotates on every attempt. Alternates from a GOAWAY or CLOSE go first, once each (decision D10).
class EndpointSelector {
public:
    EndpointSelector(std::vector<Endpoint> endpoints, EndpointSelection selection);

    /// The endpoint for the next attempt.
    Endpoint next();
    /// A connection opened (WELCOME): alternates are forgotten, failover starts again from the first after a loss.
    void on_connected();
    /// Replaces the one-shot alternate list.
    void set_alternates(std::vector<Endpoint> alternates);
    bool has_alternates() const { return !alternates_.empty(); }

private:
    std::vector<Endpoint> endpoints_;
    EndpointSelection selection_;
    std::deque<Endpoint> alternates_;
    std::size_t index_ = 0;
    bool started_ = false;
};

}  // namespace tether
