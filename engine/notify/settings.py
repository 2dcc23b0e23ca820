"""The `notify:` section of a shop in mapper.yaml, as typed settings.

The schema (schemas/config.schema.json, `$defs/notify`) has already checked the keys and kinds;
`engine.sync.config` has resolved the `{env:}` / `{secret:}` references into `Secret` values.
What is left here is giving every value its type and default. The SMTP password and the webhook
secret are always `Secret`s; the webhook URL may be one too (many services put a token in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ...connectors.secret import Secret

DEFAULT_TIMEOUT = 10.0
DEFAULT_ATTEMPTS = 4
DIGEST_AT = dt.time(8, 0)  # the daily digest, local time


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to mail: the SMTP server, its login (if any), sender and recipients."""

    host: str
    sender: str
    to: tuple[str, ...]
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS

    @property
    def label(self) -> str:
        """What a log line may say of this channel."""
        return f"e-mail via {self.host}:{self.port}"


@dataclass(frozen=True)
class WebhookSettings:
    """Where to post, and the key the body's HMAC-SHA256 signature is made with."""

    url: str | Secret = field(repr=False)
    secret: Secret = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS

    @property
    def address(self) -> str:
        return self.url.reveal() if isinstance(self.url, Secret) else self.url

    @property
    def label(self) -> str:
        """What a log line may say of this channel: the host only (the path may hold a
        token), or where the URL came from."""
        if isinstance(self.url, Secret):
            return f"webhook (URL from {self.url.origin or 'a secret'})"
        return f"webhook to {urlsplit(self.url).hostname or 'its host'}"


@dataclass(frozen=True)
class NotifySettings:
    """The channels of one shop (one or both) and whether it gets the daily digest, when."""

    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    digest: bool = False
    digest_at: dt.time = DIGEST_AT  # local time

    def secrets(self) -> list[Secret]:
        """Every credential of the channels, so a message can be scrubbed of them."""
        found: list[Secret] = []
        if self.email is not None and self.email.password is not None:
            found.append(self.email.password)
        if self.webhook is not None:
            found.append(self.webhook.secret)
            if isinstance(self.webhook.url, Secret):
                found.append(self.webhook.url)
        return found


def notify_settings(
    section: Mapping[str, Any],
    email: Mapping[str, Any] | None,
    webhook: Mapping[str, Any] | None,
) -> NotifySettings:
    """`section` as written; `email` and `webhook` its sub-sections with references resolved
    (None when absent or when a reference could not be resolved: the caller reports that)."""
    return NotifySettings(
        email=_email(email) if email is not None else None,
        webhook=_webhook(webhook) if webhook is not None else None,
        digest=bool(section.get("digest", False)),
        digest_at=dt.time.fromisoformat(str(section["digest_at"]))
        if "digest_at" in section
        else DIGEST_AT,
    )


def _email(values: Mapping[str, Any]) -> EmailSettings:
    to = values.get("to", [])
    password = values.get("password")
    return EmailSettings(
        host=str(values["host"]),
        sender=str(values["from"]),
        to=(to,) if isinstance(to, str) else tuple(str(t) for t in to),
        port=int(values.get("port", 587)),
        starttls=bool(values.get("starttls", True)),
        username=str(values["username"]) if "username" in values else None,
        password=password if isinstance(password, Secret) else None,
        timeout=float(values.get("timeout_seconds", DEFAULT_TIMEOUT)),
        attempts=int(values.get("attempts", DEFAULT_ATTEMPTS)),
    )


def _webhook(values: Mapping[str, Any]) -> WebhookSettings | None:
    secret = values.get("secret")
    url = values.get("url")
    if not isinstance(secret, Secret) or not isinstance(url, str | Secret):
        return None  # an unresolved reference, already reported
    return WebhookSettings(
        url=url,
        secret=secret,
        timeout=float(values.get("timeout_seconds", DEFAULT_TIMEOUT)),
        attempts=int(values.get("attempts", DEFAULT_ATTEMPTS)),
    )
