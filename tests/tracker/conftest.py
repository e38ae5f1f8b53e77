"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, and can refuse."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Sink:
    """What the SMTP server accepted; set ``refuse`` to answer the next N messages with 451."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the same messages, as received
    peers: set[Any] = field(default_factory=set)  # one per SMTP connection that sent mail
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)  # MAIL FROM, RCPT TO
    refuse: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.peers.add(session.peer)
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
            self.raw.append(envelope.original_content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


def body(message: email.message.EmailMessage, kind: str = "plain") -> str:
    """The text or HTML body of a received message."""
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return str(part.get_content())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which can go down and come back up."""

    def __init__(self, sink: Sink) -> None:
        self.sink, self.port = sink, free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        # A stopped Controller cannot start again: a new one takes the same port.
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(Sink())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # EMAIL_URL=smtp://…
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink(smtp: SmtpServer) -> Sink:
    return smtp.sink
