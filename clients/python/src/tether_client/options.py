"""Settings of a TetherClient; defaults follow docs/protocol.md (§8, §10.10, §14)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import List, Optional

from .endpoints import FAILOVER, ROUND_ROBIN, Endpoint, EndpointLike, to_endpoints
from .frames import DEFAULT_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE


@dataclass
class ReconnectOptions:
    """Exponential backoff with full jitter. Durations in seconds."""

    enabled: bool = True
    base_delay: float = 0.5
    max_delay: float = 5.0
    # Connection attempts in total, the first included, counted since the last stable connection; None = unlimited.
    max_attempts: Optional[int] = None
    stable_after: float = 30.0


@dataclass
class SessionOptions:
    """Reliable sessions: resume after reconnects, exactly-once in-order delivery."""

    enabled: bool = True
    ack_after_messages: int = 32
    ack_after_bytes: int = 64 * 1024
    ack_delay: float = 0.2
    # A full replay buffer makes send() wait until the server acknowledges.
    max_unacknowledged_bytes: int = 4 * 1024 * 1024


@dataclass
class TlsOptions:
    """TLS with the platform's ssl module: the server name is checked against ``server_name`` or the endpoint host."""

    ca_file: Optional[str] = None
    insecure: bool = False
    server_name: Optional[str] = None
    context: Optional[ssl.SSLContext] = None

    def create_context(self) -> ssl.SSLContext:
        if self.context is not None:
            return self.context
        if self.insecure and self.ca_file:
            raise ValueError("ca_file and insecure contradict each other: insecure checks nothing")
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass
class TetherClientOptions:
    endpoints: List[EndpointLike] = field(default_factory=list)
    endpoint_selection: str = FAILOVER
    client_id: Optional[str] = None
    token: bytes = b""
    # Proposals to the server, in seconds; None lets the server decide.
    heartbeat_interval: Optional[float] = None
    heartbeat_timeout: Optional[float] = None
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    # One deadline for TCP connect + TLS + HELLO -> WELCOME.
    connect_timeout: float = 10.0
    # Without a session, how long send() waits for a connection before it fails.
    disconnected_send_timeout: float = 10.0
    # After sending CLOSE, how long to read and discard input waiting for the server to close.
    close_linger: float = 2.0
    reconnect: ReconnectOptions = field(default_factory=ReconnectOptions)
    sessions: SessionOptions = field(default_factory=SessionOptions)
    tls: Optional[TlsOptions] = None

    def parsed_endpoints(self) -> List[Endpoint]:
        return to_endpoints(self.endpoints)

    def validate(self) -> None:
        """Raises ValueError naming the first setting that is wrong."""
        if not self.endpoints:
            raise ValueError("at least one endpoint is required, e.g. '127.0.0.1:7447'")
        self.parsed_endpoints()
        if self.endpoint_selection not in (FAILOVER, ROUND_ROBIN):
            raise ValueError(f"endpoint_selection '{self.endpoint_selection}' is not one of {FAILOVER}, {ROUND_ROBIN}")
        if self.client_id is not None and len(self.client_id.encode("utf-8")) > 256:
            raise ValueError("client_id is longer than 256 UTF-8 bytes")
        if len(self.token) > 4096:
            raise ValueError("token is longer than 4096 bytes")
        if not MIN_MAX_FRAME_SIZE <= self.max_frame_size <= 0xFFFFFFFF:
            raise ValueError(f"max_frame_size must be at least {MIN_MAX_FRAME_SIZE}")
        for name in ("heartbeat_interval", "heartbeat_timeout"):
            value = getattr(self, name)
            if value is not None and not 0 < value * 1000 <= 0xFFFFFFFF:
                raise ValueError(f"{name} must be positive and below 2^32 ms")
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        reconnect = self.reconnect
        if reconnect.base_delay < 0 or reconnect.max_delay < reconnect.base_delay:
            raise ValueError("reconnect delays must satisfy 0 <= base_delay <= max_delay")
        if reconnect.max_attempts is not None and reconnect.max_attempts < 1:
            raise ValueError("reconnect.max_attempts must be at least 1")
        if self.sessions.ack_after_messages < 1 or self.sessions.max_unacknowledged_bytes < 1:
            raise ValueError("session ack and buffer bounds must be positive")
