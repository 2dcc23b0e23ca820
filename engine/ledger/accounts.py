"""The dashboard's accounts: one per person, with an argon2 password hash and the shops they see.

Kept in the ledger database (tables `ledger_users` and `ledger_user_shops`, created by a
migration), so the dashboard needs nothing beside the sync's own database. Only an e-mail
address, the hash and the shop names are stored: never a password, never order contents.
An administrator sees every configured shop; anyone else only the shops they were given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, Engine, MetaData, String, Table, delete, insert, select

from .database import reading, writing
from .ledger import Ledger
from .timestamps import Clock, UtcDateTime, utc_now

EMAIL_LENGTH = 254
MIN_PASSWORD = 8

metadata = MetaData()
users = Table(
    "ledger_users",
    metadata,
    Column("email", String(EMAIL_LENGTH), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("admin", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
user_shops = Table(
    "ledger_user_shops",
    metadata,
    Column("email", String(EMAIL_LENGTH), primary_key=True),
    Column("shop", String(100), primary_key=True),
)

_HASHER = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """A user that cannot be added as asked (bad e-mail address, password too short)."""


@dataclass(frozen=True)
class Account:
    """A person who may log in to the dashboard (the hash never leaves this module's callers)."""

    email: str
    admin: bool
    shops: tuple[str, ...]

    def may_see(self, shop: str) -> bool:
        """Whether this person was given `shop` (an administrator: every shop)."""
        return self.admin or shop in self.shops


def normal_email(email: str) -> str:
    """The address as stored: trimmed and lower-cased; refused when it is not an address."""
    text = email.strip().lower()
    if len(text) > EMAIL_LENGTH or "@" not in text or text.startswith("@") or text.endswith("@"):
        raise AccountError(f"{email.strip()!r} is not an e-mail address")
    return text


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (at least MIN_PASSWORD characters)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


class Accounts:
    """The accounts kept in a ledger's database."""

    def __init__(self, ledger: Ledger, *, clock: Clock = utc_now) -> None:
        # The ledger has already migrated its database, these tables included.
        self._engine: Engine = ledger._engine
        self._clock = clock

    def add(
        self, email: str, password: str, shops: Iterable[str], *, admin: bool = False
    ) -> Account:
        """Create the account, or replace the password, shops and admin flag of an existing one."""
        address = normal_email(email)
        digest = hash_password(password)
        wanted = tuple(sorted(set(shops)))
        now = self._clock()
        with writing(self._engine) as connection:
            found = connection.execute(
                select(users.c.email).where(users.c.email == address)
            ).first()
            values = {"password_hash": digest, "admin": admin, "updated_at": now}
            if found is None:
                connection.execute(insert(users).values(email=address, created_at=now, **values))
            else:
                connection.execute(users.update().where(users.c.email == address).values(**values))
            connection.execute(delete(user_shops).where(user_shops.c.email == address))
            for shop in wanted:
                connection.execute(insert(user_shops).values(email=address, shop=shop))
        return Account(address, admin, wanted)

    def get(self, email: str) -> Account | None:
        """The account of `email`, or None."""
        try:
            address = normal_email(email)
        except AccountError:
            return None
        with reading(self._engine) as connection:
            row = connection.execute(select(users.c.admin).where(users.c.email == address)).first()
            if row is None:
                return None
            shops = connection.execute(
                select(user_shops.c.shop)
                .where(user_shops.c.email == address)
                .order_by(user_shops.c.shop)
            ).scalars()
            return Account(address, bool(row.admin), tuple(shops))

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account when `password` is its password; None otherwise (unknown or wrong)."""
        try:
            address = normal_email(email)
        except AccountError:
            address = ""
        with reading(self._engine) as connection:
            digest = connection.execute(
                select(users.c.password_hash).where(users.c.email == address)
            ).scalar()
        try:
            _HASHER.verify(digest or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if digest is None:
            return None
        return self.get(address)
