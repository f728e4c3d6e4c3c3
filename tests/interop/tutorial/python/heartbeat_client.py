# Shows an application heartbeat: a message every second keeps an idle-timeout server from dropping the client.
import socket
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10

MESSAGE = b"heartbeat"


def recv_echo(s):
    # TCP is a byte stream: one recv may return part of the echo, so read until all of it is in.
    data = b""
    while len(data) < len(MESSAGE):
        chunk = s.recv(1024)
        if not chunk:
            raise ConnectionError("connection closed by server")
        data += chunk
    return data


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((host, port))
    start = time.monotonic()
    try:
        for i in range(seconds + 1):
            if i > 0:
                time.sleep(1)
            s.sendall(MESSAGE)
            print(f"Received: {recv_echo(s).decode()}", flush=True)
    except OSError as e:
        print(f"error: {e} after {time.monotonic() - start:.1f} s", file=sys.stderr)
        sys.exit(1)

print(f"still connected after {seconds} s")
