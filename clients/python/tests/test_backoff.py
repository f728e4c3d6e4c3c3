from __future__ import annotations

import random
import unittest

from tether_client.backoff import ExponentialBackoff


class BackoffTests(unittest.TestCase):
    def test_ceilings_double_from_the_base_up_to_the_cap(self) -> None:
        backoff = ExponentialBackoff(0.5, 5.0)
        self.assertEqual([0.5, 1.0, 2.0, 4.0, 5.0, 5.0], [backoff.ceiling(n) for n in range(1, 7)])
        self.assertEqual(5.0, backoff.ceiling(10_000))

    def test_delays_are_full_jitter_within_zero_and_the_ceiling(self) -> None:
        rng = random.Random(7)
        backoff = ExponentialBackoff(0.5, 5.0, rng.random)
        for attempt in range(1, 12):
            delays = [backoff.delay(attempt) for _ in range(300)]
            self.assertTrue(all(0 <= d <= backoff.ceiling(attempt) for d in delays))
            # Full jitter spreads over the whole range, not just near the ceiling.
            self.assertLess(min(delays), backoff.ceiling(attempt) * 0.1)
            self.assertGreater(max(delays), backoff.ceiling(attempt) * 0.9)

    def test_extremes_of_the_random_source_give_the_bounds(self) -> None:
        self.assertEqual(0.0, ExponentialBackoff(0.5, 5.0, lambda: 0.0).delay(3))
        self.assertEqual(2.0, ExponentialBackoff(0.5, 5.0, lambda: 1.0).delay(3))

    def test_bad_settings_and_attempts_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            ExponentialBackoff(2.0, 1.0)
        with self.assertRaises(ValueError):
            ExponentialBackoff(0.5, 5.0).ceiling(0)


if __name__ == "__main__":
    unittest.main()
