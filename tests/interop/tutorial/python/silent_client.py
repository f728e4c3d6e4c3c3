# Shows an idle timeout from the client's side: after one exchange it stays silent until the server closes it.
import socket
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
max_wait = float(sys.argv[3]) if len(sys.argv) > 3 else 60

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((host, port))
    s.sendall(b"Hello")
    print(f"Received: {s.recv(1024).decode()}", flush=True)

    start = time.monotonic()
    s.settimeout(max_wait)
    try:
        while s.recv(1024):  # anything else the server sends is ignored; b"" means it closed the connection
            pass
    except socket.timeout:
        print(f"error: the server did not close the connection within {max_wait:g} s", file=sys.stderr)
        sys.exit(1)
    except ConnectionResetError:
        pass  # a reset is a close too

print(f"closed by server after {time.monotonic() - start:.1f} s")
