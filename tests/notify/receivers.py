"""The two ends a notification reaches, on loopback: an SMTP server (aiosmtpd, with a login)
and a webhook receiver over real HTTP that checks the signature itself — written here from
the documented scheme, not with mapper's own `verify`, so a wrong signature fails the test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from mapper.connectors.simulation import Reply, Request, Simulator

SMTP_USER = "mapper@shop.example"
SMTP_PASSWORD = "smtp-pw-7d2f91c4"
WEBHOOK_SECRET = "whsec-5b8e0a3c19f4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server received: one (envelope recipients, parsed message) per mail."""

    mails: list[tuple[list[str], Message]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 Message accepted for delivery"


class _Login:
    """Accepts SMTP_USER with SMTP_PASSWORD only."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self.mailbox.logins.append((user, password))
        # handled=False: aiosmtpd answers (235, or 535 when refused)
        return AuthResult(success=(user, password) == (SMTP_USER, SMTP_PASSWORD), handled=False)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on a free loopback port that asks for a login (over plain text: it is
    loopback) and keeps every mail."""
    mailbox = Mailbox()
    port = free_port()
    # aiosmtpd warns of a login without TLS, rightly: here it is loopback
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_Login(mailbox),
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield SmtpServer(port, mailbox)
    finally:
        controller.stop()


def text_of(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = payload.decode(mail.get_content_charset() or "utf-8")
    return text.replace("\r\n", "\n")  # SMTP's line ends


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver(Simulator):
    """Answers each POST with the next of `statuses` (then 200), keeping what came and
    whether its signature held: HMAC-SHA256 of `<timestamp>.<body>` with WEBHOOK_SECRET, and a
    timestamp within five minutes of now."""

    name = "webhook-receiver"

    def __init__(self, statuses: list[int] | None = None, secret: str = WEBHOOK_SECRET) -> None:
        super().__init__()
        self.statuses = list(statuses or [])
        self.secret = secret
        self.received: list[Received] = []
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        timestamp = request.headers.get("x-mapper-timestamp", "")
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
        ).hexdigest()
        signed = (
            request.method == "POST"
            and request.headers.get("x-mapper-signature") == f"sha256={expected}"
            and timestamp.isdigit()
            and abs(time.time() - int(timestamp)) < 300
        )
        with self._lock:
            self.received.append(Received(dict(request.headers), request.body, signed))
            status = self.statuses.pop(0) if self.statuses else 200
        if not signed:
            status = 401
        headers = {"Content-Type": "text/plain"}
        if status == 429:
            headers["Retry-After"] = "2"
        return Reply(status, b"ok" if status == 200 else b"no", headers)

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hooks/mapper"


def notify_section(smtp_port: int, webhook_url: str) -> dict[str, Any]:
    """`notify:` of mapper.yaml over both receivers; the password and secret by reference."""
    return {
        "email": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "starttls": False,
            "username": SMTP_USER,
            "password": {"env": "MAPPER_TEST_SMTP_PASSWORD"},
            "from": SMTP_USER,
            "to": ["owner@shop.example", "books@shop.example"],
            "timeout_seconds": 5,
        },
        "webhook": {
            "url": webhook_url,
            "secret": {"secret": "webhook"},
            "timeout_seconds": 5,
        },
    }


NOTIFY_ENV = {"MAPPER_TEST_SMTP_PASSWORD": SMTP_PASSWORD}
SECRETS_LINE = f"webhook: {WEBHOOK_SECRET}\n"
