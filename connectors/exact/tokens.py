"""Exact Online's OAuth 2 tokens: an access token living 10 minutes and a refresh token that
ROTATES — every refresh answers a new one and the old one dies (reference FORMATS.md §10).

The pair is kept in a `TokenStore` (the sync's ledger gives one, encrypted: engine/ledger/
connector_tokens.py) so every worker and every pass continues the same chain. A refresh happens
with the store's row held (`store.locked`): a second worker waits, then finds the fresh pair
instead of sending the dead refresh token. The configured refresh token only starts the
chain: once the store holds a pair started from it, the stored one is used; a different
configured token (the user authorized again) starts a new chain.

Fair use: an access token is refreshed 30 s before its 600 s are up, never earlier (Exact asks
for no refresh within 570 s), unless Exact answers 401. No token ever reaches a log or message.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx

from ..errors import AuthenticationError, ProtocolError, TransientError
from .errors import error_text

SYSTEM = "exact"
STORE_NAME = "exact-oauth"
MARGIN_SECONDS = 30.0


class TokenSlot(Protocol):
    """The stored text while the store's row is held; `write` replaces it on leaving."""

    value: str | None

    def write(self, value: str) -> None: ...


class TokenStore(Protocol):
    """Where the tokens are kept between passes and workers."""

    def read(self, name: str) -> str | None: ...

    def locked(self, name: str) -> AbstractContextManager[TokenSlot]: ...


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds
    seed: str  # fingerprint of the configured refresh token this chain started from

    def __repr__(self) -> str:
        return f"Tokens(expires_at={self.expires_at}, <hidden>)"

    def text(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at, "seed": self.seed})

    @classmethod
    def parse(cls, text: str | None) -> Tokens | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(str(data["access_token"]), str(data["refresh_token"]),
                       float(data["expires_at"]), str(data["seed"]))
        except (ValueError, KeyError, TypeError):
            return None


def fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class TokenKeeper:
    """Hands out a valid access token, refreshing it (once, for all workers) when it is due."""

    def __init__(
        self,
        store: TokenStore,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        http: httpx.Client,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._url = token_url
        self._form = {"client_id": client_id, "client_secret": client_secret}
        self._initial = refresh_token
        self._seed = fingerprint(refresh_token)
        self._http = http
        self._clock = clock
        self._current: Tokens | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenKeeper({self._url!r}, <tokens hidden>)"

    def access_token(self) -> str:
        """A token valid for at least MARGIN_SECONDS more."""
        with self._lock:
            if self._current is None or not self._fresh(self._current):
                stored = self._ours(self._store.read(STORE_NAME))
                self._current = stored if stored and self._fresh(stored) else None
            if self._current is None:
                self._current = self._refresh(stale=None)
            return self._current.access_token

    def refused(self, access_token: str) -> str:
        """Exact answered 401 to `access_token`: a new one (unless another worker has one)."""
        with self._lock:
            self._current = self._refresh(stale=access_token)
            return self._current.access_token

    def _fresh(self, tokens: Tokens) -> bool:
        return tokens.expires_at - MARGIN_SECONDS > self._clock()

    def _ours(self, text: str | None) -> Tokens | None:
        tokens = Tokens.parse(text)
        return tokens if tokens is not None and tokens.seed == self._seed else None

    def _refresh(self, stale: str | None) -> Tokens:
        with self._store.locked(STORE_NAME) as slot:
            stored = self._ours(slot.value)
            if stored and stored.access_token != stale and self._fresh(stored):
                return stored  # another worker refreshed while we waited for the row
            refresh = stored.refresh_token if stored else self._initial
            tokens = self._ask(refresh)
            slot.write(tokens.text())
            self.refreshes += 1
            return tokens

    def _ask(self, refresh_token: str) -> Tokens:
        form = {**self._form, "grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            response = self._http.post(self._url, data=form,
                                       headers={"Accept": "application/json"})
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"POST oauth2/token: no answer "
                                 f"({type(error).__name__})") from None
        if response.status_code in (400, 401):
            raise AuthenticationError(
                SYSTEM, "the refresh token was refused (POST oauth2/token: HTTP "
                f"{response.status_code}: {error_text(response.content, response.reason_phrase)}"
                "); authorize mapper again in Exact Online and set the target's refresh_token",
                status=response.status_code)
        if not response.is_success:
            raise TransientError(SYSTEM, f"POST oauth2/token: HTTP {response.status_code}",
                                 status=response.status_code)
        try:
            data = response.json()
            # expires_in is a string ("600") in Exact's answers
            return Tokens(str(data["access_token"]), str(data["refresh_token"]),
                          self._clock() + float(data["expires_in"]), self._seed)
        except (ValueError, KeyError, TypeError):
            raise ProtocolError(SYSTEM, "POST oauth2/token: not a token answer") from None


class MemoryTokenStore:
    """A TokenStore in memory: for tests and one-off tools that keep no ledger."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "MemoryTokenStore(<hidden>)"

    def read(self, name: str) -> str | None:
        return self.value

    @contextmanager
    def locked(self, name: str) -> Iterator[TokenSlot]:
        with self._lock:
            slot = _Slot(self.value)
            yield slot
            self.value = slot.value


class _Slot:
    def __init__(self, value: str | None) -> None:
        self.value = value

    def write(self, value: str) -> None:
        self.value = value
