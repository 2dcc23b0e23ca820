"""One page of a shop's list (Reporting, Errors, Open), read by keyset, and its date filter.

A page continues after the last row of the one before (`after`, an opaque cursor of its
`updated_at` and order id), newest change first, on the ledger's index (shop, state,
updated_at, order_id): page 2,000 of a 100,000-order shop costs what page 1 costs, where
LIMIT/OFFSET would read and skip every row before it. The date filter (`since`, `until`,
whole UTC days, both included) is on the date each list shows last (sent, failed or seen
since: `updated_at`), so it is a range of that same index and paging holds under it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all

from ...engine.ledger import Ledger, OrderRecord, OrderState
from ...engine.ledger.database import reading
from ...engine.ledger.listing import matching
from ...engine.ledger.orders import to_record
from ...engine.ledger.tables import orders
from ...engine.sync.lists import LISTS

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """The rows shown, the total of the list, and the cursor of the next page (None: last)."""

    rows: tuple[OrderRecord, ...]
    total: int
    next_after: str | None


def encode_cursor(record: OrderRecord) -> str:
    text = f"{record.updated_at.isoformat()}|{record.order_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The (updated_at, order id) of a cursor; None when it is not one (then: the first page)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, order_id = text.split("|", 1)
        return datetime.fromisoformat(moment), order_id
    except (ValueError, UnicodeDecodeError):
        return None


def _states(list_name: str) -> list[str]:
    return [OrderState(state).value for state in LISTS[list_name]]


def read_page(
    ledger: Ledger,
    shop: str,
    list_name: str,
    *,
    after: str = "",
    search: str = "",
    since: date | None = None,
    until: date | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A page of `list_name` of `shop`; `search` keeps the orders whose number or id it is,
    `since`/`until` those whose last change fell on those days (UTC)."""
    states = _states(list_name)
    position = decode_cursor(after) if after else None
    engine = ledger._engine  # the Ledger keeps its Engine private; this is a read of its table
    wanted = search.strip()
    if wanted:
        found = [
            record
            for record in matching(engine, shop, wanted)
            if record.state.value in states and _within(record.updated_at, since, until)
        ]
        return _searched(found, position, size)
    dated = _dated(since, until)
    with reading(engine) as connection:
        rows = [
            to_record(row)
            for row in connection.execute(_newest(shop, states, dated, position, size))
        ]
        counted = select(func.count()).where(
            orders.c.shop == shop, orders.c.state.in_(states), *dated
        )
        total = int(connection.execute(counted).scalar() or 0)
    shown = tuple(rows[:size])
    next_after = encode_cursor(shown[-1]) if len(rows) > size else None
    return Page(shown, total, next_after)


def _dated(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    dated = []
    if since is not None:
        dated.append(orders.c.updated_at >= _day_start(since))
    if until is not None:
        dated.append(orders.c.updated_at < _day_start(until + timedelta(days=1)))
    return dated


def _newest(
    shop: str,
    states: Sequence[str],
    dated: list[ColumnElement[bool]],
    position: tuple[datetime, str] | None,
    size: int,
) -> Select[Any]:
    """The next `size + 1` rows, newest first. One ordered range of the index per state, the
    states' ranges merged: `state IN (...)` with ORDER BY would have the database sort every
    row of those states (5,000 failed orders) for each page."""
    where = [orders.c.shop == shop, *dated]
    if position is not None:
        moment, order_id = position
        where.append(
            or_(
                orders.c.updated_at < moment,
                and_(orders.c.updated_at == moment, orders.c.order_id < order_id),
            )
        )
    newest = (orders.c.updated_at.desc(), orders.c.order_id.desc())
    parts = [
        select(orders).where(*where, orders.c.state == state).order_by(*newest).limit(size + 1)
        for state in states
    ]
    if len(parts) == 1:
        return parts[0]
    merged = union_all(*(select(part.subquery()) for part in parts)).subquery()
    return (
        select(merged)
        .order_by(merged.c.updated_at.desc(), merged.c.order_id.desc())
        .limit(size + 1)
    )


def _searched(found: list[OrderRecord], position: tuple[datetime, str] | None, size: int) -> Page:
    """A page of the few orders a search found (read by the (shop, number) index and the
    primary key, never by scanning the list), in the list's order."""
    found.sort(key=lambda record: (record.updated_at, record.order_id), reverse=True)
    total = len(found)
    if position is not None:
        found = [record for record in found if (record.updated_at, record.order_id) < position]
    shown = tuple(found[:size])
    next_after = encode_cursor(shown[-1]) if len(found) > size else None
    return Page(shown, total, next_after)


def _within(moment: datetime, since: date | None, until: date | None) -> bool:
    if since is not None and moment < _day_start(since):
        return False
    return until is None or moment < _day_start(until + timedelta(days=1))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def parse_day(text: str) -> date | None:
    """A date filter's `2026-03-02`; None when empty or not a date (then: no filter)."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None
