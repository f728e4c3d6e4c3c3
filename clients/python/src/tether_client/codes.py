"""Close codes (docs/protocol.md §13): their names, what they mean to a client, and whether it reconnects."""

from __future__ import annotations

NORMAL = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED_VERSION = 1003
FRAME_TOO_LARGE = 1004
HANDSHAKE_TIMEOUT = 1005
HEARTBEAT_TIMEOUT = 1006
AUTH_FAILED = 1007
SERVER_BUSY = 1008
SLOW_CONSUMER = 1009
REPLACED = 1010
INTERNAL_ERROR = 1011
RATE_LIMITED = 1012
TOO_MANY_CONNECTIONS = 1013
AUTH_EXPIRED = 1014

CODE_NAMES = {
    NORMAL: "NORMAL",
    GOING_AWAY: "GOING_AWAY",
    PROTOCOL_ERROR: "PROTOCOL_ERROR",
    UNSUPPORTED_VERSION: "UNSUPPORTED_VERSION",
    FRAME_TOO_LARGE: "FRAME_TOO_LARGE",
    HANDSHAKE_TIMEOUT: "HANDSHAKE_TIMEOUT",
    HEARTBEAT_TIMEOUT: "HEARTBEAT_TIMEOUT",
    AUTH_FAILED: "AUTH_FAILED",
    SERVER_BUSY: "SERVER_BUSY",
    SLOW_CONSUMER: "SLOW_CONSUMER",
    REPLACED: "REPLACED",
    INTERNAL_ERROR: "INTERNAL_ERROR",
    RATE_LIMITED: "RATE_LIMITED",
    TOO_MANY_CONNECTIONS: "TOO_MANY_CONNECTIONS",
    AUTH_EXPIRED: "AUTH_EXPIRED",
}

_NO_RECONNECT = {NORMAL, UNSUPPORTED_VERSION, AUTH_FAILED, REPLACED, AUTH_EXPIRED}

_REASONS = {
    HEARTBEAT_TIMEOUT: "heartbeat-timeout",
    HANDSHAKE_TIMEOUT: "handshake-timeout",
    PROTOCOL_ERROR: "protocol-error",
    FRAME_TOO_LARGE: "protocol-error",
    GOING_AWAY: "going-away",
    SLOW_CONSUMER: "slow-consumer",
    REPLACED: "replaced",
    RATE_LIMITED: "rate-limited",
    UNSUPPORTED_VERSION: "handshake-rejected",
    AUTH_FAILED: "handshake-rejected",
    SERVER_BUSY: "handshake-rejected",
    TOO_MANY_CONNECTIONS: "handshake-rejected",
    AUTH_EXPIRED: "handshake-rejected",
}


def code_name(code: int) -> str:
    if code in CODE_NAMES:
        return CODE_NAMES[code]
    if 4000 <= code <= 4999:
        return f"APPLICATION_{code}"
    return f"CODE_{code}"


def allows_reconnect(code: int) -> bool:
    """The "client reconnects?" column of §13; unknown codes are treated like 1011 (yes)."""
    if code in _NO_RECONNECT:
        return False
    return not 4500 <= code <= 4999


def reason_for_code(code: int) -> str:
    """The disconnect reason name a received close code maps to (closed-by-peer for 1000, 1011 and the rest)."""
    return _REASONS.get(code, "closed-by-peer")
