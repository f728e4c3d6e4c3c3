#!/usr/bin/env python3
"""A small Tether v1 client, written from docs/protocol.md alone.

Standard library only (Python 3.11+). It implements the "minimal client" of section 16 of the
specification for one connection (no sessions, no reconnect loop):

* framing (section 4): 6-byte header, checks on every header before the body is read
  (reserved types, reserved flags, maximum body size, handshake phase);
* HELLO / WELCOME (sections 5.1, 5.2, 7): validation of WELCOME at frame and connection level;
* heartbeats (section 8): PONG for every PING, own PING after `I` of sending nothing, peer
  declared dead after `T` of receiving nothing;
* extension frames 0x40-0x7F are skipped (section 4.3), TLV extension items parsed (section 6);
* GOAWAY (section 11) and CLOSE (section 12).

Command line: one JSON object per line on stdout per event; see ``--help``.
Exit codes: 0 normal end, 2 protocol / connection error (including a refused handshake).

The library part can also be used on its own::

    conn = TetherClientConnection.connect("127.0.0.1", 7447, emit=print)
    welcome = conn.handshake(client_id="me")
    conn.send_data(b"hello")
    while conn.state == "open":
        conn.poll(1.0)
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import time
from typing import Any, Callable

# --------------------------------------------------------------------------------------------
# Constants (sections 4, 5, 13)
# --------------------------------------------------------------------------------------------

HELLO = 0x01
WELCOME = 0x02
DATA = 0x03
ACK = 0x04
PING = 0x05
PONG = 0x06
GOAWAY = 0x07
CLOSE = 0x08

TYPE_NAMES = {
    HELLO: "HELLO",
    WELCOME: "WELCOME",
    DATA: "DATA",
    ACK: "ACK",
    PING: "PING",
    PONG: "PONG",
    GOAWAY: "GOAWAY",
    CLOSE: "CLOSE",
}

# Flags defined per core type (section 4.4); every other bit is reserved.
DEFINED_FLAGS = {
    HELLO: 0x03,
    WELCOME: 0x03,
    DATA: 0x03,
    ACK: 0x00,
    PING: 0x00,
    PONG: 0x00,
    GOAWAY: 0x00,
    CLOSE: 0x00,
}

FLAG_SESSION = 0x01  # HELLO / WELCOME
FLAG_RESUME = 0x02  # HELLO (RESUMED in WELCOME)
FLAG_SEQ = 0x01  # DATA
FLAG_ACK = 0x02  # DATA

MAGIC = b"TTHR"
HEADER_SIZE = 6
HANDSHAKE_MAX_BODY = 8192  # section 4.5
MIN_ANNOUNCED_MAX_FRAME = 1024  # section 4.5
DEFAULT_MAX_FRAME = 1048576  # section 4.5 ("our implementation announces 1 MiB")
HELLO_FIXED = 46
WELCOME_FIXED = 53
MAX_CLIENT_ID = 256
MAX_TOKEN = 4096
MAX_SERVER_ID = 256
EXT_ALTERNATE_ENDPOINT = 0x0001
U64_MASK = (1 << 64) - 1

NORMAL = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED_VERSION = 1003
FRAME_TOO_LARGE = 1004
HEARTBEAT_TIMEOUT = 1006

CLOSE_CODE_NAMES = {
    1000: "NORMAL",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_VERSION",
    1004: "FRAME_TOO_LARGE",
    1005: "HANDSHAKE_TIMEOUT",
    1006: "HEARTBEAT_TIMEOUT",
    1007: "AUTH_FAILED",
    1008: "SERVER_BUSY",
    1009: "SLOW_CONSUMER",
    1010: "REPLACED",
    1011: "INTERNAL_ERROR",
    1012: "RATE_LIMITED",
    1013: "TOO_MANY_CONNECTIONS",
    1014: "AUTH_EXPIRED",
}

# Section 13, "client reconnects?" column. Reported only: this CLI never reconnects.
NO_RECONNECT_CODES = {1000, 1003, 1007, 1010, 1014}


def close_code_name(code: int) -> str:
    if code in CLOSE_CODE_NAMES:
        return CLOSE_CODE_NAMES[code]
    if 4000 <= code <= 4999:
        return "APPLICATION"
    return "UNKNOWN"


def client_should_reconnect(code: int) -> bool:
    """Section 13; unknown codes are treated like 1011 (reconnect with backoff)."""
    if code in NO_RECONNECT_CODES:
        return False
    if 4500 <= code <= 4999:
        return False
    return True


def is_extension_type(frame_type: int) -> bool:
    return 0x40 <= frame_type <= 0x7F


def is_core_type(frame_type: int) -> bool:
    return HELLO <= frame_type <= CLOSE


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ProtocolError(Exception):
    """A violation that closes the connection with `code` (section 2.5)."""

    def __init__(self, message: str, code: int = PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.code = code

    @property
    def error_name(self) -> str:
        return close_code_name(self.code)


class FrameTooLargeError(ProtocolError):
    def __init__(self, message: str) -> None:
        super().__init__(message, FRAME_TOO_LARGE)


# --------------------------------------------------------------------------------------------
# Frame-level encoding and decoding (sections 4, 5, 6)
# --------------------------------------------------------------------------------------------


def check_header(frame_type: int, flags: int, length: int, max_body: int) -> None:
    """Header checks of section 4.6 that do not depend on the connection phase."""
    if not (is_core_type(frame_type) or is_extension_type(frame_type)):
        raise ProtocolError(f"reserved frame type 0x{frame_type:02x}")
    if length > max_body:
        raise FrameTooLargeError(f"body length {length} exceeds maximum {max_body}")
    if is_core_type(frame_type) and flags & ~DEFINED_FLAGS[frame_type] & 0xFF:
        raise ProtocolError(
            f"reserved flag bits 0x{flags & ~DEFINED_FLAGS[frame_type] & 0xFF:02x} "
            f"set on {TYPE_NAMES[frame_type]}"
        )


class _BodyReader:
    """Reads big-endian fields from a body; any overrun is a PROTOCOL_ERROR (section 4.6)."""

    def __init__(self, body: bytes, what: str) -> None:
        self.body = body
        self.pos = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.body) - self.pos

    def take(self, n: int, field: str) -> bytes:
        if n > self.remaining():
            raise ProtocolError(f"{self.what}: {field} runs past the end of the body")
        chunk = self.body[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def u16(self, field: str) -> int:
        return int.from_bytes(self.take(2, field), "big")

    def u32(self, field: str) -> int:
        return int.from_bytes(self.take(4, field), "big")

    def u64(self, field: str) -> int:
        return int.from_bytes(self.take(8, field), "big")

    def utf8(self, n: int, field: str) -> str:
        return decode_utf8(self.take(n, field), f"{self.what}.{field}")

    def rest(self) -> bytes:
        chunk = self.body[self.pos :]
        self.pos = len(self.body)
        return chunk


def decode_utf8(raw: bytes, field: str) -> str:
    # Python's strict UTF-8 codec rejects overlong forms, surrogates, > U+10FFFF and
    # truncated sequences, which is exactly RFC 3629 (section 2.3).
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{field} is not well-formed UTF-8 ({exc.reason})") from None


def decode_extensions(reader: _BodyReader) -> list[tuple[int, bytes]]:
    """TLV items until the end of the body (section 6)."""
    items: list[tuple[int, bytes]] = []
    while reader.remaining() > 0:
        if reader.remaining() < 4:
            raise ProtocolError(f"{reader.what}: trailing bytes cannot hold an extension header")
        key = reader.u16("extension key")
        length = reader.u16("extension length")
        value = reader.take(length, f"extension 0x{key:04x} value")
        items.append((key, value))
    return items


def encode_extensions(items: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for key, value in items:
        out += key.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value
    return bytes(out)


def alternate_endpoints(items: list[tuple[int, bytes]]) -> list[str]:
    """ALTERNATE_ENDPOINT values that parse as host:port; others are ignored (section 6)."""
    result = []
    for key, value in items:
        if key != EXT_ALTERNATE_ENDPOINT:
            continue
        try:
            text = value.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            continue
        if parse_host_port(text) is not None:
            result.append(text)
    return result


def parse_host_port(text: str) -> tuple[str, int] | None:
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1 : end + 2] != ":":
            return None
        host, port_text = text[1:end], text[end + 2 :]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or ":" in host:
            return None
    if not host or not port_text.isdigit():
        return None
    port = int(port_text)
    if not 1 <= port <= 65535:
        return None
    return host, port


def decode_body(frame_type: int, flags: int, body: bytes) -> dict[str, Any]:
    """Frame-level decoding of one body (section 5). Returns a dict of fields."""
    if is_extension_type(frame_type):
        return {"typeCode": frame_type, "body": body}
    name = TYPE_NAMES[frame_type]
    r = _BodyReader(body, name)
    if frame_type == HELLO:
        if flags & FLAG_RESUME and not flags & FLAG_SESSION:
            raise ProtocolError("HELLO: RESUME set without SESSION")
        magic = r.take(4, "magic")
        if magic != MAGIC:
            raise ProtocolError("HELLO: bad magic")
        f: dict[str, Any] = {}
        f["minVersion"] = r.u8("minVersion")
        f["maxVersion"] = r.u8("maxVersion")
        f["heartbeatIntervalMs"] = r.u32("heartbeatIntervalMs")
        f["heartbeatTimeoutMs"] = r.u32("heartbeatTimeoutMs")
        f["maxFrameSize"] = r.u32("maxFrameSize")
        f["sessionId"] = r.take(16, "sessionId")
        f["lastReceivedSeq"] = r.u64("lastReceivedSeq")
        client_id_len = r.u16("clientIdLen")
        if client_id_len > MAX_CLIENT_ID:
            raise ProtocolError(f"HELLO: clientIdLen {client_id_len} > {MAX_CLIENT_ID}")
        f["clientId"] = r.utf8(client_id_len, "clientId")
        token_len = r.u16("tokenLen")
        if token_len > MAX_TOKEN:
            raise ProtocolError(f"HELLO: tokenLen {token_len} > {MAX_TOKEN}")
        f["token"] = r.take(token_len, "token")
        f["extensions"] = decode_extensions(r)
        if f["minVersion"] == 0:
            raise ProtocolError("HELLO: minVersion 0")
        if f["minVersion"] > f["maxVersion"]:
            raise ProtocolError("HELLO: minVersion > maxVersion")
        if f["maxFrameSize"] < MIN_ANNOUNCED_MAX_FRAME:
            raise ProtocolError(f"HELLO: maxFrameSize {f['maxFrameSize']} < 1024")
        return f
    if frame_type == WELCOME:
        if flags & FLAG_RESUME and not flags & FLAG_SESSION:
            raise ProtocolError("WELCOME: RESUMED set without SESSION")
        f = {}
        f["version"] = r.u8("version")
        f["heartbeatIntervalMs"] = r.u32("heartbeatIntervalMs")
        f["heartbeatTimeoutMs"] = r.u32("heartbeatTimeoutMs")
        f["maxFrameSize"] = r.u32("maxFrameSize")
        f["connectionId"] = r.u64("connectionId")
        f["sessionId"] = r.take(16, "sessionId")
        f["lastReceivedSeq"] = r.u64("lastReceivedSeq")
        f["sessionResetReason"] = r.u16("sessionResetReason")
        f["lostCount"] = r.u32("lostCount")
        server_id_len = r.u16("serverIdLen")
        if server_id_len > MAX_SERVER_ID:
            raise ProtocolError(f"WELCOME: serverIdLen {server_id_len} > {MAX_SERVER_ID}")
        f["serverId"] = r.utf8(server_id_len, "serverId")
        f["extensions"] = decode_extensions(r)
        if f["version"] == 0:
            raise ProtocolError("WELCOME: version 0")
        if f["heartbeatIntervalMs"] == 0 or f["heartbeatTimeoutMs"] == 0:
            raise ProtocolError("WELCOME: heartbeat interval or timeout is 0")
        if f["maxFrameSize"] < MIN_ANNOUNCED_MAX_FRAME:
            raise ProtocolError(f"WELCOME: maxFrameSize {f['maxFrameSize']} < 1024")
        if flags & FLAG_RESUME and f["sessionResetReason"] != 0:
            raise ProtocolError("WELCOME: RESUMED with a non-zero sessionResetReason")
        return f
    if frame_type == DATA:
        f = {"seq": None, "ack": None}
        if flags & FLAG_SEQ:
            f["seq"] = r.u64("seq")
        if flags & FLAG_ACK:
            f["ack"] = r.u64("ack")
        f["payload"] = r.rest()
        return f
    if frame_type in (ACK, PING, PONG):
        if len(body) != 8:
            raise ProtocolError(f"{name}: body is {len(body)} bytes, must be exactly 8")
        key = "ack" if frame_type == ACK else "value"
        return {key: int.from_bytes(body, "big")}
    if frame_type == GOAWAY:
        f = {}
        f["retryAfterMs"] = r.u32("retryAfterMs")
        f["drainMs"] = r.u32("drainMs")
        reason_len = r.u16("reasonLen")
        f["reason"] = r.utf8(reason_len, "reason")
        f["extensions"] = decode_extensions(r)
        return f
    if frame_type == CLOSE:
        f = {}
        f["code"] = r.u16("code")
        f["retryAfterMs"] = r.u32("retryAfterMs")
        reason_len = r.u16("reasonLen")
        f["reason"] = r.utf8(reason_len, "reason")
        f["extensions"] = decode_extensions(r)
        return f
    raise AssertionError(f"unhandled type {frame_type}")


def decode_frame(raw: bytes, max_body: int) -> tuple[int, int, dict[str, Any]]:
    """Decode exactly one whole frame (used by --check-vectors and --hello-hex)."""
    if len(raw) < HEADER_SIZE:
        raise ProtocolError("frame shorter than its 6-byte header")
    frame_type, flags = raw[0], raw[1]
    length = int.from_bytes(raw[2:6], "big")
    check_header(frame_type, flags, length, max_body)
    if len(raw) - HEADER_SIZE != length:
        raise ProtocolError(f"frame holds {len(raw) - HEADER_SIZE} body bytes, header says {length}")
    return frame_type, flags, decode_body(frame_type, flags, raw[HEADER_SIZE:])


def encode_frame(frame_type: int, flags: int, body: bytes) -> bytes:
    return bytes([frame_type, flags]) + len(body).to_bytes(4, "big") + body


def encode_hello(
    *,
    min_version: int = 1,
    max_version: int = 1,
    heartbeat_interval_ms: int = 0,
    heartbeat_timeout_ms: int = 0,
    max_frame_size: int = DEFAULT_MAX_FRAME,
    client_id: bytes = b"",
    token: bytes = b"",
    flags: int = 0,
    session_id: bytes = bytes(16),
    last_received_seq: int = 0,
    extensions: list[tuple[int, bytes]] | None = None,
) -> bytes:
    if len(client_id) > MAX_CLIENT_ID:
        raise ValueError(f"client id is {len(client_id)} bytes, at most {MAX_CLIENT_ID}")
    if len(token) > MAX_TOKEN:
        raise ValueError(f"token is {len(token)} bytes, at most {MAX_TOKEN}")
    if max_frame_size < MIN_ANNOUNCED_MAX_FRAME:
        raise ValueError("maxFrameSize must be at least 1024")
    body = (
        MAGIC
        + bytes([min_version, max_version])
        + heartbeat_interval_ms.to_bytes(4, "big")
        + heartbeat_timeout_ms.to_bytes(4, "big")
        + max_frame_size.to_bytes(4, "big")
        + session_id
        + last_received_seq.to_bytes(8, "big")
        + len(client_id).to_bytes(2, "big")
        + client_id
        + len(token).to_bytes(2, "big")
        + token
        + encode_extensions(extensions or [])
    )
    return encode_frame(HELLO, flags, body)


def encode_welcome(flags: int, f: dict[str, Any]) -> bytes:
    server_id = f["serverId"].encode("utf-8")
    body = (
        bytes([f["version"]])
        + f["heartbeatIntervalMs"].to_bytes(4, "big")
        + f["heartbeatTimeoutMs"].to_bytes(4, "big")
        + f["maxFrameSize"].to_bytes(4, "big")
        + f["connectionId"].to_bytes(8, "big")
        + f["sessionId"]
        + f["lastReceivedSeq"].to_bytes(8, "big")
        + f["sessionResetReason"].to_bytes(2, "big")
        + f["lostCount"].to_bytes(4, "big")
        + len(server_id).to_bytes(2, "big")
        + server_id
        + encode_extensions(f["extensions"])
    )
    return encode_frame(WELCOME, flags, body)


def encode_data(payload: bytes, seq: int | None = None, ack: int | None = None) -> bytes:
    flags = 0
    body = b""
    if seq is not None:
        flags |= FLAG_SEQ
        body += seq.to_bytes(8, "big")
    if ack is not None:
        flags |= FLAG_ACK
        body += ack.to_bytes(8, "big")
    return encode_frame(DATA, flags, body + payload)


def encode_u64_frame(frame_type: int, value: int) -> bytes:
    return encode_frame(frame_type, 0, (value & U64_MASK).to_bytes(8, "big"))


def encode_goaway(retry_after_ms: int, drain_ms: int, reason: str, extensions=None) -> bytes:
    reason_bytes = reason.encode("utf-8")
    body = (
        retry_after_ms.to_bytes(4, "big")
        + drain_ms.to_bytes(4, "big")
        + len(reason_bytes).to_bytes(2, "big")
        + reason_bytes
        + encode_extensions(extensions or [])
    )
    return encode_frame(GOAWAY, 0, body)


def encode_close(code: int, reason: str = "", retry_after_ms: int = 0, extensions=None) -> bytes:
    reason_bytes = reason.encode("utf-8")
    # Keep a CLOSE small: it must fit 8192 body bytes during the handshake (section 4.5).
    if len(reason_bytes) > 1024:
        reason_bytes = reason_bytes[:1024].decode("utf-8", errors="ignore").encode("utf-8")
    body = (
        code.to_bytes(2, "big")
        + retry_after_ms.to_bytes(4, "big")
        + len(reason_bytes).to_bytes(2, "big")
        + reason_bytes
        + encode_extensions(extensions or [])
    )
    return encode_frame(CLOSE, 0, body)


# --------------------------------------------------------------------------------------------
# Stream reassembly (sections 3, 4.6)
# --------------------------------------------------------------------------------------------


class FrameReader:
    """Reassembles frames from arbitrary TCP reads.

    `header_check(type, flags, length)` is called as soon as a header is complete, before any
    body byte is kept, so the caller can apply the limit that is current at that moment.
    """

    def __init__(self, header_check: Callable[[int, int, int], None]) -> None:
        self._buf = bytearray()
        self._header: tuple[int, int, int] | None = None
        self._header_check = header_check

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_frame(self) -> tuple[int, int, bytes] | None:
        if self._header is None:
            if len(self._buf) < HEADER_SIZE:
                return None
            frame_type, flags = self._buf[0], self._buf[1]
            length = int.from_bytes(self._buf[2:6], "big")
            self._header_check(frame_type, flags, length)  # may raise: body never read
            del self._buf[:HEADER_SIZE]
            self._header = (frame_type, flags, length)
        frame_type, flags, length = self._header
        if len(self._buf) < length:
            return None
        body = bytes(self._buf[:length])
        del self._buf[:length]
        self._header = None
        return frame_type, flags, body


# --------------------------------------------------------------------------------------------
# Connection
# --------------------------------------------------------------------------------------------


class HandshakeRefused(Exception):
    """The server answered HELLO with CLOSE."""

    def __init__(self, code: int, reason: str, retry_after_ms: int) -> None:
        super().__init__(f"server refused the handshake: CLOSE {code} {close_code_name(code)}: {reason}")
        self.code = code
        self.reason = reason
        self.retry_after_ms = retry_after_ms


class ConnectionFailed(Exception):
    """Transport failure, handshake timeout, or a protocol violation that ended the connection."""


Emit = Callable[[dict[str, Any]], None]


class TetherClientConnection:
    """One Tether v1 connection from the client side (no session support).

    `state` is one of: "handshake", "open", "draining" (GOAWAY received), "closed".
    After "closed", `end` describes how it ended: {"kind": "close-received"|"close-sent"|"eof"|
    "error"|"heartbeat-timeout", ...}.
    """

    def __init__(self, sock: socket.socket, emit: Emit, max_frame_size: int = DEFAULT_MAX_FRAME):
        if max_frame_size < MIN_ANNOUNCED_MAX_FRAME:
            raise ValueError("maxFrameSize must be at least 1024")
        self.sock = sock
        self.emit = emit
        self.own_max_frame_size = max_frame_size
        self.peer_max_frame_size = HANDSHAKE_MAX_BODY
        self.state = "handshake"
        self.end: dict[str, Any] | None = None
        self.silent = False  # send nothing, answer nothing (test aid)
        self.interval = 0.0  # seconds, decided I
        self.timeout = 0.0  # seconds, decided T
        self.last_sent = 0.0
        self.last_received = 0.0
        self.welcome: dict[str, Any] | None = None
        self.goaway: dict[str, Any] | None = None
        self.received: list[bytes] = []  # DATA payloads not yet taken by the application
        self._outstanding_pings: dict[int, float] = {}
        self._hello_range = (1, 1)
        self._hello_flags = 0
        self._reader = FrameReader(self._check_header)
        self._first_frame_arrived = False

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        emit: Emit,
        max_frame_size: int = DEFAULT_MAX_FRAME,
        connect_timeout: float = 10.0,
    ) -> TetherClientConnection:
        try:
            sock = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as exc:
            raise ConnectionFailed(f"cannot connect to {host}:{port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(10.0)  # bounds sendall(); reads only happen after select()
        return cls(sock, emit, max_frame_size)

    # ---- handshake (section 7) ---------------------------------------------------------------

    def handshake(
        self,
        *,
        client_id: str | bytes = b"",
        token: bytes = b"",
        heartbeat_interval_ms: int = 0,
        heartbeat_timeout_ms: int = 0,
        handshake_timeout: float = 10.0,
        raw_hello: bytes | None = None,
    ) -> dict[str, Any]:
        """Send HELLO (or `raw_hello`), wait for WELCOME. Raises HandshakeRefused on CLOSE."""
        if raw_hello is None:
            cid = client_id.encode("utf-8") if isinstance(client_id, str) else client_id
            hello = encode_hello(
                heartbeat_interval_ms=heartbeat_interval_ms,
                heartbeat_timeout_ms=heartbeat_timeout_ms,
                max_frame_size=self.own_max_frame_size,
                client_id=cid,
                token=token,
            )
        else:
            hello = raw_hello
            # Learn the version range we claimed, to validate WELCOME.version against it.
            try:
                _, hflags, hf = decode_frame(raw_hello, HANDSHAKE_MAX_BODY)
                self._hello_range = (hf["minVersion"], hf["maxVersion"])
                self._hello_flags = hflags
                self.own_max_frame_size = hf["maxFrameSize"]
            except (ProtocolError, KeyError):
                pass
        self._send_raw(hello)
        deadline = time.monotonic() + handshake_timeout
        while self.state == "handshake":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # Section 7.3: before the server's first frame, give up without any frame.
                message = f"handshake timeout: no WELCOME within {handshake_timeout:g} s"
                self.emit({"event": "error", "message": message})
                self._abort(message, send_close=None)
                raise ConnectionFailed(message)
            self._wait_and_read(remaining)
            if self.state == "closed":
                break
        if self.state == "closed":
            assert self.end is not None
            if self.end["kind"] == "close-received":
                raise HandshakeRefused(self.end["code"], self.end["reason"], self.end["retryAfterMs"])
            raise ConnectionFailed(self.end.get("message", self.end["kind"]))
        assert self.welcome is not None
        return self.welcome

    def _on_welcome(self, flags: int, f: dict[str, Any]) -> None:
        # Connection-level checks (section 5.2).
        lo, hi = self._hello_range
        if not lo <= f["version"] <= hi:
            raise ProtocolError(f"WELCOME chose version {f['version']} outside [{lo}, {hi}]")
        if flags & FLAG_SESSION and not self._hello_flags & FLAG_SESSION:
            raise ProtocolError("WELCOME has SESSION but HELLO did not ask for a session")
        if flags & FLAG_RESUME and not self._hello_flags & FLAG_RESUME:
            raise ProtocolError("WELCOME has RESUMED but HELLO did not ask to resume")
        if flags & FLAG_SESSION:
            # Only reachable with --hello-hex asking for a session: this client has none.
            raise ProtocolError("WELCOME granted a session; this client does not implement sessions")
        self.interval = f["heartbeatIntervalMs"] / 1000.0
        self.timeout = f["heartbeatTimeoutMs"] / 1000.0
        self.peer_max_frame_size = f["maxFrameSize"]
        now = time.monotonic()
        # Heartbeats start when the connection is open (section 8).
        self.last_sent = now
        self.last_received = now
        self.state = "open"
        self.welcome = {
            "version": f["version"],
            "heartbeatIntervalMs": f["heartbeatIntervalMs"],
            "heartbeatTimeoutMs": f["heartbeatTimeoutMs"],
            "maxFrameSize": f["maxFrameSize"],
            "connectionId": str(f["connectionId"]),
            "serverId": f["serverId"],
            "session": bool(flags & FLAG_SESSION),
        }
        self.emit({"event": "welcome", **self.welcome})

    # ---- sending -----------------------------------------------------------------------------

    def send_data(self, payload: bytes) -> None:
        if self.state != "open":
            raise ConnectionFailed(f"cannot send DATA in state {self.state}")
        if len(payload) > self.peer_max_frame_size:
            raise ValueError(
                f"message of {len(payload)} bytes exceeds the server's maxFrameSize "
                f"{self.peer_max_frame_size}"
            )
        self._send(encode_data(payload))

    def send_ping(self) -> int:
        now = time.monotonic()
        value = time.monotonic_ns() // 1000 & U64_MASK
        while value in self._outstanding_pings:
            value = (value + 1) & U64_MASK
        self._outstanding_pings[value] = now
        if len(self._outstanding_pings) > 1024:  # no limit required (8.3); bound our memory
            self._outstanding_pings.pop(next(iter(self._outstanding_pings)))
        self._send(encode_u64_frame(PING, value))
        self.emit({"event": "ping", "direction": "sent", "value": str(value)})
        return value

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Send CLOSE as the last frame, half-close, drain briefly, close (section 12)."""
        if self.state == "closed":
            return
        if self.silent:
            self._finish({"kind": "closed-silently"})
            return
        self.emit({"event": "close", "direction": "sent", "code": code,
                   "name": close_code_name(code), "reason": reason})
        self._send_close_and_linger(code, reason)
        self._finish({"kind": "close-sent", "code": code, "reason": reason})

    def _send(self, frame: bytes) -> None:
        if self.silent:
            return
        self._send_raw(frame)

    def _send_raw(self, frame: bytes) -> None:
        try:
            self.sock.sendall(frame)
        except OSError as exc:
            self._finish({"kind": "error", "message": f"send failed: {exc}"})
            self.emit({"event": "error", "message": f"send failed: {exc}"})
            raise ConnectionFailed(f"send failed: {exc}") from exc
        self.last_sent = time.monotonic()

    def _send_close_and_linger(self, code: int, reason: str, linger: float = 2.0) -> None:
        try:
            self.sock.sendall(encode_close(code, reason))
            self.last_sent = time.monotonic()
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        # Read and discard until the peer closes or a short timeout passes (section 12 note).
        deadline = time.monotonic() + linger
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                ready, _, _ = select.select([self.sock], [], [], remaining)
                if not ready:
                    return
                if not self.sock.recv(65536):
                    return
            except OSError:
                return

    # ---- receiving ---------------------------------------------------------------------------

    def poll(self, max_wait: float) -> None:
        """Run I/O and heartbeat timers for at most `max_wait` seconds (returns earlier on input)."""
        if self.state == "closed":
            return
        now = time.monotonic()
        wait = max_wait
        if not self.silent:
            wait = min(wait, max(0.0, self.last_sent + self.interval - now))
        wait = min(wait, max(0.0, self.last_received + self.timeout - now))
        self._wait_and_read(wait)
        if self.state != "closed":
            self._run_timers()

    def _run_timers(self) -> None:
        now = time.monotonic()
        if now - self.last_received >= self.timeout:
            message = f"heartbeat timeout: nothing received for {self.timeout:g} s"
            self.emit({"event": "error", "code": HEARTBEAT_TIMEOUT,
                       "name": "HEARTBEAT_TIMEOUT", "message": message})
            if self.silent:
                self._finish({"kind": "heartbeat-timeout", "message": message})
            else:
                self._abort(message, send_close=HEARTBEAT_TIMEOUT, kind="heartbeat-timeout")
            return
        if not self.silent and now - self.last_sent >= self.interval:
            try:
                self.send_ping()
            except ConnectionFailed:
                pass

    def _wait_and_read(self, wait: float) -> None:
        try:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, wait))
        except OSError as exc:
            self._fail_transport(f"select failed: {exc}")
            return
        if not ready:
            return
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail_transport(f"receive failed: {exc}")
            return
        if not data:
            self.emit({"event": "eof"})
            self._finish({"kind": "eof", "message": "connection closed by the peer without CLOSE"})
            return
        self._reader.feed(data)
        self._process_frames()

    def _process_frames(self) -> None:
        while self.state != "closed":
            frame_type = -1
            try:
                frame = self._reader.next_frame()
                if frame is None:
                    return
                frame_type, flags, body = frame
                fields = decode_body(frame_type, flags, body)
                self.last_received = time.monotonic()  # complete frame read (8.2)
                self._dispatch(frame_type, flags, fields)
            except ProtocolError as exc:
                if frame_type == CLOSE:
                    # Malformed CLOSE: treated as 1002, but no CLOSE in reply (section 12).
                    self.emit({"event": "error", "code": exc.code, "name": exc.error_name,
                               "message": f"malformed CLOSE received: {exc}"})
                    self._finish({"kind": "error", "code": exc.code, "message": str(exc)})
                    return
                self._protocol_violation(exc)
                return

    def _check_header(self, frame_type: int, flags: int, length: int) -> None:
        # A complete header counts as "the server's first frame has arrived" (section 7.3): from now on
        # a bad frame may be answered with CLOSE (Appendix A, item 17).
        self._first_frame_arrived = True
        if self.state == "handshake":
            # Section 4.6 step 2 / 7.3: the server's first frame is WELCOME or CLOSE.
            if frame_type not in (WELCOME, CLOSE):
                name = TYPE_NAMES.get(frame_type, f"type 0x{frame_type:02x}")
                raise ProtocolError(f"first frame from the server is {name}, not WELCOME or CLOSE")
            check_header(frame_type, flags, length, HANDSHAKE_MAX_BODY)
        else:
            check_header(frame_type, flags, length, self.own_max_frame_size)

    def _dispatch(self, frame_type: int, flags: int, f: dict[str, Any]) -> None:
        if frame_type == WELCOME:
            if self.state != "handshake":
                raise ProtocolError("second WELCOME")
            self._on_welcome(flags, f)
        elif frame_type == CLOSE:
            event = {
                "event": "close",
                "direction": "received",
                "code": f["code"],
                "name": close_code_name(f["code"]),
                "reason": f["reason"],
                "retryAfterMs": f["retryAfterMs"],
                "reconnect": client_should_reconnect(f["code"]),
            }
            alternates = alternate_endpoints(f["extensions"])
            if alternates:
                event["alternateEndpoints"] = alternates
            self.emit(event)
            # Stop sending, do not answer, close (section 12).
            self._finish({"kind": "close-received", "code": f["code"], "reason": f["reason"],
                          "retryAfterMs": f["retryAfterMs"]})
        elif frame_type == HELLO:
            raise ProtocolError("server sent HELLO")
        elif frame_type == DATA:
            if flags:
                # No session on this connection: SEQ and ACK are forbidden (section 5.3).
                raise ProtocolError("DATA with SEQ/ACK outside a session")
            payload: bytes = f["payload"]
            event: dict[str, Any] = {"event": "message", "bytes": len(payload), "hex": payload.hex()}
            try:
                event["data"] = payload.decode("utf-8")
            except UnicodeDecodeError:
                event["data"] = None
            self.received.append(payload)
            self.emit(event)
        elif frame_type == ACK:
            raise ProtocolError("ACK outside a session")
        elif frame_type == PING:
            answered = not self.silent and self.state != "closed"
            self.emit({"event": "ping", "direction": "received", "value": str(f["value"]),
                       "answered": answered})
            if answered:
                self._send(encode_u64_frame(PONG, f["value"]))
        elif frame_type == PONG:
            sent_at = self._outstanding_pings.pop(f["value"], None)
            rtt = None if sent_at is None else round((time.monotonic() - sent_at) * 1000.0, 3)
            self.emit({"event": "pong", "direction": "received", "value": str(f["value"]),
                       "rttMs": rtt})
        elif frame_type == GOAWAY:
            self.goaway = {
                "retryAfterMs": f["retryAfterMs"],
                "drainMs": f["drainMs"],
                "reason": f["reason"],
                "alternateEndpoints": alternate_endpoints(f["extensions"]),
                "receivedAt": time.monotonic(),
            }
            self.emit({"event": "goaway", "retryAfterMs": f["retryAfterMs"],
                       "drainMs": f["drainMs"], "reason": f["reason"],
                       "alternateEndpoints": self.goaway["alternateEndpoints"]})
            self.state = "draining"
        elif is_extension_type(frame_type):
            self.emit({"event": "extension", "type": frame_type, "flags": flags,
                       "bytes": len(f["body"])})
        else:  # pragma: no cover - check_header rejects everything else
            raise ProtocolError(f"unexpected frame type 0x{frame_type:02x}")

    # ---- ending ------------------------------------------------------------------------------

    def _protocol_violation(self, exc: ProtocolError) -> None:
        self.emit({"event": "error", "code": exc.code, "name": exc.error_name, "message": str(exc)})
        # Section 7.3: nothing (not even CLOSE) before the server's first frame has arrived.
        send = exc.code if self._first_frame_arrived and not self.silent else None
        self._abort(str(exc), send_close=send, code=exc.code)

    def _fail_transport(self, message: str) -> None:
        self.emit({"event": "error", "message": message})
        self._finish({"kind": "error", "message": message})

    def _abort(self, message: str, send_close: int | None, kind: str = "error",
               code: int | None = None) -> None:
        if send_close is not None:
            self.emit({"event": "close", "direction": "sent", "code": send_close,
                       "name": close_code_name(send_close), "reason": message})
            self._send_close_and_linger(send_close, message, linger=1.0)
        self._finish({"kind": kind, "code": code if code is not None else send_close,
                      "message": message})

    def _finish(self, end: dict[str, Any]) -> None:
        if self.state == "closed":
            return
        self.state = "closed"
        self.end = end
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# Test-vector self check (section 17)
# --------------------------------------------------------------------------------------------


