"""Exceptions raised by the Tether client."""

from __future__ import annotations

from typing import Optional


class TetherError(Exception):
    """Base class of every error the client raises."""


class ProtocolError(TetherError):
    """A frame broke the wire protocol; ``code`` is the close code to answer with (1002 or 1004)."""

    def __init__(self, message: str, code: int = 1002) -> None:
        super().__init__(message)
        self.code = code

    @property
    def error_name(self) -> str:
        """The spec's name for the error: ``PROTOCOL_ERROR`` or ``FRAME_TOO_LARGE``."""
        return "FRAME_TOO_LARGE" if self.code == 1004 else "PROTOCOL_ERROR"


class MalformedCloseError(ProtocolError):
    """A received CLOSE broke a rule: it is never answered (D1), only the connection is closed."""


class MessageTooLargeError(TetherError, ValueError):
    """A message is larger than the server accepts; it was not sent."""


class ClientClosedError(TetherError):
    """The client is closed (by the application, by the server for good, or after giving up)."""

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code


class ConnectError(TetherError):
    """An attempt to open a connection failed (TCP, TLS, or the handshake)."""

    def __init__(self, message: str, code: Optional[int] = None, retry_after_ms: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_ms = retry_after_ms
