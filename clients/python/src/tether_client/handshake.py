"""Opening one connection: TCP, TLS, HELLO, and the strict checks of the server's first frame (§7.3, §5.2)."""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import List, Optional, Tuple

from . import codes, frames
from .connection import Connection
from .endpoints import Endpoint
from .errors import ConnectError, MalformedCloseError, ProtocolError
from .options import TetherClientOptions
from .session import ClientSession


_FIRST_FRAME_TYPES = frozenset((frames.WELCOME, frames.CLOSE))


class HandshakeRejected(ConnectError):
    """The server answered HELLO with CLOSE."""

    def __init__(self, close: frames.Close) -> None:
        description = close.reason or codes.code_name(close.code)
        super().__init__(f"the server refused the connection: {close.code} {codes.code_name(close.code)}: {description}",
                         code=close.code, retry_after_ms=close.retry_after_ms)
        self.close = close
        self.alternates: List[str] = frames.alternate_endpoints(close.extensions)


def build_hello(options: TetherClientOptions, session: Optional[ClientSession]) -> frames.Hello:
    resume = session is not None
    return frames.Hello(
        heartbeat_interval_ms=round(options.heartbeat_interval * 1000) if options.heartbeat_interval else 0,
        heartbeat_timeout_ms=round(options.heartbeat_timeout * 1000) if options.heartbeat_timeout else 0,
        max_frame_size=options.max_frame_size,
        session_id=session.session_id if session is not None else frames.ZERO_SESSION_ID,
        last_received_seq=session.last_received_seq if session is not None else 0,
        client_id=options.client_id or "",
        token=options.token,
        session=options.sessions.enabled,
        resume=resume and options.sessions.enabled,
    )


async def open_connection(endpoint: Endpoint, options: TetherClientOptions, tls: Optional[ssl.SSLContext],
                          hello: frames.Hello) -> Tuple[Connection, frames.Welcome]:
    """Connects and completes the handshake; raises ConnectError (or HandshakeRejected) on any failure."""
    try:
        if tls is not None:
            server_name = (options.tls.server_name if options.tls else None) or endpoint.host
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, ssl=tls, server_hostname=server_name)
        else:
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    except ssl.SSLCertVerificationError as ex:
        raise ConnectError(f"TLS handshake with {endpoint} failed: the server's certificate is not trusted "
                           f"({ex.verify_message or ex.reason})") from None
    except ssl.SSLError as ex:
        raise ConnectError(f"TLS handshake with {endpoint} failed: {ex.reason or ex}") from None
    except OSError as ex:
        # asyncio words a refused connect as "Connect call failed (addr)": the errno says what happened.
        reason = os.strerror(ex.errno).lower() if ex.errno else (ex.strerror or str(ex))
        raise ConnectError(f"cannot connect to {endpoint}: {reason}") from None
    except (UnicodeError, ValueError) as ex:  # a host name the resolver cannot even encode
        raise ConnectError(f"cannot connect to {endpoint}: {ex}") from None
    connection = Connection(reader, writer, str(endpoint))
    try:
        connection.write(frames.encode(hello))
        welcome = await _read_answer(connection, hello)
    except BaseException:
        connection.abort()
        raise
    connection.max_receive = options.max_frame_size
    return connection, welcome


async def _read_answer(connection: Connection, hello: frames.Hello) -> frames.Welcome:
    try:
        frame_type, frame = await _read_first(connection)
    except asyncio.IncompleteReadError:
        raise ConnectError(f"{connection.endpoint} closed the connection during the handshake") from None
    except OSError as ex:
        raise ConnectError(f"{connection.endpoint}: connection failed during the handshake: {ex.strerror or ex}") from None
    if isinstance(frame, frames.Close):
        raise HandshakeRejected(frame)
    assert isinstance(frame, frames.Welcome)
    try:
        check_welcome(frame, hello)
    except ProtocolError as ex:
        connection.send_close(ex.code, str(ex))
        raise ConnectError(f"invalid WELCOME from {connection.endpoint}: {ex}", code=ex.code) from None
    return frame


async def _read_first(connection: Connection) -> Tuple[int, frames.Frame]:
    """The server's first frame must be WELCOME or CLOSE; a malformed CLOSE gets no reply (D1)."""
    try:
        frame_type, frame = await connection.read_frame(_FIRST_FRAME_TYPES)
    except ProtocolError as ex:
        # A header arrived, so the client may answer (§7.3) - except to a CLOSE it cannot decode (D1).
        if not isinstance(ex, MalformedCloseError):
            connection.send_close(ex.code, str(ex))
        raise ConnectError(f"protocol error from {connection.endpoint} during the handshake: {ex}", code=ex.code) from None
    return frame_type, frame


def check_welcome(welcome: frames.Welcome, hello: frames.Hello) -> None:
    """Connection-level checks of §5.2 (the frame-level ones are done by the decoder)."""
    if not hello.min_version <= welcome.version <= hello.max_version:
        raise ProtocolError(f"WELCOME version {welcome.version} is outside {hello.min_version}-{hello.max_version}")
    if welcome.session and not hello.session:
        raise ProtocolError("WELCOME has SESSION although HELLO did not ask for one")
    if welcome.resumed and not hello.resume:
        raise ProtocolError("WELCOME has RESUMED although HELLO did not ask to resume")
    if welcome.resumed and welcome.session_id != hello.session_id:
        raise ProtocolError("WELCOME resumed a different session id than the one HELLO asked for")
