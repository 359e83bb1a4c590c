"""A real SMTP server for tests (aiosmtpd, in a thread) and what it received, parsed."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def attachments(self) -> list[tuple[str, bytes]]:
        return [
            (part.get_filename(), part.get_content()) for part in self.message.iter_attachments()
        ]

    def link(self, path: str) -> str:
        """The first link of the body to this page."""
        found = re.search(rf"https?://\S+/{re.escape(path)}\?jeton=[A-Za-z0-9_-]+", self.body)
        assert found, f"pas de lien /{path} dans :\n{self.body}"
        return found.group(0)


@dataclass
class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def start_tls(self, tls_context, authenticator, *, implicit: bool = False) -> Mailbox:
        """Serve over TLS (implicit, or STARTTLS required) with AUTH allowed only under TLS."""
        tls = (
            {"ssl_context": tls_context}
            if implicit
            else {
                "tls_context": tls_context,
                "require_starttls": True,
            }
        )
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            # aiosmtpd does not count an implicit-TLS session as TLS: the socket is TLS anyway.
            auth_require_tls=not implicit,
            **tls,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """The portal's settings to send here (plain SMTP on the loopback, no credentials)."""
        return {
            "CNFS_SMTP_HOST": "127.0.0.1",
            "CNFS_SMTP_PORT": str(self.port),
            "CNFS_SMTP_SECURITY": "none",
            "CNFS_SMTP_TIMEOUT": "5",
            "CNFS_MAIL_FROM": "Portail CNFS <ne-pas-repondre@cnfs.exemple.fr>",
        }

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.envelope_to]

    def wait_for(self, address: str, subject_part: str, timeout_s: float = 20.0) -> Received:
        """The latest message to this address whose subject contains subject_part."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [r for r in self.to(address) if subject_part in r.subject]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"aucun courriel « {subject_part} » reçu pour {address}")
