# The seed's reconnect program (tests/interop/tutorial/python/reconnect_client.py) on the Python client library.
# What the library adds: the tutorial program opens a new connection per message and fails on the first error.
# Here one client keeps one connection and survives the server going away: it reconnects by itself with
# exponential backoff and full jitter, and resumes its reliable session, so messages sent while disconnected go
# out after the resume, each exactly once. If the session cannot be resumed (the server restarted), the library
# hands back the messages the server never acknowledged, and this program sends them again.
# Usage: reconnect_client.py HOST PORT COUNT   (PYTHONPATH must include clients/python/src)
import asyncio
import sys

from tether_client import Connected, Disconnected, Reconnecting, Resumed, SessionLost, TetherClient, TetherClientOptions


async def main(host: str, port: int, count: int) -> int:
    options = TetherClientOptions(endpoints=[f"{host}:{port}"])
    options.reconnect.max_delay = 1.0
    resend: "asyncio.Queue[bytes]" = asyncio.Queue()

    def on_event(event: object) -> None:
        if isinstance(event, (Connected, Disconnected, Reconnecting, Resumed, SessionLost)):
            print(f"event: {type(event).__name__.lower()}", flush=True)
        if isinstance(event, SessionLost):
            for message in event.unacknowledged_messages:
                resend.put_nowait(message)

    expected = {f"ping {i}" for i in range(1, count + 1)}
    received: "set[str]" = set()
    async with TetherClient(options, on_event=on_event) as client:

        async def send_all() -> None:
            for i in range(1, count + 1):
                await client.send(f"ping {i}")
                await asyncio.sleep(0.3)
            while True:
                await client.send(await resend.get())

        sender = asyncio.ensure_future(send_all())
        try:
            while received != expected:
                reply = (await asyncio.wait_for(client.receive(), 60)).decode()
                if reply not in expected:
                    print(f"error: unexpected echo {reply!r}", file=sys.stderr)
                    return 1
                if reply not in received:
                    received.add(reply)
                    print(f"Received: {reply}", flush=True)
        finally:
            sender.cancel()
    print(f"all {count} echoes matched")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 5)))
