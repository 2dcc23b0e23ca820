"""Tokens a connector renews itself — Exact Online's OAuth pair, whose refresh token rotates on
every refresh — kept in the ledger so every pass and worker continues the same chain.

`ConnectorTokens(ledger, shop)` is the TokenStore the engine hands a connector whose adapter
says `keeps_tokens = True` (connectors/exact/tokens.py describes the protocol): `read` for the
current value, `locked` to hold the row while the connector refreshes — SQLite's BEGIN
IMMEDIATE, PostgreSQL's FOR UPDATE on the row — so a second worker waits and then reads the new
tokens instead of sending the dead refresh token. The value is Fernet-encrypted under
$MAPPER_SECRET_KEY (secret_store.py), never logged and never in a message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, Select, select, update

from .database import insert_if_absent, reading, writing
from .ledger import Ledger
from .secret_store import KEY_VARIABLE, SecretKeyProblem, _fernet
from .tables import connector_tokens
from .timestamps import Clock, utc_now


class TokenRow:
    """The row's value while it is held; `write` replaces it when the block ends."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.written = False

    def __repr__(self) -> str:
        return "TokenRow(<hidden>)"

    def write(self, value: str) -> None:
        self.value = value
        self.written = True


class ConnectorTokens:
    """The encrypted tokens of one shop's connectors."""

    def __init__(self, ledger: Ledger, shop: str, *, environ: Mapping[str, str] | None = None,
                 clock: Clock = utc_now) -> None:
        self._engine: Engine = ledger._engine
        self._shop = shop
        env = os.environ if environ is None else environ
        self._key = env.get(KEY_VARIABLE)
        self._clock = clock
        _fernet(self._key)  # SecretKeyProblem now, not in the middle of a pass

    def __repr__(self) -> str:
        return f"ConnectorTokens({self._shop!r}, <hidden>)"

    def read(self, name: str) -> str | None:
        with reading(self._engine) as connection:
            text = connection.execute(self._select(name)).scalar()
        return self._decrypt(text, name)

    @contextmanager
    def locked(self, name: str) -> Iterator[TokenRow]:
        fernet = _fernet(self._key)  # refused before anything is asked of the connector
        with writing(self._engine) as connection:
            insert_if_absent(connection, connector_tokens, {
                "shop": self._shop, "name": name, "ciphertext": "",
                "updated_at": self._clock()})
            text = connection.execute(self._select(name).with_for_update()).scalar()
            row = TokenRow(self._decrypt(text, name))
            yield row
            if row.written and row.value is not None:
                connection.execute(
                    update(connector_tokens)
                    .where(connector_tokens.c.shop == self._shop,
                           connector_tokens.c.name == name)
                    .values(ciphertext=fernet.encrypt(row.value.encode()).decode(),
                            updated_at=self._clock()))

    def _select(self, name: str) -> Select[Any]:
        return select(connector_tokens.c.ciphertext).where(
            connector_tokens.c.shop == self._shop, connector_tokens.c.name == name)

    def _decrypt(self, text: str | None, name: str) -> str | None:
        if not text:
            return None
        try:
            return _fernet(self._key).decrypt(text.encode()).decode()
        except InvalidToken:
            raise SecretKeyProblem(
                f"the {name} tokens of shop {self._shop} in the ledger cannot be decrypted with "
                f"{KEY_VARIABLE}: it is not the key they were stored with (restore the old key, "
                "or authorize again and set the target's refresh_token)") from None
