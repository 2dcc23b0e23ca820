"""The ledger's set-based batch calls: a fixed number of SQL statements per batch, whatever its
size, and the same outcome, order by order, as the per-order calls (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mapper.engine.ledger import InvalidTransition, Ledger, LockLost, OrderState, UnknownOrder
from sqlalchemy import event
from sqlalchemy.engine import Engine

SHOP = "prestashop-demo"
VERSION = "ps-yuki@1"
ORDER_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
LATER = ORDER_DATE + timedelta(days=1)
START = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
SMALL, LARGE = 3, 120


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger.open(ledger_url, clock=FakeClock()) as opened:
        yield opened


class Statements:
    """SQL statements run by any Engine while `counting` (an executemany counts once)."""

    def __init__(self) -> None:
        self.count = 0

    def _counted(self, *_args: Any) -> None:
        self.count += 1

    def of(self, call: Callable[[], object]) -> int:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._counted)
        try:
            call()
        finally:
            event.remove(Engine, "before_cursor_execute", self._counted)
        return self.count


def ids(prefix: str, size: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(size)]


def items(order_ids: list[str], date: datetime = ORDER_DATE) -> list[tuple[str, str, datetime]]:
    return [(i, f"N{i}", date) for i in order_ids]


def open_orders(ledger: Ledger, order_ids: list[str]) -> None:
    ledger.observe_many(SHOP, [(i, f"N{i}", ORDER_DATE, "awaiting payment") for i in order_ids])


def sending(ledger: Ledger, order_ids: list[str]) -> None:
    assert set(ledger.claim_many(SHOP, items(order_ids), VERSION)) == set(order_ids)


# statements per batch: the same for 3 orders as for 120 ----------------------------------------


def counted(ledger: Ledger, size: int, prefix: str) -> dict[str, int]:
    """Statements of each batch call for `size` orders (new, open, sent, failed ones mixed)."""
    statements = Statements()
    fence = ledger.acquire_shop_lock(SHOP, owner=prefix).generation
    new, opened, done = ids(f"{prefix}new", size), ids(f"{prefix}open", size), ids(f"{prefix}d", size)
    counts = {
        "observe new": statements.of(lambda: open_orders(ledger, opened)),
        "observe changed": statements.of(
            lambda: ledger.observe_many(SHOP, [(i, f"M{i}", LATER, "paid?") for i in opened])
        ),
    }
    sending(ledger, done)
    ledger.mark_sent_many(SHOP, [(i, f"INV-{i}") for i in done], fence=None)
    counts["claim mixed"] = statements.of(
        lambda: ledger.claim_many(SHOP, items(new + opened + done), VERSION, fence=fence)
    )
    counts["mark sent"] = statements.of(
        lambda: ledger.mark_sent_many(SHOP, [(i, f"INV-{i}") for i in new], fence=fence)
    )
    counts["mark sent again"] = statements.of(
        lambda: ledger.mark_sent_many(SHOP, [(i, f"INV-{i}") for i in new], fence=fence)
    )
    counts["mark failed"] = statements.of(
        lambda: ledger.mark_failed_many(SHOP, [(i, "refused", "fix it") for i in opened], fence=fence)
    )
    turned_away = [(f"{prefix}x{n}", f"X{n}", ORDER_DATE, "no VAT", "fix it") for n in range(size)]
    counts["fail new"] = statements.of(lambda: ledger.fail_many(SHOP, turned_away, fence=fence))
    ledger.break_shop_lock(SHOP)
    return counts


def test_batch_statements_do_not_grow_with_the_batch(ledger: Ledger) -> None:
    small, large = counted(ledger, SMALL, "s"), counted(ledger, LARGE, "l")
    assert large == small
    assert all(count <= 8 for count in small.values()), small  # BEGIN … COMMIT included


# outcomes, order by order ------------------------------------------------------------------------


def test_claim_many_claims_new_open_and_requested_only(ledger: Ledger) -> None:
    open_orders(ledger, ["open", "failed", "again", "sent"])
    sending(ledger, ["busy", "failed", "again", "sent"])
    ledger.mark_sent_many(SHOP, [("sent", "INV-1")])
    ledger.mark_failed_many(SHOP, [("failed", "refused", "fix"), ("again", "refused", "fix")])
    assert ledger.request_reprocess(SHOP, ["again"]) == ["again"]

    claims = ledger.claim_many(
        SHOP, items(["new", "open", "busy", "sent", "failed", "again"], LATER), VERSION
    )

    assert set(claims) == {"new", "open", "again"}
    assert {i: (c.claimed_from, c.attempts) for i, c in claims.items()} == {
        "new": (OrderState.OPEN, 1),
        "open": (OrderState.OPEN, 1),
        "again": (OrderState.FAILED, 2),
    }
    for order_id in claims:
        record = ledger.get_order(SHOP, order_id)
        assert record is not None and record.state is OrderState.SENDING
        assert (record.number, record.order_date) == (f"N{order_id}", LATER)
        assert record.reason == ("refused" if order_id == "again" else None)
    assert ledger.get_order(SHOP, "busy").attempts == 1


def test_claim_many_records_the_fence_and_refuses_a_lost_one(ledger: Ledger) -> None:
    lock = ledger.acquire_shop_lock(SHOP)
    ledger.claim_many(SHOP, items(["1"]), VERSION, fence=lock.generation)
    ledger.break_shop_lock(SHOP)
    ledger.acquire_shop_lock(SHOP, owner="the next pass")
    with pytest.raises(LockLost):
        ledger.claim_many(SHOP, items(["2"]), VERSION, fence=lock.generation)
    with pytest.raises(LockLost):
        ledger.mark_sent_many(SHOP, [("1", "INV-1")], fence=lock.generation)
    with pytest.raises(LockLost):
        ledger.mark_failed_many(SHOP, [("1", "no", "fix")], fence=lock.generation)
    assert ledger.get_order(SHOP, "2") is None
    assert ledger.get_order(SHOP, "1").state is OrderState.SENDING


def test_observe_many_follows_only_open_orders(ledger: Ledger) -> None:
    open_orders(ledger, ["a", "b"])
    sending(ledger, ["c"])
    before_c = ledger.get_order(SHOP, "c")
    before_b = ledger.get_order(SHOP, "b")

    ledger.observe_many(
        SHOP,
        [
            ("a", "Na-2", LATER, "still awaiting payment"),
            ("b", "Nb", ORDER_DATE, None),  # no shop state given: unchanged, so untouched
            ("c", "Nc-2", LATER, "whatever"),
            ("d", "Nd", ORDER_DATE, None),
        ],
    )

    a = ledger.get_order(SHOP, "a")
    assert a is not None and (a.number, a.order_date, a.reason) == (
        "Na-2", LATER, "still awaiting payment",
    )
    assert ledger.get_order(SHOP, "b") == before_b
    assert ledger.get_order(SHOP, "c") == before_c
    d = ledger.get_order(SHOP, "d")
    assert d is not None and d.state is OrderState.OPEN and d.attempts == 0 and d.reason is None


def test_mark_sent_many_refuses_as_mark_sent_does(ledger: Ledger) -> None:
    sending(ledger, ["1", "2"])
    with pytest.raises(InvalidTransition):
        ledger.mark_sent_many(SHOP, [("1", "INV-1"), ("1", "INV-other")])
    with pytest.raises(UnknownOrder):
        ledger.mark_sent_many(SHOP, [("1", "INV-1"), ("ghost", "INV-x")])
    assert {r.state for r in ledger.get_orders(SHOP, ["1", "2"]).values()} == {OrderState.SENDING}


def test_mark_failed_many_is_all_or_nothing(ledger: Ledger) -> None:
    sending(ledger, ["1", "2"])
    ledger.mark_sent_many(SHOP, [("2", "INV-2")])
    with pytest.raises(InvalidTransition):
        ledger.mark_failed_many(SHOP, [("1", "refused", "fix"), ("2", "refused", "fix")])
    with pytest.raises(UnknownOrder):
        ledger.mark_failed_many(SHOP, [("1", "refused", "fix"), ("ghost", "refused", "fix")])
    assert ledger.get_order(SHOP, "1").state is OrderState.SENDING

    marked = ledger.mark_failed_many(SHOP, [("1", "refused", "fix it")])
    assert marked["1"] == ledger.get_order(SHOP, "1")
    assert (marked["1"].state, marked["1"].reason, marked["1"].resolution) == (
        OrderState.FAILED, "refused", "fix it",
    )


def test_fail_many_records_new_and_open_orders_in_errors(ledger: Ledger) -> None:
    open_orders(ledger, ["open"])
    failed = ledger.fail_many(
        SHOP,
        [
            ("new", "Nnew", ORDER_DATE, "VAT number invalid", "Fix it"),
            ("open", "Nopen-2", LATER, "no country", "Fix the address"),
        ],
    )
    assert set(failed) == {"new", "open"}
    assert failed["open"].number == "Nopen-2" and failed["open"].order_date == LATER
    for order_id, record in failed.items():
        assert record == ledger.get_order(SHOP, order_id)
        assert record.state is OrderState.FAILED and record.attempts == 0
