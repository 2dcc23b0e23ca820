"""Keys entered in the dashboard (a shop's API key, an accounting system's access key), kept
encrypted in the ledger.

Each key is encrypted with Fernet (`cryptography`) under the key in $MAPPER_SECRET_KEY, which
lives in the environment, never in the database: a copy of the ledger alone reveals nothing.
What can be listed without decrypting is only which key was set, when and by whom; the value
leaves this module only as a `Secret`, whose repr and str never show it. Messages never hold a
key, the secret key or the ciphertext.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, delete, insert, select

from ...connectors.secret import Secret
from .database import reading, writing
from .errors import LedgerError
from .ledger import Ledger
from .tables import stored_secrets
from .timestamps import Clock, utc_now

KEY_VARIABLE = "MAPPER_SECRET_KEY"
SIDES = ("source", "target")
ORIGIN = "the dashboard"


class SecretKeyProblem(LedgerError):
    """$MAPPER_SECRET_KEY is missing, is no Fernet key, or is not the one the keys were
    stored with."""


@dataclass(frozen=True)
class StoredKey:
    """That a key was set, when and by whom: everything of it a page may show."""

    shop: str
    side: str
    name: str
    set_by: str
    set_at: datetime


def new_secret_key() -> str:
    """A fresh value for $MAPPER_SECRET_KEY."""
    return Fernet.generate_key().decode()


def _fernet(key: str | None) -> Fernet:
    if not key:
        raise SecretKeyProblem(
            f"{KEY_VARIABLE} is not set: keys entered in the dashboard cannot be stored or read "
            "without it (set it to a key made by `python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'`)"
        )
    try:
        return Fernet(key.encode())
    except ValueError:
        raise SecretKeyProblem(
            f"{KEY_VARIABLE} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None


class SecretStore:
    """The encrypted keys of a ledger's database. `key` defaults to $MAPPER_SECRET_KEY; it is
    only needed to store or read a value, not to list what was set."""

    def __init__(
        self,
        ledger: Ledger,
        key: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._engine: Engine = ledger._engine
        env = os.environ if environ is None else environ
        self._key = key if key is not None else env.get(KEY_VARIABLE)
        self._clock = clock

    def __repr__(self) -> str:
        return "SecretStore(<key hidden>)"

    def put(self, shop: str, side: str, name: str, value: str, set_by: str) -> StoredKey:
        """Store (or replace) the key `name` of the shop's `side` (source or target)."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}")
        token = _fernet(self._key).encrypt(value.encode()).decode()
        now = self._clock()
        where = (
            stored_secrets.c.shop == shop,
            stored_secrets.c.side == side,
            stored_secrets.c.name == name,
        )
        with writing(self._engine) as connection:
            connection.execute(delete(stored_secrets).where(*where))
            connection.execute(
                insert(stored_secrets).values(
                    shop=shop, side=side, name=name, ciphertext=token, set_by=set_by, set_at=now
                )
            )
        return StoredKey(shop, side, name, set_by, now)

    def listed(self, shop: str) -> list[StoredKey]:
        """Which keys of the shop were set, when and by whom (nothing is decrypted)."""
        query = (
            select(
                stored_secrets.c.side,
                stored_secrets.c.name,
                stored_secrets.c.set_by,
                stored_secrets.c.set_at,
            )
            .where(stored_secrets.c.shop == shop)
            .order_by(stored_secrets.c.side, stored_secrets.c.name)
        )
        with reading(self._engine) as connection:
            return [
                StoredKey(shop, row.side, row.name, row.set_by, row.set_at)
                for row in connection.execute(query)
            ]

    def secrets(self, shop: str) -> dict[str, dict[str, Secret]]:
        """The shop's keys by side and name, decrypted into Secrets; {} when none were set
        (then $MAPPER_SECRET_KEY is not needed)."""
        query = select(
            stored_secrets.c.side, stored_secrets.c.name, stored_secrets.c.ciphertext
        ).where(stored_secrets.c.shop == shop)
        with reading(self._engine) as connection:
            rows = list(connection.execute(query))
        if not rows:
            return {}
        fernet = _fernet(self._key)
        found: dict[str, dict[str, Secret]] = {}
        for row in rows:
            try:
                value = fernet.decrypt(row.ciphertext.encode()).decode()
            except InvalidToken:
                raise SecretKeyProblem(
                    f"the keys of shop {shop} stored in the ledger cannot be decrypted with "
                    f"{KEY_VARIABLE}: it is not the key they were stored with (enter the keys "
                    "again in the dashboard, or restore the old key)"
                ) from None
            found.setdefault(row.side, {})[row.name] = Secret(value, ORIGIN)
        return found
