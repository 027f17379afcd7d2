# Line echo server for connection-survival tests: one thread per connection, bounded lifetime.
import socket, sys, threading, time

port = int(sys.argv[1])
deadline = time.time() + float(sys.argv[2]) if len(sys.argv) > 2 else time.time() + 120
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(16)
srv.settimeout(1.0)

def serve(conn):
    with conn:
        conn.settimeout(1.0)
        while time.time() < deadline:
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)

while time.time() < deadline:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
