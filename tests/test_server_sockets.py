"""The web server's sockets send each message at once (core.server_sockets).

Streamlit binds its listening socket with proto 0, so asyncio leaves Nagle's algorithm on for
every connection it accepts: a rerun's messages waited for the peer's acknowledgement (40 ms for
the benches' client, back to back). These tests build that same kind of socket.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys

import pytest

from core.server_sockets import set_nodelay_on_server_sockets

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="core.server_sockets lit /proc/self/fd, propre à Linux",
)


def nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture
def streamlit_like_listener():
    listener = socket.socket(family=socket.AF_INET)  # as Streamlit's _bind_socket: proto 0
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener
    listener.close()


def test_the_listener_and_the_connections_it_accepted_send_at_once(streamlit_like_listener):
    browser = socket.create_connection(streamlit_like_listener.getsockname())
    accepted, _ = streamlit_like_listener.accept()
    browser.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    assert not nodelay(streamlit_like_listener) and not nodelay(accepted)

    assert set_nodelay_on_server_sockets() >= 2

    assert nodelay(streamlit_like_listener)
    assert nodelay(accepted)
    # A connection this process opened to someone else's port is not the server's to change.
    assert not nodelay(browser)
    # Later connections inherit the listener's setting: one call at start is enough.
    later_browser = socket.create_connection(streamlit_like_listener.getsockname())
    later, _ = streamlit_like_listener.accept()
    assert nodelay(later)
    for sock in (browser, accepted, later_browser, later):
        sock.close()


def test_every_socket_stays_open_and_a_second_call_changes_nothing(streamlit_like_listener):
    set_nodelay_on_server_sockets()
    assert set_nodelay_on_server_sockets() == 0
    # The listener still accepts: the scan closed its own duplicates only.
    browser = socket.create_connection(streamlit_like_listener.getsockname())
    accepted, _ = streamlit_like_listener.accept()
    browser.sendall(b"ok")
    assert accepted.recv(2) == b"ok"
    browser.close()
    accepted.close()


def test_without_proc_nothing_is_done(monkeypatch, tmp_path, streamlit_like_listener):
    monkeypatch.setattr("core.server_sockets.PROC_FDS", tmp_path / "absent")
    assert set_nodelay_on_server_sockets() == 0
    assert not nodelay(streamlit_like_listener)


def _other_process(path, statement: str) -> list[str]:
    """Another process on the same SQLite file (`python -m core users add`, a second instance)."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "rows = c.execute(sys.argv[2]).fetchall(); c.commit(); c.close(); "
        "print('\\n'.join(r[0] for r in rows))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), statement],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def test_a_sqlite_write_of_the_server_reaches_other_processes_after_the_sockets_are_tuned(
    tmp_path,
):
    """POSIX locks belong to the process and fall as soon as any descriptor of the file is
    closed: looking at a database file through a duplicate made the next process to close
    the database believe it was the last, delete the write-ahead log, and every later write of
    the server went to the deleted file, seen by no other process (the e2e suite saw it as
    « disk I/O error » once the warm-up opened the database before the first run)."""
    path = tmp_path / "cnfs.sqlite3"
    server_side = sqlite3.connect(path)
    server_side.execute("PRAGMA journal_mode=WAL")
    server_side.execute("CREATE TABLE users (email TEXT)")
    server_side.commit()
    server_side.execute("SELECT * FROM users").fetchall()

    set_nodelay_on_server_sockets()
    _other_process(path, "INSERT INTO users VALUES ('pref13@bouches-du-rhone.gouv.fr')")
    server_side.execute("INSERT INTO users VALUES ('mairie@demo.cnfs.fr')")
    server_side.commit()

    seen = _other_process(path, "SELECT email FROM users ORDER BY email")
    server_side.close()
    assert seen == ["mairie@demo.cnfs.fr", "pref13@bouches-du-rhone.gouv.fr"]
