# Keeps ONE TCP connection open and exchanges a line every 100 ms for a bounded time.
# Prints "connected", then "ok N" per echo; exits 1 on the first error or an echo slower than 2 s.
import socket, sys, time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, port), timeout=3)
s.settimeout(2.0)
print("connected", s.getpeername()[0], flush=True)
end = time.time() + seconds
n = 0
try:
    while time.time() < end:
        n += 1
        msg = ("ping %d\n" % n).encode()
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("connection closed by peer")
            got += chunk
        if got != msg:
            raise OSError("echo mismatch")
        print("ok", n, flush=True)
        time.sleep(0.1)
except OSError as e:
    print("error", n, e, flush=True)
    sys.exit(1)
print("done", n, flush=True)
