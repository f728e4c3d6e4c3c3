"""Tether client for Python: asyncio, standard library only.

See clients/python/README.md for an example and the API in brief.
"""

from .client import TetherClient
from .connection import DisconnectInfo
from .endpoints import FAILOVER, ROUND_ROBIN, Endpoint
from .errors import (ClientClosedError, ConnectError, MalformedCloseError, MessageTooLargeError, ProtocolError,
                     TetherError)
from .events import (ClientErrorEvent, Closed, Connected, Disconnected, Event, Reconnecting, Resumed, RoundTripTime,
                     SessionLost)
from .options import ReconnectOptions, SessionOptions, TetherClientOptions, TlsOptions

__version__ = "1.0.0"

__all__ = [
    "TetherClient", "TetherClientOptions", "ReconnectOptions", "SessionOptions", "TlsOptions", "Endpoint",
    "FAILOVER", "ROUND_ROBIN", "DisconnectInfo",
    "TetherError", "ConnectError", "ClientClosedError", "ProtocolError", "MalformedCloseError", "MessageTooLargeError",
    "Event", "Connected", "Disconnected", "Reconnecting", "Resumed", "SessionLost", "RoundTripTime",
    "ClientErrorEvent", "Closed",
]
