"""Per-shop progress: the fetch cursor (which only moves forward) and backfill progress; and
the system failure last told to the shop's notification channels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from .database import insert_if_absent
from .records import BackfillProgress, FailureTold
from .tables import shops


def get_cursor(connection: Connection, shop: str) -> datetime | None:
    value: datetime | None = connection.execute(
        select(shops.c.fetch_cursor).where(shops.c.shop == shop)
    ).scalar()
    return value


def set_cursor(connection: Connection, now: datetime, shop: str, value: datetime) -> datetime:
    """Move the cursor to `value` unless it is already later; return where the cursor is."""
    for _ in range(2):
        moved = connection.execute(
            update(shops)
            .where(
                shops.c.shop == shop,
                or_(shops.c.fetch_cursor.is_(None), shops.c.fetch_cursor < value),
            )
            .values(fetch_cursor=value, updated_at=now)
        )
        if moved.rowcount == 1:
            return value
        current = connection.execute(
            select(shops.c.fetch_cursor).where(shops.c.shop == shop)
        ).first()
        if current is not None:
            kept: datetime = current.fetch_cursor
            return kept
        if insert_if_absent(
            connection, shops, {"shop": shop, "fetch_cursor": value, "updated_at": now}
        ):
            return value
        # Another worker created the shop's row meanwhile: compare against it on the second turn.
    raise AssertionError("unreachable: the shop row exists after a failed insert")


def get_backfill(connection: Connection, shop: str) -> BackfillProgress | None:
    row = connection.execute(select(shops).where(shops.c.shop == shop)).first()
    if row is None or row.backfill_since is None or row.backfill_until is None:
        return None
    return BackfillProgress(
        since=row.backfill_since,
        until=row.backfill_until,
        position=row.backfill_position,
        updated_at=row.updated_at,
    )


def set_backfill(
    connection: Connection,
    now: datetime,
    shop: str,
    since: datetime | None,
    until: datetime | None,
    position: datetime | None,
) -> None:
    values = {
        "backfill_since": since,
        "backfill_until": until,
        "backfill_position": position,
        "updated_at": now,
    }
    _update_or_insert(connection, shop, values)


def get_failure_told(connection: Connection, shop: str) -> FailureTold | None:
    row = connection.execute(
        select(shops.c.failure_told, shops.c.failure_told_at).where(shops.c.shop == shop)
    ).first()
    if row is None or row.failure_told is None or row.failure_told_at is None:
        return None
    return FailureTold(row.failure_told, row.failure_told_at)


def set_failure_told(
    connection: Connection, now: datetime, shop: str, failure: str | None
) -> None:
    values = {
        "failure_told": failure,
        "failure_told_at": None if failure is None else now,
        "updated_at": now,
    }
    _update_or_insert(connection, shop, values)


def _update_or_insert(connection: Connection, shop: str, values: Mapping[str, object]) -> None:
    """Set `values` on the shop's row, made if the shop has none yet."""
    changed = connection.execute(update(shops).where(shops.c.shop == shop).values(**values))
    if changed.rowcount == 1:
        return
    if not insert_if_absent(connection, shops, {"shop": shop, **values}):
        # Another worker made the row meanwhile.
        connection.execute(update(shops).where(shops.c.shop == shop).values(**values))
