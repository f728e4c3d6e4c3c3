# Shows short-lived connections: connect, send one message, read the echo, close, and again.
import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
count = int(sys.argv[3]) if len(sys.argv) > 3 else 5

for i in range(1, count + 1):
    message = f"ping {i}"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect((host, port))
        s.sendall(message.encode())
        reply = s.recv(1024).decode()
    print(f"Received: {reply}", flush=True)
    if reply != message:
        print(f"error: expected {message!r}, got {reply!r}", file=sys.stderr)
        sys.exit(1)

print(f"all {count} echoes matched")
