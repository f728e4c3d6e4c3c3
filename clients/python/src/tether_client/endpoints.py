"""Endpoints (``host:port``) and the order in which reconnect attempts use them (docs/protocol.md §14.2, D10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Sequence, Union

FAILOVER = "failover"
ROUND_ROBIN = "round-robin"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @staticmethod
    def parse(text: str) -> "Endpoint":
        """Parses ``127.0.0.1:7447``, ``[::1]:7447`` or ``name:7447``; raises ValueError naming the problem."""
        if text.startswith("["):
            close = text.find("]")
            if close < 0 or not text[close + 1:].startswith(":"):
                raise ValueError(f"'{text}' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:7447)")
            host, port_text = text[1:close], text[close + 2:]
        else:
            host, sep, port_text = text.rpartition(":")
            if not sep or ":" in host:
                raise ValueError(f"'{text}' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:7447)")
        if not host:
            raise ValueError(f"'{text}' has no host")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"'{text}': the port must be a number from 1 to 65535")
        return Endpoint(host, int(port_text))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


EndpointLike = Union[Endpoint, str]


def to_endpoints(items: Iterable[EndpointLike]) -> List[Endpoint]:
    return [item if isinstance(item, Endpoint) else Endpoint.parse(item) for item in items]


class EndpointSelector:
    """Chooses each attempt's endpoint: one-shot alternates first, then the configured list."""

    def __init__(self, endpoints: Sequence[Endpoint], selection: str = FAILOVER) -> None:
        if not endpoints:
            raise ValueError("at least one endpoint is required")
        if selection not in (FAILOVER, ROUND_ROBIN):
            raise ValueError(f"endpoint selection '{selection}' is not one of {FAILOVER}, {ROUND_ROBIN}")
        self._endpoints = list(endpoints)
        self._selection = selection
        self._next_index = 0
        self._alternates: List[Endpoint] = []

    def next(self) -> Endpoint:
        if self._alternates:
            return self._alternates.pop(0)
        endpoint = self._endpoints[self._next_index]
        self._next_index = (self._next_index + 1) % len(self._endpoints)
        return endpoint

    def set_alternates(self, texts: Iterable[str]) -> None:
        """Replaces the one-shot list with the parsable items of a GOAWAY or CLOSE; unparsable ones are ignored."""
        parsed: List[Endpoint] = []
        for text in texts:
            try:
                parsed.append(Endpoint.parse(text))
            except ValueError:
                continue
        self._alternates = parsed

    def connection_opened(self) -> None:
        """A WELCOME arrived: alternates are forgotten, and with failover the next loss starts at the first endpoint."""
        self._alternates = []
        if self._selection == FAILOVER:
            self._next_index = 0
