"""The ledger: where each order of each shop stands, so every paid order is invoiced exactly once.

`Ledger` is the one object the sync pipeline, the scheduler and the CLI use. Each method is one
short transaction, committed before it returns (the `…_many` methods: one transaction for the
whole batch, all or nothing, since the commit is most of the cost of a change): in particular a `Claim` is durable before the
caller posts the invoice, so a crash after posting leaves the order in `sending` (found by
`stuck_sending`), never back in `open` where it would be sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from . import listing, locks, orders, shops
from .database import connect, parse_url, reading, safe_url, sqlite_path, writing
from .dbclock import DatabaseClock, database_now
from .errors import NoLedger
from .migrations import current_version, migrate
from .records import BackfillProgress, Claim, FailureTold, OrderRecord, OrderState
from .timestamps import Clock, as_utc, utc_now

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = timedelta(seconds=30)
DEFAULT_LOCK_TTL = timedelta(minutes=15)


def _text(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


class Ledger:
    """The sync pipeline's memory of orders, cursors, backfills and shop locks."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        db_clock: DatabaseClock = database_now,
    ) -> None:
        """Wrap an Engine whose database is already migrated; most callers want `Ledger.open`.

        `clock` is the worker's (timestamps shown to people); `db_clock` is the database's, on
        which lock leases and settle times are measured (tests inject a fake one)."""
        self._engine = engine
        self._clock = clock
        self._db_clock = db_clock

    @classmethod
    def open(
        cls,
        url: str,
        *,
        busy_timeout: timedelta = DEFAULT_BUSY_TIMEOUT,
        clock: Clock | None = None,
        create: bool = True,
        db_clock: DatabaseClock = database_now,
    ) -> Ledger:
        """Open (creating and migrating when needed) the ledger at a database URL.

        `url` is e.g. `sqlite:///path/ledger.db` or `postgresql+psycopg://…`; a bare path means
        a SQLite file. `clock` returns aware UTC now (tests pass a fake one).

        `create=False` is for read-only commands (`mapper status`): where no ledger exists yet
        (no SQLite file, or a database without the ledger's tables) it raises `NoLedger` and
        creates nothing, no file, folder or table. An existing ledger of an older schema is
        still migrated.
        """
        now = clock or utc_now
        parsed = parse_url(url)
        log.info("opening the ledger %s%s", safe_url(parsed), "" if create else " (read-only)")
        engine = connect(parsed, busy_timeout=busy_timeout, create=create)
        try:
            if not create and current_version(engine) == 0:
                file = sqlite_path(parsed)
                raise NoLedger(str(file) if file is not None else safe_url(parsed))
            version = migrate(engine, clock=now)
            log.debug("the ledger is at schema version %d", version)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=now, db_clock=db_clock)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return safe_url(self._engine.url)

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    def _now(self) -> datetime:
        return as_utc("clock()", self._clock())

    # Orders -----------------------------------------------------------------------------------

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None:
        with reading(self._engine) as connection:
            return orders.get(connection, shop, order_id)

    def get_orders(self, shop: str, order_ids: Iterable[str]) -> dict[str, OrderRecord]:
        """The recorded ones of these orders, by id; unknown ids are left out."""
        with reading(self._engine) as connection:
            return orders.get_many(connection, shop, order_ids)

    def observe(
        self,
        shop: str,
        order_id: str,
        number: str,
        order_date: datetime,
        *,
        sendable: bool,
        shop_state: str | None = None,
    ) -> OrderRecord:
        """Record that a fetch saw the order; return where it stands now.

        A new order is recorded `open` whether or not it is `sendable`: a sendable one is then
        claimed, and if the pass dies before that, the nightly re-check of open orders still
        finds it. An open order takes the shop's current number and date, and `shop_state`
        when given: the shop's state that keeps it open, as the rule set words it ("order
        state 1 is not one of the invoicing states …"), shown in the Open list (kept in
        `reason`; `updated_at` then says since when). An order that is sending, sent, failed
        or skipped is left exactly as it is (never moved back to open).
        """
        del sendable  # the state an order enters does not depend on it; see the docstring
        order_date = as_utc("order_date", order_date)
        if shop_state is not None:
            shop_state = _text("shop_state", shop_state)
        with writing(self._engine) as connection:
            return orders.observe(
                connection,
                self._now(),
                _text("shop", shop),
                _text("order_id", order_id),
                _text("number", number),
                order_date,
                shop_state,
            )

    def observe_many(
        self, shop: str, items: Sequence[tuple[str, str, datetime, str | None]]
    ) -> None:
        """`observe` for each (order_id, number, order_date, shop_state), in one transaction
        with a fixed number of statements: new orders are recorded open, open ones take the
        shop's number, date and (when given) state; any other order is left as it is."""
        shop = _text("shop", shop)
        wanted = [
            (
                _text("order_id", order_id),
                _text("number", number),
                as_utc("order_date", date),
                None if state is None else _text("shop_state", state),
            )
            for order_id, number, date, state in items
        ]
        if not wanted:
            return
        with writing(self._engine) as connection:
            orders.observe_many(connection, self._now(), shop, wanted)

    def claim(
        self, shop: str, order_id: str, number: str, order_date: datetime, rule_version: str
    ) -> Claim | None:
        """Move the order to `sending` for this caller, committed before returning.

        Claimable: a new order, an open one, or a failed one whose reprocessing was requested.
        Returns None for any other (sending: another pass has it; sent or skipped: done;
        failed: waits for `request_reprocess`).
        """
        order_date = as_utc("order_date", order_date)
        with writing(self._engine) as connection:
            return orders.claim(
                connection,
                self._now(),
                _text("shop", shop),
                _text("order_id", order_id),
                _text("number", number),
                order_date,
                _text("rule_version", rule_version),
            )

    def claim_many(
        self,
        shop: str,
        items: Sequence[tuple[str, str, datetime]],
        rule_version: str,
        *,
        fence: int | None = None,
        recorded: Mapping[str, OrderRecord] | None = None,
    ) -> dict[str, Claim]:
        """`claim` for each (order_id, number, order_date), in one transaction committed before
        returning. Returns the claims by order id; orders `claim` would refuse are left out (an
        id given twice is claimed once). `recorded`: the records of these orders the caller
        read before (`get_orders`), which spare inserting those and updating their number and
        date when unchanged; the claim itself is still the database's to decide.

        `fence`: the generation of the shop lock the caller holds; if the lock has since been
        taken over, nothing is claimed and LockLost is raised. Each claim records the database's
        time (`claimed_at`) and the generation. Set-based: a fixed number of statements per
        transaction, whatever the number of orders (see orders.py)."""
        shop, rule_version = _text("shop", shop), _text("rule_version", rule_version)
        wanted = [
            (_text("order_id", order_id), _text("number", number), as_utc("order_date", date))
            for order_id, number, date in items
        ]
        now = self._now()
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            stamp = {"claimed_at": self._db_clock(connection), "claim_generation": fence}
            return orders.claim_many(
                connection, now, shop, wanted, rule_version, stamp, recorded or {}
            )

    @staticmethod
    def _fence(connection: Connection, shop: str, fence: int | None) -> None:
        if fence is not None:
            locks.check_fence(connection, shop, fence)

    def database_now(self) -> datetime:
        """The database's clock: what claim times (`claimed_at`) are compared with."""
        with reading(self._engine) as connection:
            return self._db_clock(connection)

    def mark_sent(
        self, shop: str, order_id: str, reference: str, *, fence: int | None = None
    ) -> OrderRecord:
        """sending → sent with the target's reference. Repeating the same call is harmless.
        `fence`: as for `claim_many`."""
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            return orders.mark_sent(connection, self._now(), shop, order_id, reference)

    def mark_sent_many(
        self, shop: str, sent: Sequence[tuple[str, str]], *, fence: int | None = None
    ) -> dict[str, OrderRecord]:
        """`mark_sent` for each (order_id, reference), in one transaction: all or nothing (an
        order `mark_sent` would refuse raises its error and none of them is marked).
        `fence`: as for `claim_many`."""
        marked = self._mark_sent_many(shop, sent, fence, records=True)
        return {order_id: record for order_id, record in marked.items() if record is not None}

    def record_sent_many(
        self, shop: str, sent: Sequence[tuple[str, str]], *, fence: int | None = None
    ) -> None:
        """`mark_sent_many` without reading the rows back: what a sync pass records."""
        self._mark_sent_many(shop, sent, fence, records=False)

    def _mark_sent_many(
        self, shop: str, sent: Sequence[tuple[str, str]], fence: int | None, *, records: bool
    ) -> dict[str, OrderRecord | None]:
        if not sent:
            return {}
        now = self._now()
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            return orders.mark_sent_many(connection, now, shop, sent, records=records)

    def mark_failed_many(
        self, shop: str, failed: Sequence[tuple[str, str, str]], *, fence: int | None = None
    ) -> dict[str, OrderRecord]:
        """`mark_failed` for each (order_id, reason, resolution), in one transaction: all or
        nothing (an order `mark_failed` would refuse raises its error and none is marked).
        `fence`: as for `claim_many`."""
        wanted = [
            (order_id, _text("reason", reason), _text("resolution", resolution))
            for order_id, reason, resolution in failed
        ]
        if not wanted:
            return {}
        now = self._now()
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            return orders.mark_failed_many(connection, now, shop, wanted)

    def mark_failed(
        self,
        shop: str,
        order_id: str,
        reason: str,
        *,
        resolution: str,
        fence: int | None = None,
        check: str | None = None,
    ) -> OrderRecord:
        """open / sending / failed → failed (the Errors list), with what the owner must do.
        `fence`: as for `claim_many`. `check`: the checks that turned it away and their rule
        file:line (engine/rules/failed_checks.py), for the dashboard's More info."""
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            record = orders.mark_failed(
                connection,
                self._now(),
                shop,
                order_id,
                _text("reason", reason),
                _text("resolution", resolution),
            )
            if check:
                orders.note_checks(connection, shop, {order_id: check})
                record = replace(record, failed_check=check)
            return record

    def fail_many(
        self,
        shop: str,
        items: Sequence[tuple[str, str, datetime, str, str]],
        *,
        fence: int | None = None,
        checks: Mapping[str, str] | None = None,
    ) -> dict[str, OrderRecord]:
        """`observe` then `mark_failed` for each (order_id, number, order_date, reason,
        resolution): orders a pass turned away before claiming them (the Errors list), in one
        transaction with a fixed number of statements. `fence`: as for `claim_many`.
        `checks`: order id → the checks that turned it away (as `mark_failed`'s `check`)."""
        shop = _text("shop", shop)
        seen = [
            (_text("order_id", order_id), _text("number", number), as_utc("order_date", date))
            for order_id, number, date, _reason, _resolution in items
        ]
        failed = [
            (order_id, _text("reason", reason), _text("resolution", resolution))
            for order_id, _number, _date, reason, resolution in items
        ]
        if not failed:
            return {}
        now = self._now()
        with writing(self._engine) as connection:
            self._fence(connection, shop, fence)
            orders.observe_many(connection, now, shop, [(*item, None) for item in seen])
            marked = orders.mark_failed_many(connection, now, shop, failed)
            noted = {i: c for i, c in (checks or {}).items() if i in marked and c}
            if noted:
                orders.note_checks(connection, shop, noted)
                marked.update((i, replace(marked[i], failed_check=c)) for i, c in noted.items())
            return marked

    def mark_skipped(self, shop: str, order_id: str, reason: str) -> OrderRecord:
        """open / sending / failed / skipped → skipped: deliberately not invoiced."""
        with writing(self._engine) as connection:
            return orders.mark_skipped(
                connection, self._now(), shop, order_id, _text("reason", reason)
            )

    def release(self, shop: str, order_id: str) -> OrderRecord:
        """sending → the state it was claimed from, after a failure that certainly posted nothing.

        A failed order claimed for reprocessing goes back to failed with its request standing.
        The attempt still counts in `attempts`.
        """
        with writing(self._engine) as connection:
            return orders.release(connection, self._now(), shop, order_id)

    def stuck_sending(self, shop: str, older_than: timedelta | None = None) -> list[OrderRecord]:
        """Orders left in `sending` by a crash, claimed at least `older_than` ago; oldest first."""
        cutoff = None if older_than is None else self._now() - older_than
        with reading(self._engine) as connection:
            return orders.stuck_sending(connection, shop, cutoff)

    def request_reprocess(self, shop: str, order_ids: Iterable[str]) -> list[str]:
        """Let failed orders be claimed again; return the ids accepted (only failed ones)."""
        with writing(self._engine) as connection:
            return orders.request_reprocess(connection, self._now(), shop, order_ids)

    def matching_orders(self, shop: str, reference: str) -> list[OrderRecord]:
        """The shop's orders whose id or number is `reference`, by id (split carts: several)."""
        return listing.matching(self._engine, shop, reference)

    def reprocess_order_ids(self, shop: str) -> Iterator[str]:
        """Failed orders whose reprocessing was requested and is not yet done, streamed."""
        return listing.order_ids(self._engine, shop, OrderState.FAILED, reprocess_requested=True)

    def list_orders(
        self,
        shop: str | None = None,
        states: listing.States = None,
        *,
        limit: int | None = None,
    ) -> Iterator[OrderRecord]:
        """Orders of one shop (or all), in the given state(s), most recently changed first."""
        return listing.list_orders(self._engine, shop, states, limit)

    def counts(self, shop: str | None = None) -> dict[OrderState, int]:
        """How many orders are in each state (every state present, zero included)."""
        with reading(self._engine) as connection:
            return orders.counts(connection, shop)

    def open_order_ids(self, shop: str) -> Iterator[str]:
        """Every open order of the shop, streamed in pages: no age or count limit."""
        return listing.order_ids(self._engine, shop, OrderState.OPEN)

    # Shops ------------------------------------------------------------------------------------

    def get_cursor(self, shop: str) -> datetime | None:
        with reading(self._engine) as connection:
            return shops.get_cursor(connection, shop)

    def set_cursor(self, shop: str, value: datetime) -> datetime:
        """Move the shop's cursor forward to `value`; an earlier value leaves it. Returns it."""
        value = as_utc("cursor", value)
        with writing(self._engine) as connection:
            return shops.set_cursor(connection, self._now(), _text("shop", shop), value)

    def get_backfill(self, shop: str) -> BackfillProgress | None:
        with reading(self._engine) as connection:
            return shops.get_backfill(connection, shop)

    def set_backfill(
        self, shop: str, since: datetime, until: datetime, position: datetime | None
    ) -> None:
        """Record a history load of [since, until) that got as far as `position` (None: start)."""
        since, until = as_utc("since", since), as_utc("until", until)
        if since > until:
            raise ValueError("backfill since must not be after until")
        if position is not None:
            position = as_utc("position", position)
        with writing(self._engine) as connection:
            shops.set_backfill(connection, self._now(), _text("shop", shop), since, until, position)

    def clear_backfill(self, shop: str) -> None:
        """Forget the shop's backfill, once it is complete."""
        with writing(self._engine) as connection:
            shops.set_backfill(connection, self._now(), _text("shop", shop), None, None, None)

    def get_failure_told(self, shop: str) -> FailureTold | None:
        """The system failure last told to the shop's notification channels, if any."""
        with reading(self._engine) as connection:
            return shops.get_failure_told(connection, shop)

    def set_failure_told(self, shop: str, failure: str | None) -> None:
        """Remember `failure` as told now (None: the shop's systems work again)."""
        with writing(self._engine) as connection:
            shops.set_failure_told(connection, self._now(), _text("shop", shop), failure)

    # Shop lock --------------------------------------------------------------------------------

    def acquire_shop_lock(
        self, shop: str, *, owner: str | None = None, ttl: timedelta = DEFAULT_LOCK_TTL
    ) -> locks.ShopLock:
        """Take the shop's lock (raise ShopLocked if held); the caller must release it."""
        return locks.acquire(
            self._engine,
            self._db_clock,
            _text("shop", shop),
            owner or locks.default_owner(),
            ttl,
        )

    def break_shop_lock(self, shop: str) -> bool:
        """End the shop's lease now, for an operator who knows its holder is dead (or a test);
        the holder, if alive, can change nothing more (fencing). True if there was a lock."""
        return locks.break_lock(self._engine, _text("shop", shop))

    def adopt_many(
        self, shop: str, items: Sequence[tuple[str, str, datetime, str]]
    ) -> int:
        """Orders the accounting system already holds (order_id, number, order_date,
        reference): new or open → sent with that reference, in one transaction. Returns how
        many changed; sending, sent, failed and skipped orders are left as they are."""
        now = self._now()
        shop = _text("shop", shop)
        with writing(self._engine) as connection:
            return sum(
                orders.adopt(
                    connection, now, shop, _text("order_id", order_id), _text("number", number),
                    as_utc("order_date", date), _text("reference", reference),
                )
                for order_id, number, date, reference in items
            )

    def has_history(self, shop: str) -> bool:
        """Whether the ledger knows anything of the shop: an order or a fetch cursor."""
        with reading(self._engine) as connection:
            return orders.any_order(connection, shop) or (
                shops.get_cursor(connection, shop) is not None
            )

    @contextmanager
    def shop_lock(
        self, shop: str, *, owner: str | None = None, ttl: timedelta = DEFAULT_LOCK_TTL
    ) -> Iterator[locks.ShopLock]:
        """`with ledger.shop_lock(shop, owner=…, ttl=…) as lock:` one pass per shop at a time.

        Raises ShopLocked when another live pass holds it. A pass that may outlive `ttl` calls
        `lock.refresh()` now and then; a lock whose owner died is taken over after its ttl.
        """
        lock = self.acquire_shop_lock(shop, owner=owner, ttl=ttl)
        try:
            yield lock
        finally:
            lock.release()
