"""The order state machine, as statements on one open transaction.

Every change is a conditional UPDATE whose WHERE clause states the transitions it allows, so the
database, not a read earlier in Python, decides whether it happens: two workers racing for the
same order cannot both win, on SQLite or PostgreSQL. The row is read afterwards, to return it or
to tell "unknown order" from "refused in this state".

    observe            new                             → open
    claim              new, open, failed+requested     → sending  (attempts + 1)
    mark_sent          sending                         → sent     (the same call again: no change)
    mark_failed        open, sending, failed           → failed
    mark_skipped       open, sending, failed, skipped  → skipped
    release            sending                         → the state it was claimed from
    request_reprocess  failed                          → failed+requested

The `…_many` functions make the same transitions for a set of orders with a fixed number of
statements, whatever the set's size (up to `_IN_CHUNK` orders per statement): one INSERT … ON
CONFLICT DO NOTHING for the orders not yet recorded, one conditional UPDATE … WHERE order_id IN
(…) for the rest, whose per-order values are CASE expressions on the order id, and RETURNING
(SQLite ≥ 3.35, PostgreSQL) to learn which rows the database let through. Those statements are
built once per shape (how many orders, which columns) with every value a bound parameter
(`_prepared`): building and compiling a statement of a hundred CASE branches anew for every chunk
cost more than the database's work on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    and_,
    bindparam,
    case,
    false,
    func,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from .database import insert_if_absent
from .errors import InvalidTransition, UnknownOrder
from .records import Claim, OrderRecord, OrderState
from .tables import orders

# Plain strings for the statements: drivers need not know how to adapt an enum.
OPEN = OrderState.OPEN.value
SENDING = OrderState.SENDING.value
SENT = OrderState.SENT.value
FAILED = OrderState.FAILED.value
SKIPPED = OrderState.SKIPPED.value

_CLAIMABLE = or_(
    orders.c.state == OPEN,
    and_(orders.c.state == FAILED, orders.c.reprocess_requested == true()),
)
# SQLite has a limit on bound parameters per statement; IN lists are sent in chunks below it.
_IN_CHUNK = 500


def _key(shop: str, order_id: str) -> ColumnElement[bool]:
    return and_(orders.c.shop == shop, orders.c.order_id == order_id)


# A state read back by dict, not by OrderState(...): an Enum call is most of a row's cost.
_STATE_OF = {state.value: state for state in OrderState}


def to_record(row: Row[Any]) -> OrderRecord:
    return OrderRecord(
        shop=row.shop,
        order_id=row.order_id,
        number=row.number,
        order_date=row.order_date,
        state=_STATE_OF.get(row.state) or OrderState(row.state),
        attempts=row.attempts,
        first_seen_at=row.first_seen_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        target_reference=row.target_reference,
        rule_version=row.rule_version,
        reason=row.reason,
        resolution=row.resolution,
        reprocess_requested=bool(row.reprocess_requested),
        claimed_at=row.claimed_at,
        failed_check=row.failed_check,
    )


def get(connection: Connection, shop: str, order_id: str) -> OrderRecord | None:
    row = connection.execute(select(orders).where(_key(shop, order_id))).first()
    return to_record(row) if row is not None else None


def get_many(connection: Connection, shop: str, order_ids: Iterable[str]) -> dict[str, OrderRecord]:
    """The recorded ones of these orders, by id: one query per `_IN_CHUNK` ids."""
    wanted = list(dict.fromkeys(order_ids))
    found: dict[str, OrderRecord] = {}
    query = _prepared(("get",), lambda: select(orders).where(_SHOP, _IN_IDS))
    for chunk in _slices(wanted):
        rows = connection.execute(query, {"the_shop": shop, "ids": list(chunk)})
        found.update((row.order_id, to_record(row)) for row in rows)
    return found


def _existing(connection: Connection, shop: str, order_id: str) -> OrderRecord:
    record = get(connection, shop, order_id)
    if record is None:
        raise UnknownOrder(shop, order_id)
    return record


def _transition(
    connection: Connection,
    shop: str,
    order_id: str,
    allowed_from: Sequence[str],
    values: dict[str, Any],
    action: str,
) -> OrderRecord:
    result = connection.execute(
        update(orders)
        .where(_key(shop, order_id), orders.c.state.in_(allowed_from))
        .values(**values)
    )
    record = _existing(connection, shop, order_id)
    if result.rowcount != 1:
        raise InvalidTransition(shop, order_id, record.state, action)
    return record


def _claimed() -> dict[str, Any]:
    """What a claim sets on a recorded row, one order or many."""
    return {
        "state": SENDING,
        # SET expressions read the row as it was before this UPDATE.
        "previous_state": orders.c.state,
        # An open order's reason was the shop state that kept it open: no longer true.
        # A failed one keeps its reason, in case it is released back to failed.
        "reason": case((orders.c.state == OPEN, null()), else_=orders.c.reason),
        "reprocess_requested": False,
        "attempts": orders.c.attempts + 1,
    }


def _new_row(
    shop: str, order_id: str, number: str, order_date: datetime, now: datetime, **values: Any
) -> dict[str, Any]:
    """The row of an order the ledger sees for the first time; `values` say how it starts."""
    return {
        "shop": shop,
        "order_id": order_id,
        "number": number,
        "order_date": order_date,
        "reprocess_requested": False,
        "attempts": 0,
        "first_seen_at": now,
        "updated_at": now,
        **values,
    }


def observe(
    connection: Connection,
    now: datetime,
    shop: str,
    order_id: str,
    number: str,
    order_date: datetime,
    shop_state: str | None = None,
) -> OrderRecord:
    # Only an open order follows the shop's number, date and state; once claimed, the ledger
    # keeps what was invoiced. An open order's `reason` is the shop state that keeps it open.
    changed = [orders.c.number != number, orders.c.order_date != order_date]
    values: dict[str, Any] = {"number": number, "order_date": order_date, "updated_at": now}
    if shop_state is not None:
        changed.append(orders.c.reason.is_distinct_from(shop_state))
        values["reason"] = shop_state
    connection.execute(
        update(orders)
        .where(_key(shop, order_id), orders.c.state == OPEN, or_(*changed))
        .values(**values)
    )
    record = get(connection, shop, order_id)
    if record is not None:
        return record
    insert_if_absent(
        connection,
        orders,
        _new_row(shop, order_id, number, order_date, now, state=OPEN, reason=shop_state),
    )
    return _existing(connection, shop, order_id)


def claim(
    connection: Connection,
    now: datetime,
    shop: str,
    order_id: str,
    number: str,
    order_date: datetime,
    rule_version: str,
    stamp: dict[str, Any] | None = None,
) -> Claim | None:
    """`stamp`: extra columns a claim writes (the database's `claimed_at`, the lock generation)."""
    extra = stamp or {}
    claimed = _claim_existing(
        connection, now, shop, order_id, number, order_date, rule_version, extra
    )
    if claimed is None and get(connection, shop, order_id) is None:
        inserted = insert_if_absent(
            connection,
            orders,
            _new_row(
                shop, order_id, number, order_date, now, state=SENDING, previous_state=OPEN,
                rule_version=rule_version, attempts=1, **extra,
            ),
        )
        if inserted:
            claimed = OrderState.OPEN
        else:
            # Another worker inserted it between our read and insert (PostgreSQL): the
            # conditional update decides against the row it wrote.
            claimed = _claim_existing(
                connection, now, shop, order_id, number, order_date, rule_version, extra
            )
    if claimed is None:
        return None
    record = _existing(connection, shop, order_id)
    return Claim(
        shop=shop,
        order_id=order_id,
        number=record.number,
        order_date=record.order_date,
        rule_version=rule_version,
        attempts=record.attempts,
        claimed_at=now,
        claimed_from=claimed,
    )


def _claim_existing(
    connection: Connection,
    now: datetime,
    shop: str,
    order_id: str,
    number: str,
    order_date: datetime,
    rule_version: str,
    extra: dict[str, Any],
) -> OrderState | None:
    """Move a claimable row to `sending`; return the state it came from, None if not claimable."""
    result = connection.execute(
        update(orders)
        .where(_key(shop, order_id), _CLAIMABLE)
        .values(
            **_claimed(),
            number=number,
            order_date=order_date,
            rule_version=rule_version,
            updated_at=now,
            **extra,
        )
    )
    if result.rowcount != 1:
        return None
    previous = connection.execute(
        select(orders.c.previous_state).where(_key(shop, order_id))
    ).scalar_one()
    return OrderState(previous)


def mark_sent(
    connection: Connection, now: datetime, shop: str, order_id: str, reference: str
) -> OrderRecord:
    result = connection.execute(
        update(orders)
        .where(_key(shop, order_id), orders.c.state == SENDING)
        .values(
            state=SENT,
            previous_state=None,
            target_reference=reference,
            sent_at=now,
            updated_at=now,
            reason=None,
            resolution=None,
        )
    )
    record = _existing(connection, shop, order_id)
    if result.rowcount == 1:
        return record
    if record.state == SENT and record.target_reference == reference:
        return record  # the same outcome reported twice: nothing to change
    raise InvalidTransition(shop, order_id, record.state, f"mark it sent as {reference!r}")


def adopt(
    connection: Connection,
    now: datetime,
    shop: str,
    order_id: str,
    number: str,
    order_date: datetime,
    reference: str,
) -> bool:
    """New or open → sent: the accounting system already holds its invoice. True if changed."""
    values = {
        "state": SENT,
        "previous_state": None,
        "target_reference": reference,
        "sent_at": now,
        "updated_at": now,
        "reason": None,
        "resolution": None,
    }
    result = connection.execute(
        update(orders).where(_key(shop, order_id), orders.c.state == OPEN).values(**values)
    )
    if result.rowcount == 1:
        return True
    if get(connection, shop, order_id) is not None:
        return False
    return insert_if_absent(
        connection,
        orders,
        _new_row(shop, order_id, number, order_date, now, **values),
    )


def any_order(connection: Connection, shop: str) -> bool:
    return connection.execute(select(orders.c.order_id).where(orders.c.shop == shop).limit(1)).first() is not None


def mark_failed(
    connection: Connection, now: datetime, shop: str, order_id: str, reason: str, resolution: str
) -> OrderRecord:
    return _transition(
        connection,
        shop,
        order_id,
        (OPEN, SENDING, FAILED),
        {
            "state": FAILED,
            "previous_state": None,
            "reprocess_requested": False,
            "reason": reason,
            "resolution": resolution,
            "failed_check": None,  # `note_checks` keeps the new one's, in the same transaction
            "updated_at": now,
        },
        "mark it failed",
    )


def mark_skipped(
    connection: Connection, now: datetime, shop: str, order_id: str, reason: str
) -> OrderRecord:
    return _transition(
        connection,
        shop,
        order_id,
        (OPEN, SENDING, FAILED, SKIPPED),
        {
            "state": SKIPPED,
            "previous_state": None,
            "reprocess_requested": False,
            "reason": reason,
            "resolution": None,
            "updated_at": now,
        },
        "mark it skipped",
    )


def release(connection: Connection, now: datetime, shop: str, order_id: str) -> OrderRecord:
    came_from = func.coalesce(orders.c.previous_state, OPEN)
    return _transition(
        connection,
        shop,
        order_id,
        (SENDING,),
        {
            "state": came_from,
            # A reprocess request that was claimed but not carried out still stands.
            "reprocess_requested": case((came_from == FAILED, true()), else_=false()),
            "previous_state": None,
            "updated_at": now,
        },
        "release it (only an order being sent can be released)",
    )


def stuck_sending(connection: Connection, shop: str, cutoff: datetime | None) -> list[OrderRecord]:
    query = select(orders).where(orders.c.shop == shop, orders.c.state == SENDING)
    if cutoff is not None:
        query = query.where(orders.c.updated_at <= cutoff)
    rows = connection.execute(query.order_by(orders.c.updated_at, orders.c.order_id))
    return [to_record(row) for row in rows]


def request_reprocess(
    connection: Connection, now: datetime, shop: str, order_ids: Iterable[str]
) -> list[str]:
    wanted = list(dict.fromkeys(order_ids))
    accepted: set[str] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        failed = orders.c.shop == shop, orders.c.order_id.in_(chunk), orders.c.state == FAILED
        # FOR UPDATE (PostgreSQL) keeps the rows failed until the UPDATE below; SQLite already
        # holds the write lock and leaves the clause out.
        found = connection.execute(select(orders.c.order_id).where(*failed).with_for_update())
        accepted.update(found.scalars())
        connection.execute(
            update(orders).where(*failed).values(reprocess_requested=True, updated_at=now)
        )
    return [order_id for order_id in wanted if order_id in accepted]


def counts(connection: Connection, shop: str | None) -> dict[OrderState, int]:
    query = select(orders.c.state, func.count()).group_by(orders.c.state)
    if shop is not None:
        query = query.where(orders.c.shop == shop)
    totals = dict.fromkeys(OrderState, 0)
    for state, count in connection.execute(query):
        totals[OrderState(state)] = int(count)
    return totals


# -- set-based: a fixed number of statements per `_IN_CHUNK` orders ----------------------------


def _slices(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _insert_absent(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """INSERT the rows whose (shop, order_id) is not recorded, in one statement; return the ids
    this statement inserted (a row another transaction inserted first is left as it is)."""
    if not rows:
        return set()
    # One single-row statement, run for all rows: SQLAlchemy sends them as one multi-row
    # INSERT ("insertmanyvalues") and compiles the statement once per process, where a
    # statement built with the rows as VALUES is compiled anew for every chunk (the bulk of a
    # pass's ledger time).
    statement = _prepared(("insert", connection.dialect.name), _insert_absent_statement)
    return set(connection.execute(statement, list(rows)).scalars())


def _insert_absent_statement(dialect: str) -> Insert:
    return (
        (postgresql.insert if dialect == "postgresql" else sqlite.insert)(orders)
        .on_conflict_do_nothing(index_elements=[orders.c.shop, orders.c.order_id])
        .returning(orders.c.order_id)
    )


_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_SHOP = orders.c.shop == bindparam("the_shop")
_IN_IDS = orders.c.order_id.in_(bindparam("ids", expanding=True))


def _prepared(shape: tuple[Any, ...], build: Callable[..., Any]) -> Any:
    """The statement of this shape (its name, then what `build` makes it from), built with
    bound parameters the first time; SQLAlchemy then compiles it once, too."""
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = build(*shape[1:])
    return statement


def _bound(name: str, column: Any) -> Any:
    """A parameter bound through `column`'s type (a timestamp as the table stores it)."""
    return bindparam(name, type_=column.type)


def _by_id(name: str, count: int, column: Any) -> Any:
    """A CASE giving each of `count` order ids (parameters `{name}_id{i}`) its own value
    (`{name}{i}`, typed as `column`); other rows keep theirs. Values: `_by_id_values`."""
    return case(
        {
            _bound(f"{name}_id{index}", orders.c.order_id): _bound(f"{name}{index}", column)
            for index in range(count)
        },
        value=orders.c.order_id,
        else_=column,
    )


def _by_id_values(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of `_by_id(name, len(values), …)`: order id → its value."""
    params: dict[str, Any] = {}
    for index, (order_id, value) in enumerate(values.items()):
        params[f"{name}_id{index}"] = order_id
        params[f"{name}{index}"] = value
    return params


def claim_many(
    connection: Connection,
    now: datetime,
    shop: str,
    items: Sequence[tuple[str, str, datetime]],
    rule_version: str,
    stamp: dict[str, Any] | None = None,
    recorded: Mapping[str, OrderRecord] | None = None,
) -> dict[str, Claim]:
    """`claim` for each (order_id, number, order_date), in two statements per `_IN_CHUNK`
    orders: new ones are inserted `sending`, the recorded ones moved to `sending` by one UPDATE
    whose WHERE clause only matches claimable rows. An id given twice: its first item counts.
    `recorded`: what the caller read of these orders — those are not inserted (orders are
    never deleted), and their number and date are set only where they changed."""
    extra = stamp or {}
    stamped = tuple(sorted(extra))
    known = recorded or {}
    wanted: dict[str, tuple[str, datetime]] = {}
    for order_id, number, order_date in items:
        wanted.setdefault(order_id, (number, order_date))
    claims: dict[str, Claim] = {}
    for ids in _slices(list(wanted)):
        inserted = _insert_absent(
            connection,
            [
                _new_row(
                    shop, order_id, *wanted[order_id], now, state=SENDING, previous_state=OPEN,
                    rule_version=rule_version, reason=None, attempts=1, **extra,
                )
                for order_id in ids
                if order_id not in known
            ],
        )
        for order_id in inserted:
            number, order_date = wanted[order_id]
            claims[order_id] = Claim(
                shop, order_id, number, order_date, rule_version, 1, now, OrderState.OPEN
            )
        present = [order_id for order_id in ids if order_id not in inserted]
        if not present:
            continue
        # Under READ COMMITTED this UPDATE sees a row another transaction inserted (and
        # committed) while our INSERT waited on it: the WHERE clause decides against that row.
        changed = [i for i in present if i not in known or _moved(known[i], *wanted[i])]
        statement = _prepared(("claim", len(changed), stamped), _claim_update)
        result = connection.execute(
            statement,
            {
                "the_shop": shop,
                "ids": present,
                "the_rule_version": rule_version,
                "now": now,
                **{f"stamp_{name}": value for name, value in extra.items()},
                **_by_id_values("number", {i: wanted[i][0] for i in changed}),
                **_by_id_values("date", {i: wanted[i][1] for i in changed}),
            },
        )
        for order_id, previous, attempts in result:
            number, order_date = wanted[order_id]
            claims[order_id] = Claim(
                shop, order_id, number, order_date, rule_version, int(attempts), now,
                OrderState(previous),
            )
    return claims


def _moved(record: OrderRecord, number: str, order_date: datetime) -> bool:
    """Whether the shop's number or date of a recorded order differs from the record's."""
    return record.number != number or record.order_date != order_date


def _claim_update(changed: int, stamped: tuple[str, ...]) -> Any:
    """claim_many's UPDATE of recorded orders, `changed` of them also given their (new) number
    and date, all also setting the columns `stamped`."""
    follow_shop = (
        {
            "number": _by_id("number", changed, orders.c.number),
            "order_date": _by_id("date", changed, orders.c.order_date),
        }
        if changed
        else {}
    )
    return (
        update(orders)
        .where(_SHOP, _IN_IDS, _CLAIMABLE)
        .values(
            **_claimed(),
            **follow_shop,
            rule_version=_bound("the_rule_version", orders.c.rule_version),
            updated_at=_bound("now", orders.c.updated_at),
            **{name: _bound(f"stamp_{name}", orders.c[name]) for name in stamped},
        )
        .returning(orders.c.order_id, orders.c.previous_state, orders.c.attempts)
    )


def mark_sent_many(
    connection: Connection,
    now: datetime,
    shop: str,
    sent: Sequence[tuple[str, str]],
    *,
    records: bool = True,
) -> dict[str, OrderRecord | None]:
    """`mark_sent` for each (order_id, reference): one UPDATE per `_IN_CHUNK` orders, and one
    SELECT of the rows it did not change, to tell a repeat (harmless) from a refusal (raised,
    so the caller's transaction rolls back whole). Without `records` the rows changed are
    not read back (each id maps to None): a pass only needs to know that all went through."""
    references: dict[str, str] = {}
    for order_id, reference in sent:
        if references.setdefault(order_id, reference) != reference:
            record = get(connection, shop, order_id)
            state = record.state if record is not None else OrderState.SENDING
            raise InvalidTransition(shop, order_id, state, f"mark it sent as {reference!r}")
    marked: dict[str, OrderRecord | None] = {}
    for ids in _slices(list(references)):
        count = len(ids)
        statement = _prepared(("sent", count, records), _sent_update)
        result = connection.execute(
            statement,
            {
                "the_shop": shop,
                "ids": list(ids),
                "now": now,
                **_by_id_values("reference", {i: references[i] for i in ids}),
            },
        )
        if records:
            marked.update((row.order_id, to_record(row)) for row in result)
        else:
            marked.update(dict.fromkeys(result.scalars()))
        rest = [order_id for order_id in ids if order_id not in marked]
        if rest:
            found = get_many(connection, shop, rest)
            for order_id in rest:
                record = found.get(order_id)
                if record is None:
                    raise UnknownOrder(shop, order_id)
                if record.state != SENT or record.target_reference != references[order_id]:
                    raise InvalidTransition(
                        shop, order_id, record.state,
                        f"mark it sent as {references[order_id]!r}",
                    )
                marked[order_id] = record  # the same outcome reported twice: no change
    return {order_id: marked[order_id] for order_id in references}


def _sent_update(count: int, records: bool) -> Any:
    returned = orders.c if records else (orders.c.order_id,)
    return (
        update(orders)
        .where(_SHOP, _IN_IDS, orders.c.state == SENDING)
        .values(
            state=SENT,
            previous_state=None,
            target_reference=_by_id("reference", count, orders.c.target_reference),
            sent_at=_bound("now", orders.c.sent_at),
            updated_at=_bound("now", orders.c.updated_at),
            reason=None,
            resolution=None,
        )
        .returning(*returned)
    )


def mark_failed_many(
    connection: Connection, now: datetime, shop: str, failed: Sequence[tuple[str, str, str]]
) -> dict[str, OrderRecord]:
    """`mark_failed` for each (order_id, reason, resolution): one UPDATE per `_IN_CHUNK` orders;
    an order in another state (or unknown) raises, and the caller's transaction rolls back.
    An id given twice: its last reason counts, as if marked twice in turn."""
    wanted = {order_id: (reason, resolution) for order_id, reason, resolution in failed}
    marked: dict[str, OrderRecord] = {}
    for ids in _slices(list(wanted)):
        count = len(ids)
        statement = _prepared(("failed", count), _failed_update)
        result = connection.execute(
            statement,
            {
                "the_shop": shop,
                "ids": list(ids),
                "now": now,
                **_by_id_values("reason", {i: wanted[i][0] for i in ids}),
                **_by_id_values("resolution", {i: wanted[i][1] for i in ids}),
            },
        )
        marked.update((row.order_id, to_record(row)) for row in result)
        rest = [order_id for order_id in ids if order_id not in marked]
        if rest:
            found = get_many(connection, shop, rest)
            order_id = rest[0]
            record = found.get(order_id)
            if record is None:
                raise UnknownOrder(shop, order_id)
            raise InvalidTransition(shop, order_id, record.state, "mark it failed")
    return marked


def _failed_update(count: int) -> Any:
    return (
        update(orders)
        .where(_SHOP, _IN_IDS, orders.c.state.in_((OPEN, SENDING, FAILED)))
        .values(
            state=FAILED,
            previous_state=None,
            reprocess_requested=False,
            reason=_by_id("reason", count, orders.c.reason),
            resolution=_by_id("resolution", count, orders.c.resolution),
            failed_check=None,  # `note_checks` keeps the new ones, in the same transaction
            updated_at=_bound("now", orders.c.updated_at),
        )
        .returning(*orders.c)
    )


def observe_many(
    connection: Connection,
    now: datetime,
    shop: str,
    items: Sequence[tuple[str, str, datetime, str | None]],
) -> None:
    """`observe` for each (order_id, number, order_date, shop_state): one INSERT … ON CONFLICT
    DO NOTHING of the new ones as `open`, then one UPDATE of the recorded open ones whose
    number, date or (given) shop state differ. An id given twice: its last item counts."""
    wanted = {item[0]: item for item in items}
    for ids in _slices(list(wanted)):
        inserted = _insert_absent(
            connection,
            [
                _new_row(shop, order_id, number, order_date, now, state=OPEN, reason=shop_state)
                for order_id, number, order_date, shop_state in (wanted[i] for i in ids)
            ],
        )
        recorded = [order_id for order_id in ids if order_id not in inserted]
        if not recorded:
            continue
        states = {i: wanted[i][3] for i in recorded if wanted[i][3] is not None}
        count, stated = len(recorded), len(states)
        connection.execute(
            _prepared(("observe", count, stated), _observe_update),
            {
                "the_shop": shop,
                "ids": recorded,
                "now": now,
                **_by_id_values("number", {i: wanted[i][1] for i in recorded}),
                **_by_id_values("date", {i: wanted[i][2] for i in recorded}),
                **_by_id_values("reason", states),
            },
        )


def _observe_update(count: int, stated: int) -> Any:
    """observe_many's UPDATE of `count` recorded orders, `stated` of them with a shop state."""
    numbers = _by_id("number", count, orders.c.number)
    dates = _by_id("date", count, orders.c.order_date)
    changed = [orders.c.number != numbers, orders.c.order_date != dates]
    values: dict[str, Any] = {
        "number": numbers,
        "order_date": dates,
        "updated_at": _bound("now", orders.c.updated_at),
    }
    if stated:
        reasons = _by_id("reason", stated, orders.c.reason)
        changed.append(orders.c.reason.is_distinct_from(reasons))
        values["reason"] = reasons
    return (
        update(orders).where(_SHOP, _IN_IDS, orders.c.state == OPEN, or_(*changed)).values(**values)
    )


def note_checks(connection: Connection, shop: str, checks: Mapping[str, str]) -> None:
    """Keep, for orders just marked failed, the checks that turned them away (order id →
    `vat_code @ mappings/yuki/mapping.yaml:170`): one UPDATE per `_IN_CHUNK` orders."""
    for ids in _slices(list(checks)):
        count = len(ids)
        statement = _prepared(("checks", count), _checks_update)
        connection.execute(
            statement,
            {
                "the_shop": shop,
                "ids": list(ids),
                **_by_id_values("check", {i: checks[i] for i in ids}),
            },
        )


def _checks_update(count: int) -> Any:
    return (
        update(orders)
        .where(_SHOP, _IN_IDS)
        .values(failed_check=_by_id("check", count, orders.c.failed_check))
    )
