"""TCP_NODELAY on the web server's sockets, so that a rerun's messages leave as they are made.

Streamlit 1.67 binds its listening socket itself, as socket.socket(family=…), whose proto is 0;
asyncio then skips TCP_NODELAY on the connections it accepts (it sets it only where proto is
IPPROTO_TCP). With Nagle's algorithm on, every message after the first waits until the peer
acknowledges it: one round trip on a real network, and up to the peer's delayed-ACK timer
(40 ms on Linux, 200 ms by default on Windows) where it delays its ACKs. The benches' Python
client does when it asks for reruns back to back (page témoin: 44 ms a rerun without, 6 ms
with), and in the tail under load (bench/load.py, 200 users: p95 47 ms without, 13 ms with);
Chromium on this machine's loopback does not (no difference measured). nginx sets the option on
its own side too.

Set on the listening socket, the option is inherited by every connection accepted after
(Linux); connections already accepted from it are set here too. Where /proc is missing
(not Linux) nothing is done.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC_FDS = Path("/proc/self/fd")
TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def _tcp_sockets() -> list[socket.socket]:
    """Duplicates of the process's open TCP sockets (closing one leaves the original open)."""
    found = []
    try:
        fds = [int(name) for name in os.listdir(PROC_FDS)]
    except OSError:
        return []
    for fd in fds:
        # Only sockets are duplicated: closing a duplicate of a file drops every POSIX lock the
        # process holds on it (SQLite's, which another process then takes for its own).
        try:
            if not os.readlink(PROC_FDS / str(fd)).startswith("socket:"):
                continue
            copy = os.dup(fd)
        except OSError:  # closed meanwhile
            continue
        try:
            sock = socket.socket(fileno=copy)
        except OSError:  # not a socket
            os.close(copy)
            continue
        if sock.family in TCP_FAMILIES and sock.type == socket.SOCK_STREAM:
            found.append(sock)
        else:
            sock.close()
    return found


def _local_port(sock: socket.socket) -> int | None:
    try:
        return sock.getsockname()[1]
    except OSError:
        return None


def set_nodelay_on_server_sockets() -> int:
    """Set TCP_NODELAY on the process's listening TCP sockets and on the connections they
    accepted; the number of sockets changed."""
    sockets = _tcp_sockets()
    try:
        listening = [s for s in sockets if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)]
        ports = {_local_port(s) for s in listening}
        accepted = [s for s in sockets if s not in listening and _local_port(s) in ports]
        changed = 0
        for sock in listening + accepted:
            if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
        return changed
    finally:
        for sock in sockets:
            sock.close()
