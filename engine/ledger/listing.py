"""Streaming the Reporting / Errors / Open lists and the ids to re-check, without a cap.

Lists are read in pages by keyset (continue after the last row seen), each page in its own short
read transaction: no transaction stays open while the caller works through an order, a list of
any length costs the same per row, and rows the caller changes meanwhile are not read twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, or_, select, true

from .database import reading
from .orders import to_record
from .records import OrderRecord, OrderState
from .tables import orders

PAGE_SIZE = 500

States = OrderState | Collection[OrderState] | None


def _state_filter(states: States) -> list[str] | None:
    if states is None:
        return None
    if isinstance(states, str):
        return [OrderState(states).value]
    return [OrderState(state).value for state in states]


def list_orders(
    engine: Engine,
    shop: str | None,
    states: States,
    limit: int | None,
) -> Iterator[OrderRecord]:
    """Newest change first (so Reporting shows the latest invoices on top); ties by shop, id."""
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")
    wanted = _state_filter(states)
    base = select(orders)
    if shop is not None:
        base = base.where(orders.c.shop == shop)
    if wanted is not None:
        base = base.where(orders.c.state.in_(wanted))
    base = base.order_by(orders.c.updated_at.desc(), orders.c.shop.desc(), orders.c.order_id.desc())
    remaining = limit
    last: OrderRecord | None = None
    while remaining is None or remaining > 0:
        size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
        query = base if last is None else base.where(_older_than(last))
        page = _page(engine, query.limit(size))
        yield from page
        if len(page) < size:
            return
        last = page[-1]
        if remaining is not None:
            remaining -= len(page)


def _older_than(last: OrderRecord) -> ColumnElement[bool]:
    # The leading `<=` alone lets the database seek in the index; the rest breaks the tie.
    return and_(
        orders.c.updated_at <= last.updated_at,
        or_(
            orders.c.updated_at < last.updated_at,
            orders.c.shop < last.shop,
            and_(orders.c.shop == last.shop, orders.c.order_id < last.order_id),
        ),
    )


def _page(engine: Engine, query: Select[Any]) -> list[OrderRecord]:
    with reading(engine) as connection:
        return [to_record(row) for row in connection.execute(query)]


def order_ids(
    engine: Engine,
    shop: str,
    state: OrderState,
    *,
    reprocess_requested: bool | None = None,
) -> Iterator[str]:
    """Ids of the shop's orders in `state`, in id order (as text)."""
    condition: ColumnElement[bool] = true()
    if reprocess_requested is not None:
        condition = orders.c.reprocess_requested == reprocess_requested
    base = (
        select(orders.c.order_id)
        .where(orders.c.shop == shop, orders.c.state == state.value, condition)
        .order_by(orders.c.order_id)
    )
    page_size = PAGE_SIZE
    last: str | None = None
    while True:
        query = (base if last is None else base.where(orders.c.order_id > last)).limit(page_size)
        with reading(engine) as connection:
            page = list(connection.execute(query).scalars())
        yield from page
        if len(page) < page_size:
            return
        last = page[-1]


def matching(engine: Engine, shop: str, reference: str) -> list[OrderRecord]:
    """The shop's orders whose id or number is `reference` (as a list shows either), by id.
    More than one: split carts share a number, or one order's number is another's id.

    Two seeks, the primary key and the (shop, number) index, each on its own: with
    `order_id = ? OR number = ?`, or a UNION ordered by id, SQLite walks the primary key over
    every order of the shop (100,000: 120 ms). The few found are put in id order here."""
    by_id = select(orders).where(orders.c.shop == shop, orders.c.order_id == reference)
    by_number = select(orders).where(
        orders.c.shop == shop, orders.c.number == reference, orders.c.order_id != reference
    )
    with reading(engine) as connection:
        found = [
            to_record(row) for query in (by_id, by_number) for row in connection.execute(query)
        ]
    return sorted(found, key=lambda record: record.order_id)
