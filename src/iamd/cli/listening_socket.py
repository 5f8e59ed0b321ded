"""The server's listening socket, bound by iamd before uvicorn starts.

Binding it here, rather than inside uvicorn, makes a port in use a start-up
failure iamd reports in one line (uvicorn logs it among its own start-up
lines), and gives one socket to every worker process. The socket is made
with protocol IPPROTO_TCP: asyncio only turns on TCP_NODELAY for sockets
whose protocol says TCP, and without it every answer would wait on the
client's delayed ACK (about 40 ms).
"""

from __future__ import annotations

import socket


def bind_listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (OSError when it cannot be)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None
    # The worker processes of --workers N inherit it.
    sock.set_inheritable(True)
    return sock
