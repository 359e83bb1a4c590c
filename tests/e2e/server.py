"""Start and stop `streamlit run streamlit_app.py` on a free 127.0.0.1 port, for browser tests."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.mailbox import Mailbox

REPO = Path(__file__).resolve().parents[2]
# Both CNFS calls are open on that day (wave 2 opens on 1 February 2021): dates stay stable.
PINNED_TODAY = "2021-02-10"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(
    *,
    database_url: str,
    data_dir: Path,
    cookie_key: str,
    demo: bool = False,
    base_url: str = "",
    mail: Mailbox | None = None,
    today: str = PINNED_TODAY,
) -> dict[str, str]:
    """Environment of a test instance: its own database, a pinned date, a strong cookie key;
    links in mails point at the instance, sent to `mail` (else kept in the outbox)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CNFS_", "STREAMLIT_"))}
    env.update(
        CNFS_DATABASE_URL=database_url,
        CNFS_DATA_DIR=str(data_dir),
        CNFS_DEMO="1" if demo else "0",
        CNFS_COOKIE_KEY=cookie_key,
        CNFS_TODAY=today,
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        PYTHONUNBUFFERED="1",
    )
    if base_url:
        env["CNFS_BASE_URL"] = base_url
    if mail is not None:
        env.update(mail.env())
    return env


@dataclass
class StreamlitServer:
    """One `streamlit run` process; start() waits until it serves, stop() ends it."""

    database_url: str
    data_dir: Path
    cookie_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    demo: bool = False
    mail: Mailbox | None = None  # the SMTP server it sends to (None: mails stay in the outbox)
    script: str = "streamlit_app.py"
    today: str = PINNED_TODAY  # e.g. a day of the Département 93 AMI's deposit period
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return server_env(
            database_url=self.database_url,
            data_dir=self.data_dir,
            cookie_key=self.cookie_key,
            demo=self.demo,
            base_url=self.url if self.port else "",
            mail=self.mail,
            today=self.today,
        )

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"streamlit-{self.port}.log"

    def start(self, *, port: int = 0) -> StreamlitServer:
        """Launch the server (on `port`, e.g. to restart it) and wait until it serves."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                self.script,
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends it and its children
        )
        log.close()
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"streamlit s'est arrêté au démarrage :\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit muet après {START_TIMEOUT_S} s :\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(pas de journal)"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """End the server's process group (SIGTERM, or SIGKILL to simulate a crash)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash or an OOM kill."""
        self.stop(signal.SIGKILL)

    def add_user(
        self,
        *,
        email: str,
        name: str,
        password: str,
        role: str = "reviewer",
        departments: str | None = None,
        calls: str | None = None,
    ) -> None:
        """Create an account with the documented command (`python -m core users add`);
        a reviewer reads the CNFS calls unless calls says otherwise."""
        if role == "reviewer" and calls is None:
            calls = "cnfs-2020-collectivites,cnfs-2021-structures-privees"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "core",
                "users",
                "add",
                "--role",
                role,
                "--email",
                email,
                "--name",
                name,
                "--password-stdin",
                *(["--departments", departments] if departments else []),
                *(["--calls", calls] if calls else []),
            ],
            cwd=REPO,
            env=self.env,
            input=(password + "\n").encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode(errors="replace"))
