"""Durations as the command line writes them: 250ms, 30s, 1.5s, 2m, 1h, or a bare number of seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
_PATTERN = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$")


def parse_duration(text: str) -> float:
    """Seconds; raises ValueError naming the text when it is not a duration."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)")
    return float(match.group(1)) * _UNITS[match.group(2) or ""]
