"""A small reverse proxy with sticky sessions, for bench/load.py: 127.0.0.1 only.

python bench/proxy.py LISTEN_PORT BACKEND_PORT [BACKEND_PORT…]

A new browser is sent to the next instance in turn and gets a cookie naming it; every later
connection that carries the cookie (the WebSocket of its session, a reconnection) goes to the
same instance, as Streamlit's replication guide requires.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys

COOKIE = "cnfs_instance"
HEAD_LIMIT = 64 * 1024
_COOKIE_RE = re.compile(rb"(?im)^cookie:.*\b" + COOKIE.encode() + rb"=(\d+)")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


class Proxy:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_w.close()
            return
        match = _COOKIE_RE.search(head)
        chosen = int(match.group(1)) if match else None
        new = chosen is None or not 0 <= chosen < len(self.backends)
        if new:
            chosen = next(self._next)
        try:
            backend_r, backend_w = await asyncio.open_connection("127.0.0.1", self.backends[chosen])
        except OSError:
            client_w.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            client_w.close()
            return
        backend_w.write(head)
        if new:
            # Name the instance in the first response so the browser comes back to it.
            try:
                response_head = await backend_r.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                client_w.close()
                backend_w.close()
                return
            cookie = f"Set-Cookie: {COOKIE}={chosen}; Path=/; HttpOnly; SameSite=Strict\r\n"
            client_w.write(response_head[:-2] + cookie.encode() + b"\r\n")
        await asyncio.gather(_pipe(client_r, backend_w), _pipe(backend_r, client_w))


async def serve(listen: int, backends: list[int]) -> None:
    proxy = Proxy(backends)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", listen, limit=HEAD_LIMIT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    port, *ports = (int(a) for a in sys.argv[1:])
    asyncio.run(serve(port, ports))
