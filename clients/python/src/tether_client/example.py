"""The command-line example, equivalent to ``tether connect --json``: stdin lines out, JSON events on stdout.

Usage: python3 -m tether_client.example [options] HOST:PORT [HOST:PORT ...]
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import signal
import sys
import threading
from typing import List, Optional, TextIO

from .client import TetherClient
from .durations import parse_duration
from .endpoints import FAILOVER, ROUND_ROBIN, Endpoint
from .errors import ClientClosedError, TetherError
from .events import Closed, Event, Reconnecting
from .jsonevents import JsonEventWriter
from .options import TetherClientOptions, TlsOptions

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_FAILED = 2
EXIT_UNACKNOWLEDGED = 3

_VALUE_OPTIONS = {"--client-id", "--token", "--heartbeat", "--timeout", "--max-attempts", "--backoff-base",
                  "--backoff-max", "--stable-after", "--connect-timeout", "--endpoint-selection", "--eof-delay",
                  "--close-timeout", "--ca"}
_FLAG_OPTIONS = {"--json", "--no-session", "--tls", "--insecure"}


class UsageError(Exception):
    pass


class Settings:
    def __init__(self, options: TetherClientOptions, eof_delay: float, close_timeout: float) -> None:
        self.options = options
        self.eof_delay = eof_delay
        self.close_timeout = close_timeout


def parse_args(argv: List[str]) -> Settings:
    """The command line as client options; raises UsageError with one line naming the problem."""
    values = {}
    flags = set()
    endpoints: List[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        name, eq, inline = arg.partition("=")
        if arg.startswith("-") and name in _VALUE_OPTIONS:
            if eq:
                values[name] = inline
            elif index < len(argv):
                values[name] = argv[index]
                index += 1
            else:
                raise UsageError(f"{name} needs a value")
        elif arg in _FLAG_OPTIONS:
            flags.add(arg)
        elif arg.startswith("-"):
            raise UsageError(f"unrecognized option '{arg}'")
        else:
            endpoints.append(arg)
    if not endpoints:
        raise UsageError("at least one endpoint HOST:PORT is required, e.g. 127.0.0.1:7447")
    options = TetherClientOptions()
    for text in endpoints:
        try:
            options.endpoints.append(Endpoint.parse(text))
        except ValueError as ex:
            raise UsageError(str(ex)) from None

    def duration(name: str, allow_zero: bool = False) -> Optional[float]:
        if name not in values:
            return None
        try:
            seconds = parse_duration(values[name])
        except ValueError as ex:
            raise UsageError(f"{name}: {ex}") from None
        if seconds == 0 and not allow_zero:
            raise UsageError(f"{name} must be greater than 0")
        return seconds

    options.client_id = values.get("--client-id")
    if "--token" in values:
        options.token = values["--token"].encode("utf-8")
    options.heartbeat_interval = duration("--heartbeat")
    options.heartbeat_timeout = duration("--timeout")
    if options.heartbeat_interval and options.heartbeat_timeout and options.heartbeat_timeout < options.heartbeat_interval:
        raise UsageError("--timeout must be at least --heartbeat")
    options.sessions.enabled = "--no-session" not in flags
    if "--max-attempts" in values:
        text = values["--max-attempts"]
        if not text.isdigit() or int(text) < 1:
            raise UsageError(f"--max-attempts: '{text}' is not a whole number of at least 1")
        options.reconnect.max_attempts = int(text)
    base, cap = duration("--backoff-base", True), duration("--backoff-max", True)
    reconnect = options.reconnect
    if base is not None and cap is not None and base > cap:
        raise UsageError("--backoff-base must not exceed --backoff-max")
    # Only one bound given: the other default moves so that "--backoff-max 100ms" alone means what it says.
    if base is not None:
        reconnect.base_delay = base
        reconnect.max_delay = max(base, reconnect.max_delay) if cap is None else cap
    elif cap is not None:
        reconnect.max_delay = cap
        reconnect.base_delay = min(cap, reconnect.base_delay)
    stable = duration("--stable-after", True)
    if stable is not None:
        reconnect.stable_after = stable
    connect_timeout = duration("--connect-timeout")
    if connect_timeout is not None:
        options.connect_timeout = connect_timeout
    selection = values.get("--endpoint-selection", FAILOVER)
    if selection not in (FAILOVER, ROUND_ROBIN):
        raise UsageError(f"--endpoint-selection: '{selection}' is not one of failover, round-robin")
    options.endpoint_selection = selection
    ca = values.get("--ca")
    if ca is not None and "--insecure" in flags:
        raise UsageError("--ca and --insecure contradict each other: --insecure checks nothing")
    if "--insecure" in flags:
        print("tether_client.example: WARNING: --insecure: the server's certificate is not checked, so anyone in the "
              "path can read and change this connection", file=sys.stderr)
    if "--tls" in flags or ca is not None or "--insecure" in flags:
        options.tls = TlsOptions(ca_file=ca, insecure="--insecure" in flags)
        try:
            options.tls.create_context()
        except (OSError, ValueError) as ex:
            raise UsageError(f"--ca: cannot load '{ca}': {getattr(ex, 'strerror', None) or ex}") from None
    eof_delay = duration("--eof-delay", True) or 0.0
    close_timeout = duration("--close-timeout", True)
    return Settings(options, eof_delay, 10.0 if close_timeout is None else close_timeout)


def _read_stdin(loop: asyncio.AbstractEventLoop, queue: "asyncio.Queue[Optional[bytes]]") -> None:
    # A daemon thread, so that a blocking read does not keep the process alive after the client is done. It reads the
    # file descriptor directly: a daemon thread blocked inside sys.stdin's buffered reader holds its lock, and the
    # interpreter aborts at exit when it cannot take that lock.
    def put(item: Optional[bytes]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: the program is exiting, the rest of stdin is not wanted
            pass

    pending = b""
    while True:
        try:
            chunk = os.read(0, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            put(line[:-1] if line.endswith(b"\r") else line)
    if pending:
        put(pending[:-1] if pending.endswith(b"\r") else pending)
    put(None)


class ExampleRun:
    def __init__(self, settings: Settings, output: TextIO) -> None:
        self.settings = settings
        self.writer = JsonEventWriter(output)
        self.finished = asyncio.Event()
        self.stop = asyncio.Event()
        self.closed: Optional[Closed] = None

    def explain(self, message: str) -> str:
        """A plain client that a TLS listener hangs up on only hears that the handshake was cut: say so."""
        hung_up = "closed the connection during the handshake"
        if self.settings.options.tls is None and hung_up in message:
            return message.replace(hung_up, hung_up + " (is it a TLS listener? try --tls)")
        return message

    def on_event(self, event: Event) -> None:
        if isinstance(event, Reconnecting) and event.last_error is not None:
            event = dataclasses.replace(event, last_error=self.explain(event.last_error))
        if isinstance(event, Closed) and event.description is not None:
            event = dataclasses.replace(event, description=self.explain(event.description))
        if isinstance(event, Closed):
            self.closed = event
            if event.reason != "closed" and event.description:
                self.writer.error(event.description)
            elif event.unacknowledged:
                self.writer.error(f"{event.unacknowledged} line(s) sent but never acknowledged by the server")
        self.writer.event(event)
        if isinstance(event, Closed):
            self.finished.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stop.set)
        client = TetherClient(self.settings.options, on_event=self.on_event, on_message=self.writer.message)
        connecting = asyncio.ensure_future(client.connect())
        stopping = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not connecting.done():
            await client.close(0)
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
            return self._exit_code()
        if connecting.exception() is not None:
            return self._exit_code()
        lines: "asyncio.Queue[Optional[bytes]]" = asyncio.Queue()
        threading.Thread(target=_read_stdin, args=(loop, lines), daemon=True).start()
        sending = asyncio.ensure_future(self._send_lines(client, lines))
        finished = asyncio.ensure_future(self.finished.wait())
        await asyncio.wait({sending, finished, stopping}, return_when=asyncio.FIRST_COMPLETED)
        timeout = 0.0
        if sending.done() and not stopping.done() and not finished.done():
            timeout = self.settings.close_timeout
            if self.settings.eof_delay > 0:
                await asyncio.wait({finished, stopping}, timeout=self.settings.eof_delay)
            if stopping.done():
                timeout = 0.0
        sending.cancel()
        if not self.finished.is_set():
            await client.close(timeout)
        return self._exit_code()

    def _exit_code(self) -> int:
        closed = self.closed
        if closed is None:
            return EXIT_FAILED
        if closed.reason != "closed":
            print(f"tether_client: {closed.description or closed.reason}", file=sys.stderr, flush=True)
            return EXIT_FAILED
        if closed.unacknowledged:
            print(f"tether_client: {closed.unacknowledged} line(s) sent but never acknowledged by the server",
                  file=sys.stderr, flush=True)
            return EXIT_UNACKNOWLEDGED
        return EXIT_OK

    async def _send_lines(self, client: TetherClient, lines: "asyncio.Queue[Optional[bytes]]") -> None:
        while True:
            line = await lines.get()
            if line is None:
                return
            try:
                await client.send(line)
            except ClientClosedError:
                return
            except TetherError as ex:
                self.writer.error(str(ex))


def main(argv: Optional[List[str]] = None) -> int:
    try:
        settings = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as ex:
        print(f"tether_client.example: {ex}", file=sys.stderr)
        return EXIT_USAGE
    output = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=True)
    return asyncio.run(_run(settings, output))


async def _run(settings: Settings, output: TextIO) -> int:
    # Created inside the loop: on Python 3.9 asyncio primitives bind to the loop current at construction.
    return await ExampleRun(settings, output).run()


if __name__ == "__main__":
    sys.exit(main())