def _fields_for_json(frame_type: int, f: dict[str, Any]) -> dict[str, Any]:
    """Render decoded fields in the JSON conventions of section 17.1."""
    if is_extension_type(frame_type):
        return {"typeCode": frame_type, "body": f["body"].hex()}
    out: dict[str, Any] = {}
    for key, value in f.items():
        if key == "extensions":
            out[key] = [{"key": k, "value": v.hex()} for k, v in value]
        elif isinstance(value, bytes):
            out[key] = value.hex()
        elif key in ("seq", "ack", "value", "connectionId", "lastReceivedSeq"):
            out[key] = None if value is None else str(value)
        else:
            out[key] = value
    return out


def _encode_from_json(frame: dict[str, Any]) -> bytes:
    t, flags, f = frame["type"], frame["flags"], frame["fields"]
    ext = [(e["key"], bytes.fromhex(e["value"])) for e in f.get("extensions", [])]
    if t == "HELLO":
        return encode_hello(
            min_version=f["minVersion"], max_version=f["maxVersion"],
            heartbeat_interval_ms=f["heartbeatIntervalMs"],
            heartbeat_timeout_ms=f["heartbeatTimeoutMs"], max_frame_size=f["maxFrameSize"],
            client_id=f["clientId"].encode("utf-8"), token=bytes.fromhex(f["token"]), flags=flags,
            session_id=bytes.fromhex(f["sessionId"]),
            last_received_seq=int(f["lastReceivedSeq"]), extensions=ext)
    if t == "WELCOME":
        wf = dict(f)
        wf["connectionId"] = int(f["connectionId"])
        wf["lastReceivedSeq"] = int(f["lastReceivedSeq"])
        wf["sessionId"] = bytes.fromhex(f["sessionId"])
        wf["extensions"] = ext
        return encode_welcome(flags, wf)
    if t == "DATA":
        seq = None if f["seq"] is None else int(f["seq"])
        ack = None if f["ack"] is None else int(f["ack"])
        return encode_data(bytes.fromhex(f["payload"]), seq, ack)
    if t in ("ACK", "PING", "PONG"):
        code = {"ACK": ACK, "PING": PING, "PONG": PONG}[t]
        return encode_u64_frame(code, int(f["ack" if t == "ACK" else "value"]))
    if t == "GOAWAY":
        return encode_goaway(f["retryAfterMs"], f["drainMs"], f["reason"], ext)
    if t == "CLOSE":
        return encode_close(f["code"], f["reason"], f["retryAfterMs"], ext)
    if t == "EXTENSION":
        return encode_frame(f["typeCode"], flags, bytes.fromhex(f["body"]))
    raise ValueError(f"unknown vector type {t}")


