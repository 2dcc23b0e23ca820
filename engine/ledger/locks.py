"""The shop lock: at most one sync pass per shop at a time, across processes and hosts.

A lock is a row in `ledger_shop_locks` with an owner, a random token and an expiry. Taking it is
one atomic statement: an INSERT when there is no row (the primary key stops a second), or an
UPDATE whose WHERE clause only matches an expired row, so a lock whose owner died is taken over
once its ttl has passed. A live pass keeps its lock with `refresh()`.

Expiry is measured on the database's clock (`dbclock.py`), read in the same transaction as the
statement that uses it: a worker whose clock runs minutes ahead cannot take a live lock over.

Fencing: every acquisition or takeover gives the lock a `generation` one higher than the last.
The ledger's writes on behalf of a pass (claims, marks) first check, in their own transaction,
that the lock row still has the pass's generation (`check_fence`); a pass whose lock was taken
over changes nothing and stops with `LockLost`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection

from .database import insert_if_absent, writing
from .dbclock import DatabaseClock
from .errors import LockLost, ShopLocked
from .tables import shop_locks

logger = logging.getLogger(__name__)


def default_owner() -> str:
    """Who holds a lock, as shown to a person: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ShopLock:
    """A held shop lock. Release it (or leave the `with` block) when the pass is done."""

    def __init__(
        self,
        engine: Engine,
        clock: DatabaseClock,
        *,
        shop: str,
        owner: str,
        token: str,
        ttl: timedelta,
        acquired_at: datetime,
        generation: int = 0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._token = token
        self.generation = generation
        self.shop = shop
        self.owner = owner
        self.ttl = ttl
        self.acquired_at = acquired_at
        self.expires_at = acquired_at + ttl
        self.released = False

    def __repr__(self) -> str:
        return f"ShopLock(shop={self.shop!r}, owner={self.owner!r}, expires_at={self.expires_at})"

    def refresh(self, ttl: timedelta | None = None) -> datetime:
        """Extend the lease to now + ttl; raise LockLost if another pass took the lock over."""
        lease = _positive(ttl if ttl is not None else self.ttl)
        with writing(self._engine) as connection:
            now = self._clock(connection)
            extended = connection.execute(
                update(shop_locks)
                .where(shop_locks.c.shop == self.shop, shop_locks.c.token == self._token)
                .values(expires_at=now + lease)
            )
        if extended.rowcount != 1:
            raise LockLost(self.shop, self.owner)
        self.ttl = lease
        self.expires_at = now + lease
        return self.expires_at

    def release(self) -> None:
        """Give the lock up. Releasing twice, or after a takeover, changes nothing."""
        if self.released:
            return
        # The row stays, ended and without owner: the generation must never go back, or a pass
        # that lost its lock long ago would pass the fence again.
        with writing(self._engine) as connection:
            deleted = connection.execute(
                update(shop_locks)
                .where(shop_locks.c.shop == self.shop, shop_locks.c.token == self._token)
                .values(owner="", token="", expires_at=shop_locks.c.acquired_at)
            )
        self.released = True
        if deleted.rowcount != 1:
            logger.warning(
                "the lock on shop %r held by %r had expired and was taken over before release",
                self.shop,
                self.owner,
            )

    def __enter__(self) -> ShopLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _positive(ttl: timedelta) -> timedelta:
    if ttl <= timedelta(0):
        raise ValueError("a lock's ttl must be positive")
    return ttl


def check_fence(connection: Connection, shop: str, generation: int) -> None:
    """Raise LockLost unless the shop's lock still has this generation. Called first in a write
    transaction: SQLite's BEGIN IMMEDIATE, PostgreSQL's FOR UPDATE on the lock row keep it so
    until the transaction ends, so a takeover cannot slip between the check and the writes."""
    row = connection.execute(
        select(shop_locks.c.generation, shop_locks.c.owner)
        .where(shop_locks.c.shop == shop)
        .with_for_update()
    ).first()
    if row is None or row.generation != generation:
        raise LockLost(shop, f"generation {generation}")


def acquire(
    engine: Engine, clock: DatabaseClock, shop: str, owner: str, ttl: timedelta
) -> ShopLock:
    """Take the shop's lock or raise ShopLocked naming who holds it and since when."""
    lease = _positive(ttl)
    token = secrets.token_hex(16)
    with writing(engine) as connection:
        now = clock(connection)
        generation = 1 + int(
            connection.execute(
                select(func.coalesce(func.max(shop_locks.c.generation), 0)).where(
                    shop_locks.c.shop == shop
                )
            ).scalar_one()
        )
        values = {
            "owner": owner,
            "token": token,
            "acquired_at": now,
            "expires_at": now + lease,
            "generation": generation,
        }
        # Two turns: on PostgreSQL the holder seen by a failed INSERT may release before we read it.
        for _ in range(2):
            holder = connection.execute(select(shop_locks).where(shop_locks.c.shop == shop)).first()
            if holder is None:
                if insert_if_absent(connection, shop_locks, {"shop": shop, **values}):
                    break
                continue
            taken_over = connection.execute(
                update(shop_locks)
                .where(shop_locks.c.shop == shop, shop_locks.c.expires_at <= now)
                .values(**{**values, "generation": shop_locks.c.generation + 1})
            )
            if taken_over.rowcount == 1 and holder.owner:
                logger.warning(
                    "took over the lock on shop %r from %r: it expired at %s",
                    shop,
                    holder.owner,
                    holder.expires_at,
                )
            if taken_over.rowcount == 1:
                break
            raise ShopLocked(shop, holder.owner, holder.acquired_at, holder.expires_at)
        else:
            raise ShopLocked(shop, "another pass", now, now + lease)
        generation = int(
            connection.execute(
                select(shop_locks.c.generation).where(
                    shop_locks.c.shop == shop, shop_locks.c.token == token
                )
            ).scalar_one()
        )
    return ShopLock(
        engine,
        clock,
        shop=shop,
        owner=owner,
        token=token,
        ttl=lease,
        acquired_at=now,
        generation=generation,
    )


def break_lock(engine: Engine, shop: str) -> bool:
    """End the shop's lease now (an operator who knows its holder is dead): the next pass takes
    it over at once, with the next generation, so the old holder can change nothing more."""
    with writing(engine) as connection:
        ended = connection.execute(
            update(shop_locks)
            .where(shop_locks.c.shop == shop)
            .values(expires_at=shop_locks.c.acquired_at)
        )
    return ended.rowcount == 1
