#include <cstdint>
#include <random>

#include "test.hpp"
#include "tether/backoff.hpp"

using namespace std::chrono;
using tether::Backoff;

TEST(backoff_ceiling_doubles_up_to_the_cap) {
    Backoff backoff(milliseconds(500), milliseconds(5000));
    CHECK_EQ(backoff.ceiling(1).count(), 500);
    CHECK_EQ(backoff.ceiling(2).count(), 1000);
    CHECK_EQ(backoff.ceiling(3).count(), 2000);
    CHECK_EQ(backoff.ceiling(4).count(), 4000);
    CHECK_EQ(backoff.ceiling(5).count(), 5000);
    CHECK_EQ(backoff.ceiling(1000).count(), 5000);
}

TEST(backoff_delays_stay_within_full_jitter_bounds) {
    Backoff backoff(milliseconds(500), milliseconds(5000));
    std::mt19937_64 random(42);
    for (int attempt = 1; attempt <= 8; ++attempt) {
        std::int64_t low = 1 << 30;
        std::int64_t high = 0;
        for (int i = 0; i < 2000; ++i) {
            std::int64_t delay = backoff.next(attempt, random).count();
            CHECK(delay >= 0);
            CHECK(delay <= backoff.ceiling(attempt).count());
            low = std::min(low, delay);
            high = std::max(high, delay);
        }
        // Full jitter: the draws spread over the whole range, not just near the top.
        CHECK(low < backoff.ceiling(attempt).count() / 10);
        CHECK(high > backoff.ceiling(attempt).count() * 9 / 10);
    }
}

TEST(backoff_with_zero_base_never_waits) {
    Backoff backoff(milliseconds(0), milliseconds(0));
    std::mt19937_64 random(1);
    CHECK_EQ(backoff.next(3, random).count(), 0);
}
