#include "tether/backoff.hpp"

#include <algorithm>

namespace tether {

std::chrono::milliseconds Backoff::ceiling(int attempt) const {
    if (attempt < 1) {
        attempt = 1;
    }
    // Doubling stops at the cap, so neither the shift nor the product can overflow.
    auto value = base_;
    for (int i = 1; i < attempt && value < cap_; ++i) {
        value *= 2;
    }
    return std::min(value, cap_);
}

std::chrono::milliseconds Backoff::next(int attempt, std::mt19937_64& random) const {
    auto top = ceiling(attempt).count();
    if (top <= 0) {
        return std::chrono::milliseconds(0);
    }
    std::uniform_int_distribution<long long> pick(0, top);
    return std::chrono::milliseconds(pick(random));
}

}  // namespace tether
