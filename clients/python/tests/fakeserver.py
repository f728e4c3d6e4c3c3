"""A scripted Tether server for the client tests: each accepted connection is handed to the test's coroutine."""

from __future__ import annotations

import asyncio
import struct
from typing import Awaitable, Callable, List, Optional, Tuple

from tether_client import frames

Handler = Callable[["Peer"], Awaitable[None]]
SESSION_ID = bytes(range(0x10, 0x20))


class Peer:
    """The server's end of one client connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, index: int) -> None:
        self.reader = reader
        self.writer = writer
        self.index = index

    async def read(self, timeout: float = 5.0) -> frames.Frame:
        head = await asyncio.wait_for(self.reader.readexactly(6), timeout)
        frame_type, flags, length = struct.unpack(">BBI", head)
        body = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        return frames.decode(frame_type, flags, body)

    async def read_until(self, kind: type, timeout: float = 5.0) -> frames.Frame:
        """The next frame of that type, skipping PINGs, PONGs and ACKs in between."""
        while True:
            frame = await self.read(timeout)
            if isinstance(frame, kind):
                return frame
            if not isinstance(frame, (frames.Ping, frames.Pong, frames.Ack)):
                raise AssertionError(f"expected {kind.__name__}, got {frame}")

    async def read_eof(self, timeout: float = 5.0) -> bytes:
        """Everything the client sends until it closes (b"" when it sends nothing)."""
        data = b""
        while True:
            chunk = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not chunk:
                return data
            data += chunk

    def send(self, frame: frames.Frame) -> None:
        self.writer.write(frames.encode(frame))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def handshake(self, session: bool = False, resumed: bool = False, session_id: bytes = SESSION_ID,
                        last_received: int = 0, interval_ms: int = 30000, timeout_ms: int = 75000,
                        max_frame_size: int = 1 << 20, reset_reason: int = 0, lost: int = 0) -> frames.Hello:
        hello = await self.read()
        assert isinstance(hello, frames.Hello), hello
        self.send(frames.Welcome(1, interval_ms, timeout_ms, max_frame_size, self.index,
                                 session_id if session else frames.ZERO_SESSION_ID, last_received, reset_reason, lost,
                                 "fake", session=session, resumed=resumed))
        return hello

    def close(self) -> None:
        self.writer.close()


class FakeServer:
    def __init__(self, *handlers: Handler) -> None:
        self._handlers = list(handlers)
        self._server: Optional[asyncio.AbstractServer] = None
        self.port = 0
        self.connections = 0
        self.errors: List[BaseException] = []
        self._tasks: List["asyncio.Task[None]"] = []
        self._peers: List[Peer] = []
        self._closing = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> "FakeServer":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._closing = True
        self._server.close()
        for peer in self._peers:
            peer.writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.errors and exc[0] is None:
            raise self.errors[0]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        peer = Peer(reader, writer, index + 1)
        self._peers.append(peer)
        handler = self._handlers[min(index, len(self._handlers) - 1)]
        task = asyncio.current_task()
        assert task is not None
        self._tasks.append(task)
        try:
            await handler(peer)
        except asyncio.CancelledError:
            pass
        except BaseException as ex:  # reported by __aexit__, unless the test was already over
            if not self._closing:
                self.errors.append(ex)


async def idle(peer: Peer) -> None:
    """Completes the handshake and then only answers PINGs until the client leaves."""
    await peer.handshake()
    await serve_pings(peer)


async def serve_pings(peer: Peer) -> None:
    try:
        while True:
            frame = await peer.read(timeout=30)
            if isinstance(frame, frames.Ping):
                peer.send(frames.Pong(frame.value))
    except (asyncio.IncompleteReadError, ConnectionError):
        return


def record(events: list) -> Callable[[object], None]:  # type: ignore[type-arg]
    return events.append


def kinds(events: list) -> List[str]:  # type: ignore[type-arg]
    return [type(e).__name__ for e in events]


async def wait_for_event(events: list, kind: type, timeout: float = 5.0) -> object:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for event in events:
            if isinstance(event, kind):
                return event
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {kind.__name__} event; got {kinds(events)}")
        await asyncio.sleep(0.01)


def unpack_header(data: bytes) -> Tuple[int, int, int]:
    return struct.unpack(">BBI", data[:6])  # type: ignore[return-value]