def check_vectors(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    failures = 0
    for vec in doc["valid"]:
        raw = bytes.fromhex(vec["hex"])
        try:
            t, flags, f = decode_frame(raw, DEFAULT_MAX_FRAME)
            type_name = "EXTENSION" if is_extension_type(t) else TYPE_NAMES[t]
            got = {"type": type_name, "flags": flags, "fields": _fields_for_json(t, f)}
            ok = got == vec["frame"] and _encode_from_json(vec["frame"]) == raw
            detail = "" if ok else f"decoded {got}"
        except (ProtocolError, ValueError) as exc:
            ok, detail = False, f"rejected: {exc}"
        failures += not ok
        print(json.dumps({"vector": vec["name"], "ok": ok, **({"detail": detail} if detail else {})}))
    for vec in doc["invalid"]:
        raw = bytes.fromhex(vec["hex"])
        try:
            if len(raw) == HEADER_SIZE:  # FRAME_TOO_LARGE vectors carry only the header
                length = int.from_bytes(raw[2:6], "big")
                check_header(raw[0], raw[1], length, vec["maxFrameSize"])
                if length:
                    raise ValueError("header-only vector was accepted")
                decode_frame(raw, vec["maxFrameSize"])
            else:
                decode_frame(raw, vec["maxFrameSize"])
            ok, got = False, "accepted"
        except ProtocolError as exc:
            got = exc.error_name
            ok = got == vec["error"]
        except ValueError as exc:
            ok, got = False, str(exc)
        failures += not ok
        print(json.dumps({"vector": vec["name"], "ok": ok, "expected": vec["error"], "got": got}))
    print(json.dumps({"vectors": len(doc["valid"]) + len(doc["invalid"]), "failures": failures}))
    return 0 if failures == 0 else 1


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

EXIT_OK = 0
EXIT_ERROR = 2


class _Printer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, event: dict[str, Any]) -> None:
        record = {"event": event["event"], "t": round(time.monotonic() - self.start, 3)}
        record.update((k, v) for k, v in event.items() if k != "event")
        sys.stdout.write(json.dumps(record, ensure_ascii=True) + "\n")
        sys.stdout.flush()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tether_client.py",
        description="Tether v1 client (one connection, no sessions, no reconnect). "
        "Prints one JSON object per line on stdout per event.",
        epilog="Exit codes: 0 normal end (--send echoed, --duration elapsed, GOAWAY honoured, "
        "--silent closed by the server with CLOSE); 2 protocol or connection error, "
        "refused handshake, heartbeat timeout, missing echo.",
    )
    p.add_argument("--host", default="127.0.0.1", help="server host (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="server port")
    p.add_argument("--port-file", help="read the port from this file (a number, or host:port)")
    p.add_argument("--client-id", default="", help="client id for HELLO (default: anonymous)")
    p.add_argument("--token", default="", help="token for HELLO, as UTF-8 text (default: none)")
    p.add_argument("--heartbeat-interval", type=int, default=0, metavar="MS",
                   help="proposed heartbeat interval in ms (0 = server decides)")
    p.add_argument("--heartbeat-timeout", type=int, default=0, metavar="MS",
                   help="proposed heartbeat timeout in ms (0 = server decides)")
    p.add_argument("--max-frame-size", type=int, default=DEFAULT_MAX_FRAME,
                   help="largest body this client accepts (>= 1024, default 1048576)")
    p.add_argument("--handshake-timeout", type=float, default=10.0, metavar="SECONDS")
    p.add_argument("--send", action="append", default=[], metavar="TEXT",
                   help="send TEXT as a message after the handshake and expect its echo "
                   "(repeatable)")
    p.add_argument("--echo-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long to wait for all echoes (default 10)")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="keep the connection running this long, then CLOSE 1000")
    p.add_argument("--silent", action="store_true",
                   help="after the handshake send nothing at all, not even PONG; "
                   "wait for the server to close")
    p.add_argument("--max-wait", type=float, default=120.0, metavar="SECONDS",
                   help="with --silent: give up after this long (default 120)")
    p.add_argument("--hello-hex", metavar="HEX", help="send these raw bytes instead of HELLO")
    p.add_argument("--check-vectors", metavar="PATH",
                   help="check the decoder against protocol-vectors.json and exit")
    args = p.parse_args(argv)
    if args.check_vectors is None and args.port is None and args.port_file is None:
        p.error("--port or --port-file is required")
    if args.silent and args.send:
        p.error("--silent and --send exclude each other")
    if args.max_frame_size < MIN_ANNOUNCED_MAX_FRAME:
        p.error("--max-frame-size must be at least 1024")
    return args


