# Shows the simplest TCP client: connect, send one message, print the echo, close.
import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((host, port))
    s.sendall(b"Hello, world!")
    data = s.recv(1024)

print(f"Received: {data.decode()}")
