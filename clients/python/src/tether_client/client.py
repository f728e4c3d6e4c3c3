"""TetherClient: the public asyncio client (reconnects, heartbeats, sessions)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import AsyncIterator, Callable, List, Optional, Sequence, Union

from . import codes, frames
from .backoff import ExponentialBackoff
from .connection import Connection, DisconnectInfo
from .endpoints import Endpoint, EndpointLike, EndpointSelector
from .errors import ClientClosedError, ConnectError, MalformedCloseError, MessageTooLargeError, ProtocolError, TetherError
from .events import (ClientErrorEvent, Closed, Connected, Disconnected, Event, Reconnecting, Resumed, RoundTripTime,
                     SessionLost)
from .handshake import HandshakeRejected, build_hello, open_connection
from .options import TetherClientOptions
from .session import DELIVER, AckPolicy, ClientSession, SessionGapError

Listener = Callable[[Event], None]
MessageHandler = Callable[[bytes], None]

_RESET_REASONS = {2: "expired", 3: "overflow", 4: "gap"}
_END = object()


class TetherClient:
    """A long-lived connection to a Tether server that survives failures.

    ``async with TetherClient(options) as client:`` connects (waiting for the first connection), then
    ``await client.send(data)``, ``await client.receive()`` or ``async for message in client``, and
    ``await client.close(timeout)`` (also done on leaving the ``async with`` block).
    """

    def __init__(self, options: Union[TetherClientOptions, EndpointLike, Sequence[EndpointLike]],
                 on_event: Optional[Listener] = None, on_message: Optional[MessageHandler] = None) -> None:
        if not isinstance(options, TetherClientOptions):
            endpoints = [options] if isinstance(options, (str, Endpoint)) else list(options)
            options = TetherClientOptions(endpoints=endpoints)
        options.validate()
        self.options = options
        self._selector = EndpointSelector(options.parsed_endpoints(), options.endpoint_selection)
        self._backoff = ExponentialBackoff(options.reconnect.base_delay, options.reconnect.max_delay)
        self._tls = options.tls.create_context() if options.tls is not None else None
        self._listeners: List[Listener] = [on_event] if on_event else []
        self._on_message = on_message
        self._inbox: "asyncio.Queue[object]" = asyncio.Queue()
        self._session: Optional[ClientSession] = None
        self._conn: Optional[Connection] = None
        self._peer_max: Optional[int] = None
        self._draining = False
        self._run_task: Optional["asyncio.Task[None]"] = None
        self._waiters: List["asyncio.Future[None]"] = []
        # _closing: the application is closing (no new sends); _stop: the reconnect loop must end.
        self._closing = False
        self._stop: Optional["asyncio.Future[None]"] = None
        self._closed_event: Optional[Closed] = None
        self._failure: Optional[TetherError] = None
        self._hint_deadline = 0.0
        self._ever_connected = False

    # --- public API ----------------------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Calls ``listener(event)`` for every event, on the event loop, in order. It must not block."""
        self._listeners.append(listener)

    async def events(self) -> AsyncIterator[Event]:
        """The events from now on, ending after ``Closed``."""
        queue: "asyncio.Queue[Event]" = asyncio.Queue()
        self._listeners.append(queue.put_nowait)
        try:
            while True:
                event = await queue.get()
                yield event
                if isinstance(event, Closed):
                    return
        finally:
            self._listeners.remove(queue.put_nowait)

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.writable

    @property
    def session_id(self) -> Optional[str]:
        return self._session.session_id.hex() if self._session is not None else None

    @property
    def unacknowledged(self) -> int:
        """Messages sent in the session that the server has not acknowledged yet."""
        return self._session.unacknowledged_count if self._session is not None else 0

    @property
    def closed(self) -> Optional[Closed]:
        """The Closed event once the client has stopped, else None."""
        return self._closed_event

    async def connect(self) -> None:
        """Starts the client and waits for the first connection; raises ConnectError or ClientClosedError if the
        client stops first (gave up, or refused for good)."""
        if self._run_task is None:
            self._stop = asyncio.get_running_loop().create_future()
            self._run_task = asyncio.ensure_future(self._run())
        while not self._ever_connected:
            if self._closed_event is not None:
                raise self._failure or ClientClosedError("the client is closed")
            await self._wait_change()

    async def __aenter__(self) -> "TetherClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def send(self, message: Union[bytes, bytearray, memoryview, str]) -> None:
        """Sends one message (str is encoded as UTF-8). In a session it is kept until acknowledged and resent after
        a reconnect; it waits while the replay buffer is full. Without a session it waits for a connection (up to
        ``disconnected_send_timeout``) and is delivered at most once."""
        payload = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        deadline: Optional[float] = None
        while True:
            self._check_open()
            session = self._session
            if session is not None and self._peer_max is not None:
                self._check_size(payload, self._peer_max - 8)
                if not session.has_room(len(payload), self.options.sessions.max_unacknowledged_bytes):
                    await self._wait_change()
                    continue
                seq = session.add_outbound(payload)
                if self._conn is not None and not self._draining:
                    self._write_data(self._conn, session, seq, payload)
                return
            if self._conn is not None and self._conn.writable and not self._draining and self._peer_max is not None:
                self._check_size(payload, self._peer_max)
                self._conn.write(frames.encode_data(payload))
                return
            if deadline is None:
                deadline = time.monotonic() + self.options.disconnected_send_timeout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TetherError(f"not connected: the message waited {self.options.disconnected_send_timeout:g} s "
                                  "for a connection and was not sent")
            await self._wait_change(remaining)

    async def receive(self) -> bytes:
        """The next message; raises ClientClosedError once the client is closed and every message was taken."""
        item = await self._inbox.get()
        if item is _END:
            self._inbox.put_nowait(_END)
            raise ClientClosedError("the client is closed")
        assert isinstance(item, bytes)
        return item

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[bytes]:
        while True:
            try:
                yield await self.receive()
            except ClientClosedError:
                return

    async def close(self, timeout: float = 10.0) -> int:
        """Closes gracefully: waits up to ``timeout`` seconds for the server to acknowledge every message sent,
        sends CLOSE 1000 and returns how many messages stayed unacknowledged."""
        if self._closed_event is not None:
            return self._closed_event.unacknowledged
        self._closing = True
        self._notify()
        deadline = time.monotonic() + timeout
        while self._session is not None and self._session.unacknowledged_count and self._closed_event is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
        if self._closed_event is not None:
            return self._closed_event.unacknowledged
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(None)
        if self._run_task is not None:
            await self._run_task
        conn = self._conn
        self._conn = None
        if conn is not None and conn.writable:
            self._flush_ack(conn)
            conn.send_close(codes.NORMAL, "client closing")
            await conn.linger(self.options.close_linger)
        elif conn is not None:
            conn.abort()
        unacknowledged = self.unacknowledged
        self._finish(Closed("closed", None, unacknowledged), None)
        return unacknowledged

    # --- the reconnect loop --------------------------------------------------------------------------------------

    @property
    def _stopping(self) -> bool:
        return self._stop is None or self._stop.done()

    async def _run(self) -> None:
        try:
            await self._reconnect_loop()
        except asyncio.CancelledError:
            raise
        except Exception as ex:  # a bug must still end the client visibly rather than hang it
            self._finish(Closed("gave-up", f"internal error: {ex!r}", self.unacknowledged), ClientClosedError(str(ex)))

    async def _reconnect_loop(self) -> None:
        reconnect = self.options.reconnect
        attempt = 0
        total = 0
        last_error: Optional[str] = None
        first = True
        while not self._stopping:
            endpoint = self._selector.next()
            if not first:
                attempt += 1
                wait = max(self._backoff.delay(attempt), self._hint_deadline - time.monotonic())
                self._emit(Reconnecting(attempt, wait, str(endpoint), last_error))
                if not await self._sleep_until(time.monotonic() + wait):
                    return
            first = False
            total += 1
            try:
                opened = await self._attempt(endpoint)
                if opened is None:
                    return
                conn, welcome = opened
            except asyncio.TimeoutError:
                last_error = f"no connection to {endpoint} within {self.options.connect_timeout:g} s"
            except HandshakeRejected as ex:
                last_error = str(ex)
                self._take_hints(ex.retry_after_ms, ex.alternates)
                if not codes.allows_reconnect(ex.close.code):
                    self._finish(Closed("handshake-rejected", ex.close.reason or codes.code_name(ex.close.code),
                                        self.unacknowledged), ex)
                    return
            except (ConnectError, SessionGapError) as ex:
                last_error = str(ex)
            else:
                info = await self._serve(conn, welcome)
                if info is None:
                    return
                last_error = None
                if time.monotonic() - conn.opened_at >= reconnect.stable_after:
                    attempt, total = 0, 0
                if self._stopping:
                    return
                self._emit(Disconnected(info.reason, info.code, info.description))
                if info.final or not reconnect.enabled:
                    self._finish(Closed(info.reason, info.description, self.unacknowledged),
                                 ClientClosedError(f"closed by the server: {info.description}", info.code))
                    return
            if reconnect.max_attempts is not None and total >= reconnect.max_attempts:
                description = f"{last_error or 'the connection was lost'} (gave up after {total} attempt(s))"
                self._finish(Closed("gave-up", description, self.unacknowledged), ConnectError(description))
                return
            if not reconnect.enabled and last_error is not None:
                self._finish(Closed("gave-up", last_error, self.unacknowledged), ConnectError(last_error))
                return

    async def _sleep_until(self, deadline: float) -> bool:
        """Sleeps until ``deadline`` (never before it: loop timers may fire a little early); False when stopping."""
        assert self._stop is not None
        while not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            await asyncio.wait({self._stop}, timeout=remaining + 0.001)
        return False

    async def _attempt(self, endpoint: Endpoint) -> "Optional[tuple[Connection, frames.Welcome]]":
        """One attempt under the connect timeout (D11); None when the client is stopping."""
        assert self._stop is not None
        task = asyncio.ensure_future(self._open(endpoint))
        waiting: "set[asyncio.Future[object]]" = {task, self._stop}  # type: ignore[arg-type]
        await asyncio.wait(waiting, timeout=self.options.connect_timeout, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if self._stopping:
                return None
            raise asyncio.TimeoutError()
        result = task.result()
        return None if self._stopping else result

    async def _open(self, endpoint: Endpoint) -> "tuple[Connection, frames.Welcome]":
        session = self._session if self.options.sessions.enabled else None
        hello = build_hello(self.options, session)
        conn, welcome = await open_connection(endpoint, self.options, self._tls, hello)
        try:
            self._apply_welcome(conn, hello, welcome)
        except SessionGapError:
            conn.send_close(codes.NORMAL, "session lost: the server lacks messages the client no longer holds")
            conn.abort()
            raise
        except ProtocolError as ex:
            conn.send_close(ex.code, str(ex))
            conn.abort()
            raise ConnectError(f"invalid WELCOME from {endpoint}: {ex}", code=ex.code) from None
        return conn, welcome

    def _apply_welcome(self, conn: Connection, hello: frames.Hello, welcome: frames.Welcome) -> None:
        """Session bookkeeping for a WELCOME: resume (retransmit), reset (report), or a new session."""
        old = self._session
        if hello.resume and old is not None:
            if welcome.resumed:
                try:
                    resend = old.resume(welcome.last_received_seq)
                except SessionGapError as ex:
                    self._session = None
                    self._emit(SessionLost(old.session_id.hex(), "gap", old.unacknowledged_count, None, str(ex),
                                           old.unacknowledged()))
                    raise
                self._open_connection(conn, welcome)
                old.forget_pending_ack()
                for seq, payload in resend:
                    self._write_data(conn, old, seq, payload)
                self._emit(Resumed(old.session_id.hex(), welcome.last_received_seq, len(resend)))
                return
            if welcome.session:
                reason = _RESET_REASONS.get(welcome.session_reset_reason, "unknown")
                # Reason 0 in answer to a resume counts as UNKNOWN, and its lostCount means nothing (§5.2, §10.7).
                unknown = welcome.session_reset_reason == 0 or welcome.lost_count == frames.UNKNOWN_LOST_COUNT
                lost = None if unknown else welcome.lost_count
                description = f"the server could not resume the session ({reason})"
            else:
                reason, lost, description = "not-granted", None, "the server did not grant a session on reconnect"
            # D9: the old session's unacknowledged messages are not resent (the server may have some of them).
            self._session = None
            self._emit(SessionLost(old.session_id.hex(), reason, old.unacknowledged_count, lost, description,
                                   old.unacknowledged()))
        if welcome.session:
            self._session = ClientSession(welcome.session_id, AckPolicy(
                self.options.sessions.ack_after_messages, self.options.sessions.ack_after_bytes,
                self.options.sessions.ack_delay))
        self._open_connection(conn, welcome)

    def _open_connection(self, conn: Connection, welcome: frames.Welcome) -> None:
        conn.last_sent = conn.last_received = time.monotonic()
        conn.opened_at = conn.last_sent
        self._conn = conn
        self._peer_max = welcome.max_frame_size
        self._draining = False
        self._ever_connected = True
        self._selector.connection_opened()
        self._emit(Connected(conn.endpoint, welcome.connection_id, welcome.server_id,
                             welcome.heartbeat_interval_ms / 1000, welcome.heartbeat_timeout_ms / 1000, self.session_id))
        self._notify()

    async def _serve(self, conn: Connection, welcome: frames.Welcome) -> Optional[DisconnectInfo]:
        """Runs the open connection until it ends (its DisconnectInfo) or the client stops (None)."""
        interval = welcome.heartbeat_interval_ms / 1000
        timeout = welcome.heartbeat_timeout_ms / 1000
        wake = asyncio.Event()
        reader = asyncio.ensure_future(self._read_loop(conn, wake))
        timer = asyncio.ensure_future(self._timer_loop(conn, interval, timeout, wake))
        assert self._stop is not None
        try:
            waiting: "set[asyncio.Future[object]]" = {conn.ended, self._stop}  # type: ignore[arg-type]
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            return conn.ended.result() if conn.ended.done() else None
        finally:
            for task in (reader, timer):
                task.cancel()
            await asyncio.gather(reader, timer, return_exceptions=True)
            if not self._stopping:
                self._conn = None
                self._notify()

    async def _read_loop(self, conn: Connection, wake: asyncio.Event) -> None:
        try:
            while True:
                try:
                    frame_type, frame = await conn.read_frame()
                except MalformedCloseError as ex:
                    conn.abort()
                    conn.end(conn.closing_info or DisconnectInfo("protocol-error", codes.PROTOCOL_ERROR, str(ex)))
                    return
                if conn.closing_info is not None:
                    # After our CLOSE only the server's CLOSE matters (its hints); everything else is discarded.
                    if isinstance(frame, frames.Close):
                        self._take_hints(frame.retry_after_ms, frames.alternate_endpoints(frame.extensions))
                        conn.abort()
                        conn.end(conn.closing_info)
                        return
                    continue
                self._handle(conn, frame, wake)
        except ProtocolError as ex:
            if conn.closing_info is not None:
                conn.abort()
                conn.end(conn.closing_info)
            else:
                self._violation(conn, ex)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as ex:
            conn.abort()
            if conn.closing_info is not None:
                conn.end(conn.closing_info)
                return
            description = "the server closed the connection" if isinstance(ex, asyncio.IncompleteReadError) else (
                f"connection error: {getattr(ex, 'strerror', None) or ex}")
            conn.end(DisconnectInfo("connection-lost", None, description))

    def _violation(self, conn: Connection, ex: ProtocolError) -> None:
        conn.send_close(ex.code, str(ex))
        asyncio.ensure_future(conn.linger(self.options.close_linger))
        conn.end(DisconnectInfo("protocol-error", ex.code, str(ex)))

    def _handle(self, conn: Connection, frame: frames.Frame, wake: asyncio.Event) -> None:
        session = self._session
        if isinstance(frame, frames.Data):
            if session is None:
                if frame.seq is not None or frame.ack is not None:
                    raise ProtocolError("DATA with SEQ or ACK outside a session")
                self._deliver(frame.payload)
                return
            if frame.seq is None:
                raise ProtocolError("DATA without SEQ in a session")
            if frame.ack is not None:
                self._on_ack(session, frame.ack)
            if session.on_data(frame.seq) == DELIVER:
                self._deliver(frame.payload)
                if session.delivered(len(frame.payload), time.monotonic()):
                    self._flush_ack(conn)
                wake.set()
        elif isinstance(frame, frames.Ack):
            if session is None:
                raise ProtocolError("ACK outside a session")
            self._on_ack(session, frame.ack)
        elif isinstance(frame, frames.Ping):
            conn.write(frames.encode(frames.Pong(frame.value)))
        elif isinstance(frame, frames.Pong):
            rtt = conn.pong_rtt(frame.value)
            if rtt is not None:
                self._emit(RoundTripTime(rtt))
        elif isinstance(frame, frames.GoAway):
            self._on_goaway(conn, frame)
        elif isinstance(frame, frames.Close):
            self._on_close(conn, frame)
        elif isinstance(frame, (frames.Hello, frames.Welcome)):
            raise ProtocolError(f"unexpected {type(frame).__name__.upper()} after the handshake")
        # Extension frames (0x40-0x7F) are skipped: reading them refreshed lastReceived, nothing else to do.

    def _on_ack(self, session: ClientSession, ack: int) -> None:
        if session.on_ack(ack):
            self._notify()

    def _on_goaway(self, conn: Connection, goaway: frames.GoAway) -> None:
        # D6: no new DATA here, the pending ack goes out, then CLOSE 1000 at once.
        self._draining = True
        self._take_hints(goaway.retry_after_ms, frames.alternate_endpoints(goaway.extensions))
        self._flush_ack(conn)
        conn.send_close(codes.NORMAL, "going away as the server asked")
        # Reading goes on until the server closes (its CLOSE may carry newer hints, D10), at most the linger time.
        info = DisconnectInfo("going-away", codes.GOING_AWAY, goaway.reason or "server going away")
        conn.closing_info = info

        def give_up_waiting() -> None:
            if not conn.ended.done():
                conn.abort()
                conn.end(info)

        asyncio.get_running_loop().call_later(self.options.close_linger, give_up_waiting)

    def _on_close(self, conn: Connection, close: frames.Close) -> None:
        self._take_hints(close.retry_after_ms, frames.alternate_endpoints(close.extensions))
        conn.abort()
        conn.end(DisconnectInfo(codes.reason_for_code(close.code), close.code, close.reason or codes.code_name(close.code),
                                final=not codes.allows_reconnect(close.code)))

    def _take_hints(self, retry_after_ms: int, alternates: List[str]) -> None:
        """D10: the later deadline wins; alternates replace the list only when the frame carries some."""
        if retry_after_ms:
            self._hint_deadline = max(self._hint_deadline, time.monotonic() + retry_after_ms / 1000)
        if alternates:
            self._selector.set_alternates(alternates)

    async def _timer_loop(self, conn: Connection, interval: float, timeout: float, wake: asyncio.Event) -> None:
        """PING when idle for I, dead server after T of silence (CLOSE 1006, D4), acks due after the ack delay."""
        while not conn.closed:
            now = time.monotonic()
            silence = now - conn.last_received
            if silence >= timeout:
                conn.send_close(codes.HEARTBEAT_TIMEOUT, "heartbeat timeout")
                conn.abort()
                conn.end(DisconnectInfo("heartbeat-timeout", codes.HEARTBEAT_TIMEOUT,
                                        f"nothing received from the server for {silence:.3f} s"))
                return
            session = self._session
            if session is not None and session.ack_due_at is not None and now >= session.ack_due_at:
                self._flush_ack(conn)
            if now - conn.last_sent >= interval:
                conn.send_ping()
            due = min(conn.last_received + timeout, conn.last_sent + interval)
            if session is not None and session.ack_due_at is not None:
                due = min(due, session.ack_due_at)
            wake.clear()
            # asyncio.wait, not wait_for: wait_for may swallow a cancellation that races with the wake-up (3.9-3.11).
            waiter = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=max(0.0, due - time.monotonic()))
            finally:
                waiter.cancel()

    # --- helpers -------------------------------------------------------------------------------------------------

    def _write_data(self, conn: Connection, session: ClientSession, seq: int, payload: bytes) -> None:
        ack: Optional[int] = None
        # D3: piggy-back the ack only when it still fits; otherwise it goes in its own ACK frame.
        if session.ack_pending and self._peer_max is not None and len(payload) + 16 <= self._peer_max:
            ack = session.take_ack()
        elif session.ack_pending:
            self._flush_ack(conn)
        conn.write(frames.encode_data(payload, seq, ack))

    def _flush_ack(self, conn: Connection) -> None:
        session = self._session
        if session is not None:
            ack = session.take_ack()
            if ack is not None:
                conn.write(frames.encode(frames.Ack(ack)))

    def _deliver(self, payload: bytes) -> None:
        if self._on_message is not None:
            try:
                self._on_message(payload)
            except Exception as ex:  # the application's handler must not kill the connection
                self._emit(ClientErrorEvent(f"message handler raised {ex!r}"))
        else:
            self._inbox.put_nowait(payload)

    def _check_size(self, payload: bytes, limit: int) -> None:
        if len(payload) > limit:
            raise MessageTooLargeError(f"message of {len(payload)} bytes exceeds the largest the server accepts "
                                       f"({limit} bytes)")

    def _check_open(self) -> None:
        if self._closed_event is not None:
            raise self._failure if isinstance(self._failure, ClientClosedError) else ClientClosedError(
                f"the client is closed ({self._closed_event.reason})")
        if self._closing:
            raise ClientClosedError("the client is closing")

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as ex:
                print(f"tether_client: event listener raised {ex!r}", file=sys.stderr)

    def _finish(self, closed: Closed, failure: Optional[TetherError]) -> None:
        if self._closed_event is not None:
            return
        self._failure = failure
        self._closed_event = closed
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(None)
        self._emit(closed)
        self._inbox.put_nowait(_END)
        self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, timeout: Optional[float] = None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await asyncio.wait({waiter}, timeout=timeout)
