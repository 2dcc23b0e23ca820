"""A system failure of one shop's job, as the one line a person reads.

When a shop or an accounting system cannot be reached, refuses the credentials, is out of
calls or answers what it never sends, the job of that shop stops; what it already did stays
done, the order being handled stays where it was (a claimed order stays `sending`, for the next
pass to look up). `describe` words the connector's error for the shop owner: which shop, which
system, what went wrong and what to do — naming settings of mapper.yaml, never their secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ...connectors.errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
    QuotaExceededError,
    RejectedError,
    TransientError,
    connection_problem,
)
from ...connectors.secret import Secret
from .config import ShopConfig

# A message longer than this is cut (a system's answer can be a page of HTML).
MAX_PROBLEM = 400
NEXT_PASS = "the next pass tries again"


@dataclass(frozen=True)
class SystemFailure:
    """Why a shop's job stopped: `system` as configured (its `type`), `side` the section of
    mapper.yaml it is configured in (`source` or `target`)."""

    shop: str
    system: str
    side: str
    problem: str
    resolution: str

    def __str__(self) -> str:
        head = f"shop {self.shop}: {self.system}: {self.problem}"
        if self.problem.endswith(")"):  # never two bracketed parts in a row
            return f"{head}; {self.resolution}"
        return f"{head} ({self.resolution})"


def describe(error: ConnectorError, config: ShopConfig) -> SystemFailure:
    """The one-line account of `error`, raised by one of `config`'s systems."""
    side = _side(error, config)
    section: Mapping[str, Any] = config.source if side == "source" else config.target
    system = str(section.get("type") or error.system)
    where = f"mapper.yaml's {side} section"
    url = _shown_url(section.get("url"))
    message = _one_line(_scrubbed(error.message, config))
    reason = connection_problem(error)
    if isinstance(error, TransientError) and error.status is None and reason is not None:
        problem = f"cannot reach {url} ({reason})" if url else f"cannot connect ({reason})"
        resolution = f"check url in {where} and that {system} is up; {NEXT_PASS}"
    elif isinstance(error, QuotaExceededError):
        problem = f"out of calls: {message}"
        resolution = "the next pass goes on where this one stopped, once the limit is reset"
    elif isinstance(error, AuthenticationError):
        problem = f"access refused: {message}"
        resolution = f"check {_settings_named(message, section)} in {where}"
    elif isinstance(error, TransientError):
        problem = message
        resolution = NEXT_PASS
    elif isinstance(error, NotFoundError | ProtocolError):
        problem = f"unexpected answer: {message}" if isinstance(error, ProtocolError) else message
        named = _settings_in(message, section)
        setting = " and ".join(named) if named else "url"
        resolution = f"check {setting} in {where}"
        if setting == "url":
            resolution += f": it must be {system}'s own address"
    elif isinstance(error, RejectedError):
        problem = f"refused: {message}"
        resolution = f"check the settings in {where}"
    else:
        problem = message
        resolution = NEXT_PASS
    return SystemFailure(config.name, system, side, _cut(problem), resolution)


def _side(error: ConnectorError, config: ShopConfig) -> str:
    """The section of the system that raised `error` (connectors name themselves)."""
    system = error.system.lower()
    if system == str(config.source.get("type", "")).lower():
        return "source"
    if system == str(config.target.get("type", "")).lower():
        return "target"
    return "target"


def _settings_in(message: str, section: Mapping[str, Any]) -> list[str]:
    """Plain settings of the section whose value the message quotes (an administration id)."""
    text = message.lower()
    return [
        key
        for key, value in section.items()
        if key not in ("type", "url")
        and isinstance(value, str)
        and len(value) >= 3
        and value.lower() in text
    ]


def _settings_named(message: str, section: Mapping[str, Any]) -> str:
    """The settings to check when access is refused: the ones the message quotes, else the
    credentials (by the name of their setting, never their value)."""
    named = _settings_in(message, section) or [
        key for key, value in section.items() if isinstance(value, Secret)
    ]
    return " and ".join(named) if named else "the credentials"


def _shown_url(value: Any) -> str:
    """The configured address without any user:password in it."""
    if not isinstance(value, str) or not value:
        return ""
    parts = urlsplit(value)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _scrubbed(text: str, config: ShopConfig) -> str:
    for section in (config.source, config.target):
        for value in section.values():
            if isinstance(value, Secret) and value.reveal():
                text = text.replace(value.reveal(), "<secret>")
    return text


def _one_line(text: str) -> str:
    """On one line, without the full stops that would end it early ("a day.)" → "a day)")."""
    return " ".join(text.split()).replace(".)", ")").rstrip(".")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PROBLEM else text[: MAX_PROBLEM - 1].rstrip() + "…"