def _read_port_file(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        text = fh.read().strip()
    return int(text.rpartition(":")[2])


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.check_vectors:
        return check_vectors(args.check_vectors)

    emit = _Printer()
    port = args.port if args.port is not None else _read_port_file(args.port_file)
    raw_hello = None
    if args.hello_hex:
        try:
            raw_hello = bytes.fromhex(args.hello_hex.replace(" ", ""))
        except ValueError:
            print("error: --hello-hex is not valid hex", file=sys.stderr)
            return EXIT_ERROR

    try:
        conn = TetherClientConnection.connect(args.host, port, emit, args.max_frame_size)
    except ConnectionFailed as exc:
        emit({"event": "error", "message": str(exc)})
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    try:
        return _run(conn, args, emit, raw_hello)
    except KeyboardInterrupt:
        if conn.state in ("open", "draining"):
            conn.close(NORMAL, "interrupted")
        return EXIT_ERROR
    finally:
        if conn.state != "closed":
            conn._finish({"kind": "error", "message": "client exiting"})


def _run(conn: TetherClientConnection, args: argparse.Namespace, emit: Emit,
         raw_hello: bytes | None) -> int:
    try:
        conn.handshake(
            # os.fsencode gives back the exact argv bytes (UTF-8 whatever the locale says).
            client_id=os.fsencode(args.client_id),
            token=os.fsencode(args.token),
            heartbeat_interval_ms=args.heartbeat_interval,
            heartbeat_timeout_ms=args.heartbeat_timeout,
            handshake_timeout=args.handshake_timeout,
            raw_hello=raw_hello,
        )
    except HandshakeRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ConnectionFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if args.silent:
        return _run_silent(conn, args)

    expected: list[bytes] = []
    try:
        for text in args.send:
            payload = os.fsencode(text)
            conn.send_data(payload)
            expected.append(payload)
    except ValueError as exc:
        emit({"event": "error", "message": str(exc)})
        conn.close(NORMAL, "client error")
        return EXIT_ERROR
    except ConnectionFailed:
        return _report_end(conn)

    start = time.monotonic()
    echo_deadline = start + args.echo_timeout if expected else None
    end_at = start + args.duration if args.duration is not None else None

    while conn.state != "closed":
        # Match echoes in order; anything else the server pushes is just printed.
        while conn.received:
            payload = conn.received.pop(0)
            if expected and payload == expected[0]:
                expected.pop(0)
        now = time.monotonic()
        if echo_deadline is not None and not expected:
            emit({"event": "echoed", "count": len(args.send)})
            echo_deadline = None
            if end_at is None:
                conn.close(NORMAL, "done")
                return EXIT_OK
        if echo_deadline is not None and now >= echo_deadline:
            emit({"event": "error", "message": f"{len(expected)} message(s) not echoed within "
                  f"{args.echo_timeout:g} s"})
            conn.close(NORMAL, "missing echo")
            return EXIT_ERROR
        if conn.state == "draining" and not expected:
            # GOAWAY: in-flight work (awaited echoes) is done; close (section 11).
            conn.close(NORMAL, "goaway")
            return EXIT_OK
        if end_at is not None and now >= end_at and not expected:
            conn.close(NORMAL, "duration elapsed")
            return EXIT_OK
        if end_at is None and echo_deadline is None:
            # Neither --send nor --duration: handshake only.
            conn.close(NORMAL, "done")
            return EXIT_OK
        limits = [0.25]
        if echo_deadline is not None:
            limits.append(echo_deadline - now)
        if end_at is not None:
            limits.append(end_at - now)
        conn.poll(max(0.0, min(limits)))
    return _report_end(conn)


def _run_silent(conn: TetherClientConnection, args: argparse.Namespace) -> int:
    conn.silent = True
    give_up = time.monotonic() + args.max_wait
    while conn.state != "closed":
        remaining = give_up - time.monotonic()
        if remaining <= 0:
            conn.emit({"event": "error", "message": f"server did not close within {args.max_wait:g} s"})
            conn._finish({"kind": "error", "message": "max wait"})
            return EXIT_ERROR
        conn.poll(min(remaining, 0.25))
    assert conn.end is not None
    if conn.end["kind"] == "close-received":
        return EXIT_OK
    return EXIT_ERROR


def _report_end(conn: TetherClientConnection) -> int:
    end = conn.end or {"kind": "error"}
    if end["kind"] == "close-received":
        print(f"error: connection closed by the server: CLOSE {end['code']} "
              f"{close_code_name(end['code'])}: {end['reason']}", file=sys.stderr)
    else:
        print(f"error: connection ended: {end.get('message', end['kind'])}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
