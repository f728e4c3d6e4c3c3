"""One TCP (or TLS) connection: frame I/O, the two heartbeat clocks, and how it ends."""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from . import frames
from .errors import ProtocolError
from .frames import Frame


@dataclass(frozen=True)
class DisconnectInfo:
    reason: str
    code: Optional[int]
    description: str
    # Set when the close frame allows no reconnect.
    final: bool = False


class Connection:
    """Writes frames whole (one write per frame, so they never interleave) and reads them with header checks."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, endpoint: str) -> None:
        self.reader = reader
        self.writer = writer
        self.endpoint = endpoint
        self.max_receive = frames.HANDSHAKE_MAX_FRAME_SIZE
        self.last_sent = time.monotonic()
        self.last_received = self.last_sent
        self.closed = False
        self.opened_at = self.last_sent
        # Set once the client sent CLOSE but still reads, for a CLOSE of the server's (GOAWAY, D6/D10): how it ends.
        self.closing_info: Optional["DisconnectInfo"] = None
        self._pings: Dict[int, float] = {}
        self.ended: "asyncio.Future[DisconnectInfo]" = asyncio.get_running_loop().create_future()

    @property
    def writable(self) -> bool:
        return not self.closed and not self.writer.is_closing()

    def write(self, data: bytes) -> bool:
        """Queues one whole frame; False when the connection can no longer send."""
        if not self.writable:
            return False
        try:
            self.writer.write(data)
        except (ConnectionError, RuntimeError):
            return False
        self.last_sent = time.monotonic()
        return True

    def send_ping(self) -> None:
        value = time.monotonic_ns() // 1000
        if len(self._pings) >= 64:
            self._pings.pop(next(iter(self._pings)))
        self._pings[value] = time.monotonic()
        self.write(frames.encode(frames.Ping(value)))

    def pong_rtt(self, value: int) -> Optional[float]:
        """The round-trip time when the PONG answers one of our PINGs (and older PINGs are forgotten)."""
        sent = self._pings.pop(value, None)
        if sent is None:
            return None
        for older in [v for v, t in self._pings.items() if t <= sent]:
            del self._pings[older]
        return time.monotonic() - sent

    async def read_frame(self, allowed: Optional[FrozenSet[int]] = None) -> Tuple[int, Frame]:
        """Reads the next frame; the header is checked before the body is read (ProtocolError 1002/1004).
        ``allowed``: the only types acceptable in this phase (the handshake)."""
        head = await self.reader.readexactly(frames.HEADER_SIZE)
        frame_type, flags, length = struct.unpack(">BBI", head)
        frames.check_header(frame_type, flags, length, self.max_receive)
        if allowed is not None and frame_type not in allowed:
            raise ProtocolError(f"unexpected {frames.TYPE_NAMES.get(frame_type, f'frame type 0x{frame_type:02x}')} in this phase")
        body = await self.reader.readexactly(length) if length else b""
        self.last_received = time.monotonic()
        return frame_type, frames.decode(frame_type, flags, body)

    def end(self, info: DisconnectInfo) -> None:
        """Records how the connection ended (the first cause wins) and stops sending."""
        self.closed = True
        if not self.ended.done():
            self.ended.set_result(info)

    def send_close(self, code: int, reason: str) -> None:
        """CLOSE as the last frame, then a half-close so the server reads it before our FIN."""
        if self.writable:
            self.write(frames.encode(frames.Close(code, 0, reason)))
            try:
                if self.writer.can_write_eof():
                    self.writer.write_eof()
            except (OSError, RuntimeError):
                pass
        self.closed = True

    def abort(self) -> None:
        """Closes at once: what is buffered gets a moment to leave, a dead link does not keep the socket."""
        self.closed = True
        try:
            self.writer.close()
        except RuntimeError:
            return
        transport = self.writer.transport
        asyncio.get_running_loop().call_later(1.0, transport.abort)

    async def linger(self, timeout: float) -> None:
        """Reads and discards input until the server closes or ``timeout`` passes, then closes the socket."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                reading = asyncio.ensure_future(self.reader.read(65536))
                done, _ = await asyncio.wait({reading}, timeout=remaining)
                if not done:
                    reading.cancel()
                    break
                if not reading.result():
                    break
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.abort()
