"""The ledger's order state machine on a real SQLite file: every transition, allowed or refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from mapper.engine.ledger import (
    Claim,
    InvalidTransition,
    Ledger,
    OrderRecord,
    OrderState,
    UnknownOrder,
    listing,
)
from mapper.engine.ledger import orders as order_statements

SHOP = "prestashop-demo"
OTHER_SHOP = "lightspeed-demo"
ORDER_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
START = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand: every call is a little later, so updates are ordered."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def url(ledger_url: str) -> str:
    return ledger_url  # a new SQLite file, then a new PostgreSQL schema (tests/conftest.py)


@pytest.fixture
def ledger(url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger.open(url, clock=clock) as opened:
        yield opened


def seen(ledger: Ledger, order_id: str, shop: str = SHOP, number: str | None = None) -> OrderRecord:
    return ledger.observe(shop, order_id, number or f"N{order_id}", ORDER_DATE, sendable=False)


def claim(
    ledger: Ledger, order_id: str, shop: str = SHOP, version: str = "ps-yuki@1"
) -> Claim | None:
    return ledger.claim(shop, order_id, f"N{order_id}", ORDER_DATE, version)


def in_state(ledger: Ledger, order_id: str, state: OrderState) -> OrderRecord:
    """An order brought into `state` through the public API."""
    seen(ledger, order_id)
    if state is OrderState.OPEN:
        return ledger.get_order(SHOP, order_id) or pytest.fail("not recorded")
    assert claim(ledger, order_id) is not None
    if state is OrderState.SENT:
        return ledger.mark_sent(SHOP, order_id, f"INV-{order_id}")
    if state is OrderState.FAILED:
        return ledger.mark_failed(SHOP, order_id, "VAT number invalid", resolution="Fix it")
    if state is OrderState.SKIPPED:
        return ledger.mark_skipped(SHOP, order_id, "order total is zero")
    return ledger.get_order(SHOP, order_id) or pytest.fail("not recorded")


# observe -------------------------------------------------------------------------------------


def test_a_new_order_is_recorded_open(ledger: Ledger, clock: FakeClock) -> None:
    record = seen(ledger, "101")
    assert record.state is OrderState.OPEN
    assert (record.shop, record.order_id, record.number) == (SHOP, "101", "N101")
    assert record.order_date == ORDER_DATE
    assert record.attempts == 0
    assert record.first_seen_at == record.updated_at == clock.now
    assert record.sent_at is None
    assert record.target_reference is None and record.reason is None


def test_a_sendable_new_order_is_recorded_open_until_claimed(ledger: Ledger) -> None:
    record = ledger.observe(SHOP, "102", "N102", ORDER_DATE, sendable=True)
    assert record.state is OrderState.OPEN
    assert list(ledger.open_order_ids(SHOP)) == ["102"]


def test_observing_an_open_order_follows_its_number_and_date(ledger: Ledger) -> None:
    first = seen(ledger, "103")
    same = seen(ledger, "103")
    assert same == first  # nothing changed, nothing written
    later = ORDER_DATE + timedelta(hours=1)
    changed = ledger.observe(SHOP, "103", "RENUMBERED", later, sendable=False)
    assert (changed.number, changed.order_date) == ("RENUMBERED", later)
    assert changed.updated_at > first.updated_at
    assert changed.first_seen_at == first.first_seen_at


@pytest.mark.parametrize(
    "state", [OrderState.SENDING, OrderState.SENT, OrderState.FAILED, OrderState.SKIPPED]
)
def test_observing_never_moves_an_order_back_to_open(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "104", state)
    after = ledger.observe(SHOP, "104", "OTHER", ORDER_DATE, sendable=False)
    assert after == before
    assert list(ledger.open_order_ids(SHOP)) == []


def test_orders_are_keyed_by_shop_and_order_id(ledger: Ledger) -> None:
    seen(ledger, "105", shop=SHOP)
    seen(ledger, "105", shop=OTHER_SHOP)
    assert claim(ledger, "105", shop=SHOP) is not None
    assert claim(ledger, "105", shop=OTHER_SHOP) is not None
    # Same number for two orders (PrestaShop split carts share a reference): both are claimed.
    ledger.observe(SHOP, "106", "SAMEREF", ORDER_DATE, sendable=True)
    ledger.observe(SHOP, "107", "SAMEREF", ORDER_DATE, sendable=True)
    assert claim(ledger, "106") is not None and claim(ledger, "107") is not None


# claim ---------------------------------------------------------------------------------------


def test_claiming_an_unseen_order_records_it_sending(ledger: Ledger, clock: FakeClock) -> None:
    got = claim(ledger, "201", version="ps-yuki@3")
    assert got is not None
    assert (got.shop, got.order_id, got.number, got.rule_version) == (
        SHOP,
        "201",
        "N201",
        "ps-yuki@3",
    )
    assert got.attempts == 1 and got.claimed_from is OrderState.OPEN
    assert got.claimed_at == clock.now
    record = ledger.get_order(SHOP, "201")
    assert record is not None and record.state is OrderState.SENDING
    assert record.rule_version == "ps-yuki@3" and record.attempts == 1


def test_claiming_an_open_order(ledger: Ledger) -> None:
    seen(ledger, "202")
    got = claim(ledger, "202")
    assert got is not None and got.attempts == 1 and got.claimed_from is OrderState.OPEN
    assert ledger.counts(SHOP)[OrderState.SENDING] == 1


@pytest.mark.parametrize(
    "state", [OrderState.SENDING, OrderState.SENT, OrderState.FAILED, OrderState.SKIPPED]
)
def test_claim_refuses_orders_that_are_taken_or_done(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "203", state)
    assert claim(ledger, "203") is None
    assert ledger.get_order(SHOP, "203") == before


def test_a_failed_order_is_claimed_again_after_a_reprocess_request(ledger: Ledger) -> None:
    in_state(ledger, "204", OrderState.FAILED)
    assert ledger.request_reprocess(SHOP, ["204"]) == ["204"]
    assert ledger.get_order(SHOP, "204").reprocess_requested  # type: ignore[union-attr]
    got = claim(ledger, "204", version="ps-yuki@4")
    assert got is not None
    assert got.attempts == 2 and got.claimed_from is OrderState.FAILED
    record = ledger.get_order(SHOP, "204")
    assert record is not None and record.state is OrderState.SENDING
    assert not record.reprocess_requested and record.rule_version == "ps-yuki@4"
    assert claim(ledger, "204") is None  # one request, one claim


def test_a_claim_is_committed_before_it_returns(ledger: Ledger, url: str) -> None:
    assert claim(ledger, "205") is not None
    with Ledger.open(url) as elsewhere:  # another connection, as another process would see it
        record = elsewhere.get_order(SHOP, "205")
        assert record is not None and record.state is OrderState.SENDING
        assert elsewhere.claim(SHOP, "205", "N205", ORDER_DATE, "v") is None


# outcomes ------------------------------------------------------------------------------------


def test_mark_sent(ledger: Ledger, clock: FakeClock) -> None:
    in_state(ledger, "301", OrderState.SENDING)
    record = ledger.mark_sent(SHOP, "301", "INV-2024-0042")
    assert record.state is OrderState.SENT
    assert record.target_reference == "INV-2024-0042"
    assert record.sent_at == record.updated_at == clock.now
    # The same outcome reported twice (a retried call) changes nothing.
    assert ledger.mark_sent(SHOP, "301", "INV-2024-0042") == record
    with pytest.raises(InvalidTransition, match="is sent; cannot mark it sent as 'OTHER'"):
        ledger.mark_sent(SHOP, "301", "OTHER")


def test_mark_sent_clears_the_error_of_a_reprocessed_order(ledger: Ledger) -> None:
    in_state(ledger, "302", OrderState.FAILED)
    ledger.request_reprocess(SHOP, ["302"])
    claim(ledger, "302")
    record = ledger.mark_sent(SHOP, "302", "INV-1")
    assert record.reason is None and record.resolution is None


@pytest.mark.parametrize("state", [OrderState.OPEN, OrderState.FAILED, OrderState.SKIPPED])
def test_mark_sent_needs_a_claim(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "303", state)
    with pytest.raises(InvalidTransition) as refused:
        ledger.mark_sent(SHOP, "303", "INV-9")
    assert (
        str(refused.value)
        == f"order 303 of shop {SHOP!r} is {state}; cannot mark it sent as 'INV-9'"
    )
    assert ledger.get_order(SHOP, "303") == before


@pytest.mark.parametrize(
    "action",
    [
        lambda ledger: ledger.mark_sent(SHOP, "404", "INV"),
        lambda ledger: ledger.mark_failed(SHOP, "404", "r", resolution="x"),
        lambda ledger: ledger.mark_skipped(SHOP, "404", "r"),
        lambda ledger: ledger.release(SHOP, "404"),
    ],
)
def test_outcomes_of_unknown_orders_are_refused(
    ledger: Ledger, action: Callable[[Ledger], object]
) -> None:
    with pytest.raises(UnknownOrder, match=f"order 404 of shop {SHOP!r} is not in the ledger"):
        action(ledger)


@pytest.mark.parametrize("state", [OrderState.OPEN, OrderState.SENDING, OrderState.FAILED])
def test_mark_failed(ledger: Ledger, state: OrderState) -> None:
    in_state(ledger, "304", state)
    record = ledger.mark_failed(
        SHOP, "304", "Yuki: VAT code 4 unknown", resolution="Add VAT code 4 in Yuki, then reprocess"
    )
    assert record.state is OrderState.FAILED
    assert record.reason == "Yuki: VAT code 4 unknown"
    assert record.resolution == "Add VAT code 4 in Yuki, then reprocess"


@pytest.mark.parametrize("state", [OrderState.SENT, OrderState.SKIPPED])
def test_mark_failed_refuses_finished_orders(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "305", state)
    with pytest.raises(InvalidTransition, match=f"is {state}; cannot mark it failed"):
        ledger.mark_failed(SHOP, "305", "late error", resolution="none")
    assert ledger.get_order(SHOP, "305") == before


@pytest.mark.parametrize(
    "state", [OrderState.OPEN, OrderState.SENDING, OrderState.FAILED, OrderState.SKIPPED]
)
def test_mark_skipped(ledger: Ledger, state: OrderState) -> None:
    in_state(ledger, "306", state)
    record = ledger.mark_skipped(SHOP, "306", "cancelled in the shop")
    assert record.state is OrderState.SKIPPED
    assert record.reason == "cancelled in the shop" and record.resolution is None


def test_mark_skipped_refuses_a_sent_order(ledger: Ledger) -> None:
    before = in_state(ledger, "307", OrderState.SENT)
    with pytest.raises(InvalidTransition, match="is sent; cannot mark it skipped"):
        ledger.mark_skipped(SHOP, "307", "cancelled")
    assert ledger.get_order(SHOP, "307") == before


def test_release_puts_a_claimed_open_order_back(ledger: Ledger) -> None:
    in_state(ledger, "308", OrderState.SENDING)
    record = ledger.release(SHOP, "308")
    assert record.state is OrderState.OPEN and record.attempts == 1
    again = claim(ledger, "308")
    assert again is not None and again.attempts == 2


def test_release_keeps_a_reprocess_request_standing(ledger: Ledger) -> None:
    in_state(ledger, "309", OrderState.FAILED)
    ledger.request_reprocess(SHOP, ["309"])
    claim(ledger, "309")
    record = ledger.release(SHOP, "309")
    assert record.state is OrderState.FAILED and record.reprocess_requested
    assert record.reason == "VAT number invalid"
    assert list(ledger.reprocess_order_ids(SHOP)) == ["309"]
    assert claim(ledger, "309") is not None


@pytest.mark.parametrize(
    "state", [OrderState.OPEN, OrderState.SENT, OrderState.FAILED, OrderState.SKIPPED]
)
def test_release_refuses_orders_not_being_sent(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "310", state)
    with pytest.raises(InvalidTransition, match=f"is {state}; cannot release it"):
        ledger.release(SHOP, "310")
    assert ledger.get_order(SHOP, "310") == before


# stuck, reprocess ----------------------------------------------------------------------------


def test_stuck_sending_finds_orders_left_by_a_crash(ledger: Ledger, clock: FakeClock) -> None:
    in_state(ledger, "401", OrderState.SENDING)
    clock.advance(timedelta(minutes=30))
    in_state(ledger, "402", OrderState.SENDING)
    in_state(ledger, "403", OrderState.SENT)
    ledger.claim(OTHER_SHOP, "401", "N", ORDER_DATE, "v")
    clock.advance(timedelta(minutes=5))
    assert [r.order_id for r in ledger.stuck_sending(SHOP)] == ["401", "402"]
    assert [r.order_id for r in ledger.stuck_sending(SHOP, timedelta(minutes=10))] == ["401"]
    assert ledger.stuck_sending(SHOP, timedelta(hours=1)) == []


def test_request_reprocess_accepts_only_failed_orders(ledger: Ledger) -> None:
    for order_id, state in [
        ("501", OrderState.FAILED),
        ("502", OrderState.SENT),
        ("503", OrderState.OPEN),
        ("504", OrderState.FAILED),
        ("505", OrderState.SKIPPED),
        ("506", OrderState.SENDING),
    ]:
        in_state(ledger, order_id, state)
    accepted = ledger.request_reprocess(
        SHOP, ["504", "502", "503", "501", "504", "999", "505", "506"]
    )
    assert accepted == ["504", "501"]
    assert ledger.request_reprocess(OTHER_SHOP, ["501"]) == []
    assert list(ledger.reprocess_order_ids(SHOP)) == ["501", "504"]


def test_request_reprocess_of_many_orders(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_statements, "_IN_CHUNK", 3)
    ids = [str(600 + n) for n in range(8)]
    for order_id in ids:
        in_state(ledger, order_id, OrderState.FAILED if int(order_id) % 2 else OrderState.SENT)
    assert ledger.request_reprocess(SHOP, iter(ids)) == [i for i in ids if int(i) % 2]


# lists ---------------------------------------------------------------------------------------


def test_lists_show_the_newest_change_first(ledger: Ledger) -> None:
    for order_id in ["701", "702", "703"]:
        in_state(ledger, order_id, OrderState.SENT)
    in_state(ledger, "704", OrderState.FAILED)
    seen(ledger, "705")
    seen(ledger, "706", shop=OTHER_SHOP)
    reporting = ledger.list_orders(SHOP, OrderState.SENT)
    assert [r.order_id for r in reporting] == ["703", "702", "701"]
    assert [r.order_id for r in ledger.list_orders(SHOP, [OrderState.SENT, OrderState.FAILED])] == [
        "704",
        "703",
        "702",
        "701",
    ]
    assert [r.order_id for r in ledger.list_orders(SHOP, OrderState.OPEN)] == ["705"]
    assert [r.order_id for r in ledger.list_orders(SHOP, OrderState.SENT, limit=2)] == [
        "703",
        "702",
    ]
    assert list(ledger.list_orders(SHOP, OrderState.SENT, limit=0)) == []
    assert [(r.shop, r.order_id) for r in ledger.list_orders(None, limit=2)] == [
        (OTHER_SHOP, "706"),
        (SHOP, "705"),
    ]
    assert len(list(ledger.list_orders())) == 6


def test_lists_are_read_in_pages(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 3)
    ids = [f"{800 + n}" for n in range(10)]
    for order_id in ids:
        seen(ledger, order_id)
    assert [r.order_id for r in ledger.list_orders(SHOP)] == ids[::-1]
    assert [r.order_id for r in ledger.list_orders(SHOP, limit=7)] == ids[::-1][:7]
    assert list(ledger.open_order_ids(SHOP)) == ids


def test_orders_claimed_while_streaming_open_ids_are_each_seen_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    ids = [f"{900 + n}" for n in range(11)]
    for order_id in ids:
        seen(ledger, order_id)
    visited = []
    for order_id in ledger.open_order_ids(SHOP):
        visited.append(order_id)
        assert claim(ledger, order_id) is not None
    assert visited == ids
    visited_records = [r.order_id for r in ledger.list_orders(SHOP)]
    for order_id in visited_records:
        ledger.mark_sent(SHOP, order_id, f"INV-{order_id}")
    assert sorted(visited_records) == ids


def test_counts(ledger: Ledger) -> None:
    in_state(ledger, "1001", OrderState.SENT)
    in_state(ledger, "1002", OrderState.SENT)
    in_state(ledger, "1003", OrderState.FAILED)
    seen(ledger, "1004")
    seen(ledger, "1005", shop=OTHER_SHOP)
    assert ledger.counts(SHOP) == {
        OrderState.OPEN: 1,
        OrderState.SENDING: 0,
        OrderState.SENT: 2,
        OrderState.FAILED: 1,
        OrderState.SKIPPED: 0,
    }
    assert ledger.counts()[OrderState.OPEN] == 2
    assert sum(ledger.counts("no-such-shop").values()) == 0


def test_open_order_ids_of_one_shop_only(ledger: Ledger) -> None:
    seen(ledger, "1101")
    seen(ledger, "1102", shop=OTHER_SHOP)
    in_state(ledger, "1103", OrderState.FAILED)
    assert list(ledger.open_order_ids(SHOP)) == ["1101"]
    assert list(ledger.open_order_ids(OTHER_SHOP)) == ["1102"]


# values --------------------------------------------------------------------------------------


def test_times_come_back_as_aware_utc(ledger: Ledger) -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    local = datetime(2024, 7, 1, 14, 5, 6, 789, tzinfo=amsterdam_summer)
    record = ledger.observe(SHOP, "1201", "N", local, sendable=False)
    assert record.order_date == local
    assert record.order_date.tzinfo is UTC
    assert record.order_date.hour == 12 and record.order_date.microsecond == 789


def test_naive_times_and_empty_ids_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="order_date must be timezone-aware"):
        ledger.observe(SHOP, "1301", "N", datetime(2024, 1, 1), sendable=False)
    with pytest.raises(ValueError, match="order_id must be a non-empty string"):
        ledger.observe(SHOP, "", "N", ORDER_DATE, sendable=False)
    with pytest.raises(ValueError, match="rule_version must be a non-empty string"):
        ledger.claim(SHOP, "1301", "N", ORDER_DATE, "")
    with pytest.raises(ValueError, match="resolution must be a non-empty string"):
        ledger.mark_failed(SHOP, "1301", "reason", resolution="")
    assert ledger.get_order(SHOP, "1301") is None


def test_records_survive_reopening(url: str, clock: FakeClock) -> None:
    with Ledger.open(url, clock=clock) as ledger:
        in_state(ledger, "1401", OrderState.SENT)
        before = ledger.get_order(SHOP, "1401")
    with Ledger.open(url, clock=clock) as ledger:
        assert ledger.get_order(SHOP, "1401") == before
