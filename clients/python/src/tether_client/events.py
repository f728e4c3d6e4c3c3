"""Events a TetherClient reports to its listeners, in the order they happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Union


@dataclass(frozen=True)
class Connected:
    """A connection opened (WELCOME received)."""

    endpoint: str
    connection_id: int
    server_id: str
    heartbeat_interval: float
    heartbeat_timeout: float
    session_id: Optional[str]


@dataclass(frozen=True)
class Disconnected:
    """An open connection ended. ``reason`` is a kebab-case name (see the README); ``code`` the close code or None."""

    reason: str
    code: Optional[int]
    description: str


@dataclass(frozen=True)
class Reconnecting:
    """About to wait ``delay`` seconds, then try ``endpoint``; ``attempt`` is 1 for the first retry."""

    attempt: int
    delay: float
    endpoint: str
    last_error: Optional[str]


@dataclass(frozen=True)
class Resumed:
    """The session survived the reconnect; ``resent`` messages were retransmitted."""

    session_id: str
    server_last_received: int
    resent: int


@dataclass(frozen=True)
class SessionLost:
    """The session could not be resumed. Its unacknowledged messages are not resent (they may have arrived):
    they are handed back in ``unacknowledged_messages``."""

    session_id: str
    reason: str
    unacknowledged_sent: int
    server_reported_lost: Optional[int]
    description: str
    unacknowledged_messages: List[bytes] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class RoundTripTime:
    """A PONG answered one of the client's PINGs after ``rtt`` seconds."""

    rtt: float


@dataclass(frozen=True)
class ClientErrorEvent:
    """Something went wrong that does not end the client (e.g. a listener raised)."""

    message: str


@dataclass(frozen=True)
class Closed:
    """The client stopped for good. ``reason``: ``closed`` (the application closed it), ``gave-up``, or the
    disconnect reason of the close that ended it."""

    reason: str
    description: Optional[str]
    unacknowledged: int


Event = Union[Connected, Disconnected, Reconnecting, Resumed, SessionLost, RoundTripTime, ClientErrorEvent, Closed]
