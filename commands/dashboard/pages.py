"""One page of a shop's list (Reporting, Errors, Open), read by keyset.

A page continues after the last row of the one before (`after`, an opaque cursor of its
`updated_at` and order id), newest change first, on the ledger's index (shop, state,
updated_at, order_id): page 2,000 of a 100,000-order shop costs what page 1 costs, where
LIMIT/OFFSET would read and skip every row before it.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from ...engine.ledger import Ledger, OrderRecord, OrderState
from ...engine.ledger.database import reading
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


def _states(list_name: str) -> Collection[str]:
    return [OrderState(state).value for state in LISTS[list_name]]


def read_page(
    ledger: Ledger,
    shop: str,
    list_name: str,
    *,
    after: str = "",
    search: str = "",
    size: int = PAGE_SIZE,
) -> Page:
    """A page of `list_name` of `shop`; `search` keeps the orders whose number or id it is."""
    states = _states(list_name)
    counts = ledger.counts(shop)
    query = select(orders).where(orders.c.shop == shop, orders.c.state.in_(states))
    wanted = search.strip()
    if wanted:
        query = query.where(or_(orders.c.number == wanted, orders.c.order_id == wanted))
    position = decode_cursor(after) if after else None
    if position is not None:
        moment, order_id = position
        query = query.where(
            or_(
                orders.c.updated_at < moment,
                and_(orders.c.updated_at == moment, orders.c.order_id < order_id),
            )
        )
    query = query.order_by(orders.c.updated_at.desc(), orders.c.order_id.desc()).limit(size + 1)
    engine = ledger._engine  # the Ledger keeps its Engine private; this is a read of its table
    with reading(engine) as connection:
        rows = [to_record(row) for row in connection.execute(query)]
    shown = tuple(rows[:size])
    total = (
        len(rows)
        if wanted and position is None and len(rows) <= size
        else sum(counts.get(OrderState(state), 0) for state in states)
    )
    next_after = encode_cursor(shown[-1]) if len(rows) > size else None
    return Page(shown, total, next_after)
