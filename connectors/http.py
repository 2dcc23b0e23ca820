"""What every httpx-based client shares: one TLS context, closing its connection pool as a
context manager, the error an HTTP status means, and reading a JSON answer."""

from __future__ import annotations

import functools
import json
import ssl
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx

from .errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
    RejectedError,
    TransientError,
)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: building one loads the CA bundle (~70 ms a client)."""
    return httpx.create_ssl_context()


class HttpClient:
    """Mixin for clients that keep one `httpx.Client` in `self._http`."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def status_error(
    system: str,
    status: int,
    message: str,
    *,
    refused: str,
    forbidden: str | None = "access not permitted",
) -> ConnectorError:
    """The error an HTTP status of 400 or more means, once a system's own cases (429, its
    quirks) are taken: 401 credentials `refused`; 403 `forbidden` (None: a refusal like any other
    4xx); 404 not found; 5xx transient; any other a refusal of the request."""
    if status == 401:
        return AuthenticationError(system, f"{refused} ({message})", status=status)
    if status == 403 and forbidden is not None:
        return AuthenticationError(system, f"{forbidden} ({message})", status=status)
    if status == 404:
        return NotFoundError(system, message, status=status)
    if status >= 500:
        return TransientError(system, message, status=status)
    return RejectedError(system, message, status=status)


def json_answer(response: httpx.Response, system: str, problem: str, *, shown: int = 0) -> Any:
    """The answer's JSON, numbers with a fraction as Decimal (money digit for digit); else a
    ProtocolError saying `problem`, followed by the answer's first `shown` characters."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        message = problem
        if shown:
            message += f": {response.text[:shown].replace(chr(10), ' ')!r}"
        raise ProtocolError(system, message, status=response.status_code) from None
