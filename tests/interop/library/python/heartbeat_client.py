# The seed's heartbeat program (tests/interop/tutorial/python/heartbeat_client.py) on the Python client library.
# What the library adds: the tutorial program sends a message of its own every second to keep an idle-timeout
# server from dropping it, and it would wait forever on a server that went silent. Here the application sends one
# message and then nothing: the library keeps the connection alive with PING/PONG, measures the round-trip time,
# and declares a silent server dead after the heartbeat timeout (CLOSE 1006; it would then reconnect with backoff,
# this program stops there to show the detection, exit code 1).
# Usage: heartbeat_client.py HOST PORT SECONDS   (PYTHONPATH must include clients/python/src)
import asyncio
import sys
import time

from tether_client import Disconnected, RoundTripTime, TetherClient, TetherClientOptions


async def main(host: str, port: int, seconds: float) -> int:
    options = TetherClientOptions(endpoints=[f"{host}:{port}"], heartbeat_interval=1.0, heartbeat_timeout=3.0)
    lost = asyncio.get_running_loop().create_future()

    def on_event(event: object) -> None:
        if isinstance(event, RoundTripTime):
            print(f"rtt {event.rtt * 1000:.3f} ms", flush=True)
        elif isinstance(event, Disconnected) and not lost.done():
            lost.set_result(event)

    async with TetherClient(options, on_event=on_event) as client:
        start = time.monotonic()
        await client.send("heartbeat")
        print(f"Received: {(await client.receive()).decode()}", flush=True)
        done, _ = await asyncio.wait({lost}, timeout=seconds)
        if done:
            print(f"server declared dead after {time.monotonic() - start:.1f} s ({lost.result().reason})", flush=True)
            await client.close(0)
            return 1
    print(f"still connected after {seconds:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 10)))
