#include "tether/endpoints.hpp"

#include <stdexcept>

namespace tether {

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

Endpoint parse_endpoint(const std::string& text) {
    auto bad = [&](const std::string& why) {
        return std::invalid_argument("'" + text + "' is not a valid endpoint (" + why + "); expected HOST:PORT, e.g. 127.0.0.1:7447 or [::1]:7447");
    };
    std::string host;
    std::string port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            throw bad("unclosed '[' or no port");
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            throw bad("no port");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) {
            throw bad("an IPv6 address needs square brackets");
        }
    }
    if (host.empty()) {
        throw bad("empty host");
    }
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
        throw bad("the port must be a number from 1 to 65535");
    }
    unsigned long value = std::stoul(port);
    if (value < 1 || value > 65535) {
        throw bad("the port must be a number from 1 to 65535");
    }
    return Endpoint{host, static_cast<std::uint16_t>(value)};
}

EndpointSelector::EndpointSelector(std::vector<Endpoint> endpoints, EndpointSelection selection)
    : endpoints_(std::move(endpoints)), selection_(selection) {
    if (endpoints_.empty()) {
        throw std::invalid_argument("at least one endpoint is required");
    }
}

Endpoint EndpointSelector::next() {
    if (!alternates_.empty()) {
        Endpoint alternate = alternates_.front();
        alternates_.pop_front();
        return alternate;
    }
    if (!started_) {
        started_ = true;
        return endpoints_[index_];
    }
    index_ = (index_ + 1) % endpoints_.size();
    return endpoints_[index_];
}

void EndpointSelector::on_connected() {
    alternates_.clear();
    if (selection_ == EndpointSelection::failover) {
        // The attempt after a loss starts again from the first endpoint.
        index_ = 0;
        started_ = false;
    }
}

void EndpointSelector::set_alternates(std::vector<Endpoint> alternates) {
    alternates_.assign(alternates.begin(), alternates.end());
}

}  // namespace tether
