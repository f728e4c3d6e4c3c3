"""Frame types of the Tether wire protocol (docs/protocol.md §4-6): encoding and strict decoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from .errors import MalformedCloseError, ProtocolError

HEADER_SIZE = 6
HANDSHAKE_MAX_FRAME_SIZE = 8192
MIN_MAX_FRAME_SIZE = 1024
DEFAULT_MAX_FRAME_SIZE = 1024 * 1024
MAGIC = b"TTHR"
SESSION_ID_SIZE = 16
ZERO_SESSION_ID = bytes(SESSION_ID_SIZE)
UNKNOWN_LOST_COUNT = 0xFFFFFFFF

HELLO = 0x01
WELCOME = 0x02
DATA = 0x03
ACK = 0x04
PING = 0x05
PONG = 0x06
GOAWAY = 0x07
CLOSE = 0x08

FLAG_SESSION = 0x01
FLAG_RESUME = 0x02
FLAG_RESUMED = 0x02
FLAG_SEQ = 0x01
FLAG_ACK = 0x02

ALTERNATE_ENDPOINT_KEY = 0x0001

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

# Flag bits each core type defines; anything else is reserved (§4.4).
_DEFINED_FLAGS = {HELLO: 0x03, WELCOME: 0x03, DATA: 0x03, ACK: 0, PING: 0, PONG: 0, GOAWAY: 0, CLOSE: 0}


@dataclass(frozen=True)
class Extension:
    """One TLV item of a HELLO, WELCOME, GOAWAY or CLOSE extension area (§6)."""

    key: int
    value: bytes


@dataclass(frozen=True)
class Hello:
    min_version: int = 1
    max_version: int = 1
    heartbeat_interval_ms: int = 0
    heartbeat_timeout_ms: int = 0
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    session_id: bytes = ZERO_SESSION_ID
    last_received_seq: int = 0
    client_id: str = ""
    token: bytes = b""
    extensions: Tuple[Extension, ...] = ()
    session: bool = False
    resume: bool = False


@dataclass(frozen=True)
class Welcome:
    version: int
    heartbeat_interval_ms: int
    heartbeat_timeout_ms: int
    max_frame_size: int
    connection_id: int
    session_id: bytes = ZERO_SESSION_ID
    last_received_seq: int = 0
    session_reset_reason: int = 0
    lost_count: int = 0
    server_id: str = ""
    extensions: Tuple[Extension, ...] = ()
    session: bool = False
    resumed: bool = False


@dataclass(frozen=True)
class Data:
    payload: bytes
    seq: Optional[int] = None
    ack: Optional[int] = None


@dataclass(frozen=True)
class Ack:
    ack: int


@dataclass(frozen=True)
class Ping:
    value: int


@dataclass(frozen=True)
class Pong:
    value: int


@dataclass(frozen=True)
class GoAway:
    retry_after_ms: int = 0
    drain_ms: int = 0
    reason: str = ""
    extensions: Tuple[Extension, ...] = ()


@dataclass(frozen=True)
class Close:
    code: int
    retry_after_ms: int = 0
    reason: str = ""
    extensions: Tuple[Extension, ...] = ()


@dataclass(frozen=True)
class ExtensionFrame:
    """A frame of type 0x40-0x7F: skipped by this version, kept whole for tests and diagnostics."""

    type_code: int
    flags: int = 0
    body: bytes = field(default=b"")


Frame = Union[Hello, Welcome, Data, Ack, Ping, Pong, GoAway, Close, ExtensionFrame]


def is_extension_type(frame_type: int) -> bool:
    return 0x40 <= frame_type <= 0x7F


def check_header(frame_type: int, flags: int, length: int, max_body: int) -> None:
    """Checks a header before its body is read (§4.6 step 2); raises ProtocolError with 1002 or 1004
    (MalformedCloseError for a CLOSE, which is never answered)."""
    try:
        _check_header(frame_type, flags, length, max_body)
    except ProtocolError as ex:
        if frame_type == CLOSE:
            raise MalformedCloseError(f"malformed CLOSE: {ex}", ex.code) from None
        raise


def _check_header(frame_type: int, flags: int, length: int, max_body: int) -> None:
    if not is_extension_type(frame_type) and frame_type not in TYPE_NAMES:
        raise ProtocolError(f"reserved frame type 0x{frame_type:02x}")
    if length > max_body:
        raise ProtocolError(f"frame body of {length} bytes exceeds the limit of {max_body}", code=1004)
    if frame_type in _DEFINED_FLAGS and flags & ~_DEFINED_FLAGS[frame_type]:
        raise ProtocolError(f"{TYPE_NAMES[frame_type]} with reserved flag bits 0x{flags & ~_DEFINED_FLAGS[frame_type]:02x}")


def header(frame_type: int, flags: int, length: int) -> bytes:
    return struct.pack(">BBI", frame_type, flags, length)


def encode(frame: Frame) -> bytes:
    """The whole frame, header included."""
    if isinstance(frame, Data):
        return encode_data(frame.payload, frame.seq, frame.ack)
    if isinstance(frame, Ack):
        return header(ACK, 0, 8) + struct.pack(">Q", frame.ack)
    if isinstance(frame, Ping):
        return header(PING, 0, 8) + struct.pack(">Q", frame.value)
    if isinstance(frame, Pong):
        return header(PONG, 0, 8) + struct.pack(">Q", frame.value)
    if isinstance(frame, Hello):
        return _encode_hello(frame)
    if isinstance(frame, Welcome):
        return _encode_welcome(frame)
    if isinstance(frame, GoAway):
        body = struct.pack(">II", frame.retry_after_ms, frame.drain_ms) + _string16(frame.reason) + _extensions(frame.extensions)
        return header(GOAWAY, 0, len(body)) + body
    if isinstance(frame, Close):
        body = struct.pack(">HI", frame.code, frame.retry_after_ms) + _string16(frame.reason) + _extensions(frame.extensions)
        return header(CLOSE, 0, len(body)) + body
    return header(frame.type_code, frame.flags, len(frame.body)) + frame.body


def encode_data(payload: bytes, seq: Optional[int] = None, ack: Optional[int] = None) -> bytes:
    flags = (FLAG_SEQ if seq is not None else 0) | (FLAG_ACK if ack is not None else 0)
    prefix = (struct.pack(">Q", seq) if seq is not None else b"") + (struct.pack(">Q", ack) if ack is not None else b"")
    return header(DATA, flags, len(prefix) + len(payload)) + prefix + payload


def _encode_hello(hello: Hello) -> bytes:
    flags = (FLAG_SESSION if hello.session else 0) | (FLAG_RESUME if hello.resume else 0)
    body = (
        MAGIC
        + struct.pack(">BBIII", hello.min_version, hello.max_version, hello.heartbeat_interval_ms, hello.heartbeat_timeout_ms, hello.max_frame_size)
        + hello.session_id
        + struct.pack(">Q", hello.last_received_seq)
        + _string16(hello.client_id)
        + struct.pack(">H", len(hello.token))
        + hello.token
        + _extensions(hello.extensions)
    )
    return header(HELLO, flags, len(body)) + body


def _encode_welcome(welcome: Welcome) -> bytes:
    flags = (FLAG_SESSION if welcome.session else 0) | (FLAG_RESUMED if welcome.resumed else 0)
    body = (
        struct.pack(">BIIIQ", welcome.version, welcome.heartbeat_interval_ms, welcome.heartbeat_timeout_ms, welcome.max_frame_size, welcome.connection_id)
        + welcome.session_id
        + struct.pack(">QHI", welcome.last_received_seq, welcome.session_reset_reason, welcome.lost_count)
        + _string16(welcome.server_id)
        + _extensions(welcome.extensions)
    )
    return header(WELCOME, flags, len(body)) + body


def _string16(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def _extensions(items: Tuple[Extension, ...]) -> bytes:
    return b"".join(struct.pack(">HH", item.key, len(item.value)) + item.value for item in items)


def decode(frame_type: int, flags: int, body: bytes) -> Frame:
    """Decodes a body whose header already passed check_header; raises ProtocolError (1002) when malformed
    (MalformedCloseError for a CLOSE)."""
    try:
        return _decode(frame_type, flags, body)
    except ProtocolError as ex:
        if frame_type == CLOSE and not isinstance(ex, MalformedCloseError):
            raise MalformedCloseError(f"malformed CLOSE: {ex}") from None
        raise


def _decode(frame_type: int, flags: int, body: bytes) -> Frame:
    if is_extension_type(frame_type):
        return ExtensionFrame(frame_type, flags, bytes(body))
    reader = _BodyReader(body, TYPE_NAMES.get(frame_type, "frame"))
    if frame_type == DATA:
        seq = reader.u64("seq") if flags & FLAG_SEQ else None
        ack = reader.u64("ack") if flags & FLAG_ACK else None
        return Data(reader.rest(), seq, ack)
    if frame_type in (ACK, PING, PONG):
        if len(body) != 8:
            raise ProtocolError(f"{TYPE_NAMES[frame_type]} body must be exactly 8 bytes, got {len(body)}")
        value = reader.u64("value")
        return Ack(value) if frame_type == ACK else Ping(value) if frame_type == PING else Pong(value)
    if frame_type == HELLO:
        return _decode_hello(flags, reader)
    if frame_type == WELCOME:
        return _decode_welcome(flags, reader)
    if frame_type == GOAWAY:
        retry_after_ms = reader.u32("retryAfterMs")
        drain_ms = reader.u32("drainMs")
        reason = reader.string16("reason")
        return GoAway(retry_after_ms, drain_ms, reason, reader.extensions())
    if frame_type == CLOSE:
        code = reader.u16("code")
        retry_after_ms = reader.u32("retryAfterMs")
        reason = reader.string16("reason")
        return Close(code, retry_after_ms, reason, reader.extensions())
    raise ProtocolError(f"reserved frame type 0x{frame_type:02x}")


def _decode_hello(flags: int, reader: "_BodyReader") -> Hello:
    if flags & FLAG_RESUME and not flags & FLAG_SESSION:
        raise ProtocolError("HELLO has RESUME without SESSION")
    if reader.take(4, "magic") != MAGIC:
        raise ProtocolError("HELLO magic is not TTHR")
    min_version = reader.u8("minVersion")
    max_version = reader.u8("maxVersion")
    if min_version == 0 or min_version > max_version:
        raise ProtocolError(f"HELLO version range {min_version}-{max_version} is invalid")
    interval = reader.u32("heartbeatIntervalMs")
    timeout = reader.u32("heartbeatTimeoutMs")
    max_frame_size = reader.u32("maxFrameSize")
    if max_frame_size < MIN_MAX_FRAME_SIZE:
        raise ProtocolError(f"HELLO maxFrameSize {max_frame_size} is below {MIN_MAX_FRAME_SIZE}")
    session_id = reader.take(SESSION_ID_SIZE, "sessionId")
    last_received = reader.u64("lastReceivedSeq")
    client_id = reader.string16("clientId", limit=256)
    token_len = reader.u16("tokenLen")
    if token_len > 4096:
        raise ProtocolError(f"HELLO tokenLen {token_len} exceeds 4096")
    token = reader.take(token_len, "token")
    return Hello(
        min_version, max_version, interval, timeout, max_frame_size, session_id, last_received, client_id, token,
        reader.extensions(), session=bool(flags & FLAG_SESSION), resume=bool(flags & FLAG_RESUME))


def _decode_welcome(flags: int, reader: "_BodyReader") -> Welcome:
    if flags & FLAG_RESUMED and not flags & FLAG_SESSION:
        raise ProtocolError("WELCOME has RESUMED without SESSION")
    version = reader.u8("version")
    if version == 0:
        raise ProtocolError("WELCOME version 0")
    interval = reader.u32("heartbeatIntervalMs")
    timeout = reader.u32("heartbeatTimeoutMs")
    if interval == 0 or timeout == 0:
        raise ProtocolError("WELCOME heartbeat interval and timeout must not be 0")
    max_frame_size = reader.u32("maxFrameSize")
    if max_frame_size < MIN_MAX_FRAME_SIZE:
        raise ProtocolError(f"WELCOME maxFrameSize {max_frame_size} is below {MIN_MAX_FRAME_SIZE}")
    connection_id = reader.u64("connectionId")
    session_id = reader.take(SESSION_ID_SIZE, "sessionId")
    last_received = reader.u64("lastReceivedSeq")
    reset_reason = reader.u16("sessionResetReason")
    if flags & FLAG_RESUMED and reset_reason != 0:
        raise ProtocolError(f"WELCOME is RESUMED but carries sessionResetReason {reset_reason}")
    lost_count = reader.u32("lostCount")
    server_id = reader.string16("serverId", limit=256)
    return Welcome(
        version, interval, timeout, max_frame_size, connection_id, session_id, last_received, reset_reason, lost_count,
        server_id, reader.extensions(), session=bool(flags & FLAG_SESSION), resumed=bool(flags & FLAG_RESUMED))


class _BodyReader:
    """Reads fields in order from a body, failing with PROTOCOL_ERROR on any overrun."""

    def __init__(self, body: bytes, frame_name: str) -> None:
        self._body = body
        self._offset = 0
        self._frame = frame_name

    def take(self, count: int, field_name: str) -> bytes:
        end = self._offset + count
        if end > len(self._body):
            raise ProtocolError(f"{self._frame} {field_name} runs past the end of the body")
        value = bytes(self._body[self._offset:end])
        self._offset = end
        return value

    def u8(self, name: str) -> int:
        return self.take(1, name)[0]

    def u16(self, name: str) -> int:
        return int(struct.unpack(">H", self.take(2, name))[0])

    def u32(self, name: str) -> int:
        return int(struct.unpack(">I", self.take(4, name))[0])

    def u64(self, name: str) -> int:
        return int(struct.unpack(">Q", self.take(8, name))[0])

    def string16(self, name: str, limit: Optional[int] = None) -> str:
        length = self.u16(name + "Len")
        if limit is not None and length > limit:
            raise ProtocolError(f"{self._frame} {name}Len {length} exceeds {limit}")
        raw = self.take(length, name)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{self._frame} {name} is not valid UTF-8") from None

    def rest(self) -> bytes:
        value = bytes(self._body[self._offset:])
        self._offset = len(self._body)
        return value

    def extensions(self) -> Tuple[Extension, ...]:
        items: List[Extension] = []
        while self._offset < len(self._body):
            key = self.u16("extension key") if len(self._body) - self._offset >= 4 else self._overrun()
            length = self.u16("extension length")
            items.append(Extension(key, self.take(length, "extension value")))
        return tuple(items)

    def _overrun(self) -> int:
        raise ProtocolError(f"{self._frame} ends with {len(self._body) - self._offset} stray bytes: too short for an extension item")


def alternate_endpoints(extensions: Tuple[Extension, ...]) -> List[str]:
    """The ALTERNATE_ENDPOINT values in order; items that are not UTF-8 are ignored (they are hints)."""
    result: List[str] = []
    for item in extensions:
        if item.key == ALTERNATE_ENDPOINT_KEY:
            try:
                result.append(item.value.decode("utf-8"))
            except UnicodeDecodeError:
                continue
    return result
