"""The session cookie: a signed, time-limited JSON value holding who is logged in and the CSRF
token of the session (and a one-shot message for the next page).

The cookie is HttpOnly and SameSite=Lax, and Secure when the request came over TLS (directly or
through a proxy uvicorn trusts). Its signature (itsdangerous) makes it tamper-proof; it holds
no secret and no order data.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "mapper_session"
MAX_AGE = 8 * 3600  # a working day; then log in again


class Sessions:
    """Reads and writes the session cookie with one signing key."""

    def __init__(self, key: str, max_age: int = MAX_AGE) -> None:
        self._signer = TimestampSigner(key, salt="mapper-dashboard-session")
        self.max_age = max_age

    def load(self, request: Request) -> dict[str, Any]:
        """The session's data; empty when there is none, it was tampered with or expired."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            text = self._signer.unsign(raw, max_age=self.max_age)
            data = json.loads(text)
        except (BadSignature, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, request: Request, response: Response, data: dict[str, Any]) -> None:
        """Set the cookie to `data` (an empty dict removes it)."""
        secure = request.url.scheme == "https"
        if not data:
            response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
            return
        value = self._signer.sign(json.dumps(data, separators=(",", ":"))).decode()
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )


def new_token() -> str:
    """A fresh CSRF token."""
    return secrets.token_urlsafe(32)


def same_token(given: object, expected: object) -> bool:
    """Whether the form's token is the session's, compared in constant time."""
    return (
        isinstance(given, str)
        and isinstance(expected, str)
        and bool(expected)
        and secrets.compare_digest(given, expected)
    )
