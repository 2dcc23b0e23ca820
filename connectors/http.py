"""What every httpx-based client shares: one TLS context, and closing its connection pool as a
context manager."""

from __future__ import annotations

import functools
import ssl
from types import TracebackType
from typing import Self

import httpx


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
