// Reconnect delays of protocol section 14.1: exponential backoff with full jitter.
#pragma once

#include <chrono>
#include <random>

namespace tether {

class Backoff {
public:
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap) : base_(base), cap_(cap) {}

    /// The upper bound of the delay before reconnect attempt `attempt` (1 for the first retry): min(cap, base * 2^(n-1)).
    std::chrono::milliseconds ceiling(int attempt) const;

    /// A delay drawn uniformly from [0, ceiling(attempt)].
    std::chrono::milliseconds next(int attempt, std::mt19937_64& random) const;

private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
};

}  // namespace tether
