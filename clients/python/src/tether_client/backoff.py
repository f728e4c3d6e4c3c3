"""Exponential backoff with full jitter (docs/protocol.md §14.1)."""

from __future__ import annotations

import random
from typing import Callable, Optional


class ExponentialBackoff:
    """delay(n) = uniform(0, min(max_delay, base_delay * 2^(n-1))) seconds, n = 1, 2, 3, ..."""

    def __init__(self, base_delay: float, max_delay: float, rng: Optional[Callable[[], float]] = None) -> None:
        if base_delay < 0 or max_delay < base_delay:
            raise ValueError("reconnect delays must satisfy 0 <= base_delay <= max_delay")
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = rng or random.random

    def ceiling(self, attempt: int) -> float:
        """The upper bound of attempt n's delay."""
        if attempt < 1:
            raise ValueError("attempts are numbered from 1")
        # Capped exponent: 2^64 would be exact in Python but pointless, and the cap is reached long before.
        return min(self.max_delay, self.base_delay * float(1 << min(attempt - 1, 62)))

    def delay(self, attempt: int) -> float:
        return self._rng() * self.ceiling(attempt)
