"""A tiny redis client speaking RESP (the redis protocol) over a plain socket,
so the demo needs no package beyond the Python standard library.

Commands go out as arrays of bulk strings; replies come back as Python values:
simple string -> str, integer -> int, bulk string -> str (or None),
array -> list (or None), error -> RedisError raised."""

import socket


class RedisError(Exception):
    """An error reply from the server, e.g. "ERR unknown command"."""


class Redis:
    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def execute(self, *args):
        """Send one command and return its reply. Any socket error closes the
        connection (the reply stream can no longer be trusted)."""
        try:
            self.sock.sendall(_encode(args))
            reply = self._read()
        except BaseException:
            self.close()
            raise
        if isinstance(reply, RedisError):
            raise reply
        return reply

    def _read(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed by redis")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())  # returned, not raised: may sit in an array
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.rfile.read(size + 2)
            if len(data) != size + 2:
                raise ConnectionError("connection closed by redis")
            return data[:-2].decode("utf-8", "replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise ConnectionError(f"bad reply from redis: {line[:40]!r}")

    def close(self):
        try:
            self.rfile.close()
        finally:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _encode(args):
    """Encode a command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
