"""The shop lock: at most one sync pass per shop at a time, across processes and hosts.

A lock is a row in `ledger_shop_locks` with an owner, a random token and an expiry. Taking it is
one atomic statement: an INSERT when there is no row (the primary key stops a second), or an
UPDATE whose WHERE clause only matches an expired row, so a lock whose owner died is taken over
once its ttl has passed. A live pass keeps its lock with `refresh()`. Expiry compares wall
clocks, so the hosts sharing a database need roughly synchronised clocks (NTP).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, delete, select, update

from .database import insert_if_absent, writing
from .errors import LockLost, ShopLocked
from .tables import shop_locks
from .timestamps import Clock

logger = logging.getLogger(__name__)


def default_owner() -> str:
    """Who holds a lock, as shown to a person: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ShopLock:
    """A held shop lock. Release it (or leave the `with` block) when the pass is done."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        shop: str,
        owner: str,
        token: str,
        ttl: timedelta,
        acquired_at: datetime,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._token = token
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
        now = self._clock()
        with writing(self._engine) as connection:
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
        with writing(self._engine) as connection:
            deleted = connection.execute(
                delete(shop_locks).where(
                    shop_locks.c.shop == self.shop, shop_locks.c.token == self._token
                )
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


def acquire(engine: Engine, clock: Clock, shop: str, owner: str, ttl: timedelta) -> ShopLock:
    """Take the shop's lock or raise ShopLocked naming who holds it and since when."""
    lease = _positive(ttl)
    token = secrets.token_hex(16)
    now = clock()
    values = {"owner": owner, "token": token, "acquired_at": now, "expires_at": now + lease}
    with writing(engine) as connection:
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
                .values(**values)
            )
            if taken_over.rowcount == 1:
                logger.warning(
                    "took over the lock on shop %r from %r: it expired at %s",
                    shop,
                    holder.owner,
                    holder.expires_at,
                )
                break
            raise ShopLocked(shop, holder.owner, holder.acquired_at, holder.expires_at)
        else:
            raise ShopLocked(shop, "another pass", now, now + lease)
    return ShopLock(engine, clock, shop=shop, owner=owner, token=token, ttl=lease, acquired_at=now)
