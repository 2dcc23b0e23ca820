"""The ledger's batch calls: get_orders, claim_many and mark_sent_many on a real SQLite file.

Each follows the rules of its per-order call exactly, in one transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from mapper.engine.ledger import InvalidTransition, Ledger, OrderRecord, OrderState, UnknownOrder
from mapper.engine.ledger import orders as order_statements

SHOP = "prestashop-demo"
OTHER_SHOP = "lightspeed-demo"
VERSION = "ps-yuki@1"
ORDER_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
START = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    """Every call is a little later, so updates are ordered."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def url(ledger_url: str) -> str:
    return ledger_url  # a new SQLite file, then a new PostgreSQL schema (tests/conftest.py)


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    with Ledger.open(url, clock=FakeClock()) as opened:
        yield opened


def item(order_id: str) -> tuple[str, str, datetime]:
    return order_id, f"N{order_id}", ORDER_DATE


def in_state(ledger: Ledger, order_id: str, state: OrderState) -> OrderRecord:
    """An order brought into `state` through the per-order API."""
    ledger.observe(SHOP, order_id, f"N{order_id}", ORDER_DATE, sendable=False)
    if state is not OrderState.OPEN:
        assert ledger.claim(SHOP, *item(order_id), VERSION) is not None
    if state is OrderState.SENT:
        ledger.mark_sent(SHOP, order_id, f"INV-{order_id}")
    elif state is OrderState.FAILED:
        ledger.mark_failed(SHOP, order_id, "VAT number invalid", resolution="Fix it")
    elif state is OrderState.SKIPPED:
        ledger.mark_skipped(SHOP, order_id, "order total is zero")
    return ledger.get_order(SHOP, order_id) or pytest.fail("not recorded")


def state_of(ledger: Ledger, order_id: str) -> OrderState | None:
    record = ledger.get_order(SHOP, order_id)
    return None if record is None else record.state


# get_orders ----------------------------------------------------------------------------------


def test_get_orders_returns_the_recorded_ones_by_id(ledger: Ledger) -> None:
    in_state(ledger, "1", OrderState.OPEN)
    in_state(ledger, "2", OrderState.SENT)
    ledger.observe(OTHER_SHOP, "3", "N3", ORDER_DATE, sendable=False)

    found = ledger.get_orders(SHOP, ["1", "2", "3", "unknown", "1"])

    assert set(found) == {"1", "2"}
    assert found["1"] == ledger.get_order(SHOP, "1")
    assert found["2"].state is OrderState.SENT and found["2"].target_reference == "INV-2"
    assert ledger.get_orders(SHOP, []) == {}


def test_get_orders_reads_many_ids_in_chunks(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_statements, "_IN_CHUNK", 3)
    ids = [str(100 + n) for n in range(8)]
    for order_id in ids[::2]:
        in_state(ledger, order_id, OrderState.OPEN)
    assert sorted(ledger.get_orders(SHOP, iter(ids))) == ids[::2]


# claim_many ----------------------------------------------------------------------------------


def test_claim_many_claims_new_open_and_reprocessed_failed_orders(ledger: Ledger) -> None:
    in_state(ledger, "open", OrderState.OPEN)
    in_state(ledger, "again", OrderState.FAILED)
    assert ledger.request_reprocess(SHOP, ["again"]) == ["again"]

    claims = ledger.claim_many(SHOP, [item("new"), item("open"), item("again")], VERSION)

    assert set(claims) == {"new", "open", "again"}
    assert claims["new"].claimed_from is OrderState.OPEN and claims["new"].attempts == 1
    assert claims["open"].claimed_from is OrderState.OPEN and claims["open"].attempts == 1
    assert claims["again"].claimed_from is OrderState.FAILED and claims["again"].attempts == 2
    for order_id, claimed in claims.items():
        record = ledger.get_order(SHOP, order_id)
        assert record is not None
        assert record.state is OrderState.SENDING
        assert not record.reprocess_requested
        assert record.rule_version == VERSION == claimed.rule_version
        assert record.attempts == claimed.attempts
        assert (claimed.number, claimed.order_date) == (f"N{order_id}", ORDER_DATE)


@pytest.mark.parametrize(
    "state", [OrderState.SENDING, OrderState.SENT, OrderState.FAILED, OrderState.SKIPPED]
)
def test_claim_many_leaves_out_what_claim_refuses(ledger: Ledger, state: OrderState) -> None:
    before = in_state(ledger, "taken", state)

    claims = ledger.claim_many(SHOP, [item("taken"), item("free")], VERSION)

    assert set(claims) == {"free"}
    assert ledger.get_order(SHOP, "taken") == before  # untouched: state, attempts, times
    assert state_of(ledger, "free") is OrderState.SENDING


def test_claim_many_claims_an_order_given_twice_once(ledger: Ledger) -> None:
    claims = ledger.claim_many(SHOP, [item("7"), item("7")], VERSION)
    assert list(claims) == ["7"]
    record = ledger.get_order(SHOP, "7")
    assert record is not None and record.attempts == 1


def test_claim_many_takes_the_shops_current_number_and_date(ledger: Ledger) -> None:
    in_state(ledger, "8", OrderState.OPEN)
    later = ORDER_DATE + timedelta(days=1)
    claims = ledger.claim_many(SHOP, [("8", "N8-b", later)], VERSION)
    assert (claims["8"].number, claims["8"].order_date) == ("N8-b", later)


def test_claim_many_with_the_records_read_before_claims_the_same(ledger: Ledger) -> None:
    """The pipeline hands claim_many what get_orders read: those rows are not inserted again
    and keep their number and date unless the shop changed them; the database still decides
    (an order sent since it was read is not claimed)."""
    for order_id in ("30", "31", "32"):
        in_state(ledger, order_id, OrderState.OPEN)
    recorded = ledger.get_orders(SHOP, ["30", "31", "32"])
    ledger.claim(SHOP, *item("32"), VERSION)  # another worker, after the read
    later = ORDER_DATE + timedelta(days=1)

    claims = ledger.claim_many(
        SHOP, [item("30"), ("31", "N31-b", later), item("32"), item("new")], VERSION,
        recorded=recorded,
    )

    assert set(claims) == {"30", "31", "new"}
    assert (claims["31"].number, claims["31"].order_date) == ("N31-b", later)
    for order_id, number, date in [("30", "N30", ORDER_DATE), ("31", "N31-b", later)]:
        record = ledger.get_order(SHOP, order_id)
        assert record is not None and record.state is OrderState.SENDING
        assert (record.number, record.order_date, record.attempts) == (number, date, 1)
    again = ledger.get_order(SHOP, "32")
    assert again is not None and again.attempts == 1  # claimed once, by the other worker


def test_claim_many_is_committed_before_it_returns(ledger: Ledger, url: str) -> None:
    ledger.claim_many(SHOP, [item("20"), item("21")], VERSION)
    with Ledger.open(url) as elsewhere:  # another connection, as another process would see it
        found = elsewhere.get_orders(SHOP, ["20", "21"])
        assert {r.state for r in found.values()} == {OrderState.SENDING}
        assert elsewhere.claim_many(SHOP, [item("20"), item("21")], VERSION) == {}


def test_claim_many_of_nothing(ledger: Ledger) -> None:
    assert ledger.claim_many(SHOP, [], VERSION) == {}


def test_claim_many_refuses_bad_input_before_claiming_any(ledger: Ledger) -> None:
    naive = datetime(2024, 3, 14, 9, 30)
    with pytest.raises(ValueError):
        ledger.claim_many(SHOP, [item("30"), ("31", "N31", naive)], VERSION)
    with pytest.raises(ValueError):
        ledger.claim_many(SHOP, [item("30"), ("", "N", ORDER_DATE)], VERSION)
    with pytest.raises(ValueError):
        ledger.claim_many(SHOP, [item("30")], "")
    assert state_of(ledger, "30") is None


def test_claim_many_stores_times_as_utc(ledger: Ledger) -> None:
    amsterdam = timezone(timedelta(hours=1))
    claims = ledger.claim_many(SHOP, [("40", "N40", ORDER_DATE.astimezone(amsterdam))], VERSION)
    assert claims["40"].order_date == ORDER_DATE and claims["40"].order_date.tzinfo == UTC


def test_claim_many_is_all_or_nothing(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    before = in_state(ledger, "51", OrderState.OPEN)

    def failing(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the database went away")

    # "50" is inserted first; binding the UPDATE that claims the recorded "51" then fails.
    monkeypatch.setattr(order_statements, "_by_id_values", failing)
    with pytest.raises(RuntimeError):
        ledger.claim_many(SHOP, [item("50"), item("51")], VERSION)
    assert state_of(ledger, "50") is None
    assert ledger.get_order(SHOP, "51") == before


# mark_sent_many ------------------------------------------------------------------------------


def test_mark_sent_many(ledger: Ledger) -> None:
    ledger.claim_many(SHOP, [item("60"), item("61")], VERSION)

    records = ledger.mark_sent_many(SHOP, [("60", "INV-60"), ("61", "INV-61")])

    assert set(records) == {"60", "61"}
    for order_id, record in records.items():
        assert record == ledger.get_order(SHOP, order_id)
        assert record.state is OrderState.SENT
        assert record.target_reference == f"INV-{order_id}"
        assert record.sent_at is not None and record.attempts == 1
    assert ledger.mark_sent_many(SHOP, []) == {}


def test_mark_sent_many_repeated_is_harmless(ledger: Ledger) -> None:
    ledger.claim_many(SHOP, [item("62")], VERSION)
    first = ledger.mark_sent_many(SHOP, [("62", "INV-62")])
    assert ledger.mark_sent_many(SHOP, [("62", "INV-62")]) == first


def test_record_sent_many_makes_the_same_change_without_reading_it_back(ledger: Ledger) -> None:
    ledger.claim_many(SHOP, [item("63"), item("64")], VERSION)
    ledger.claim_many(SHOP, [item("65"), item("66")], VERSION)

    assert ledger.record_sent_many(SHOP, [("63", "INV-63"), ("64", "INV-64")]) is None
    marked = ledger.mark_sent_many(SHOP, [("65", "INV-65"), ("66", "INV-66")])

    for order_id in ("63", "64"):
        record = ledger.get_order(SHOP, order_id)
        assert record is not None and record.state is OrderState.SENT
        assert record.target_reference == f"INV-{order_id}" and record.sent_at is not None
        assert record.reason is None and record.attempts == 1
    assert set(marked) == {"65", "66"}
    ledger.record_sent_many(SHOP, [("63", "INV-63")])  # repeated: harmless


MARK_SENT = [Ledger.mark_sent_many, Ledger.record_sent_many]


@pytest.mark.parametrize("mark", MARK_SENT, ids=["records", "none back"])
@pytest.mark.parametrize("state", [OrderState.OPEN, OrderState.FAILED, OrderState.SKIPPED])
def test_mark_sent_many_is_all_or_nothing(ledger: Ledger, state: OrderState, mark: Any) -> None:
    ledger.claim_many(SHOP, [item("70")], VERSION)
    unclaimed = in_state(ledger, "71", state)

    with pytest.raises(InvalidTransition):
        mark(ledger, SHOP, [("70", "INV-70"), ("71", "INV-71")])

    assert state_of(ledger, "70") is OrderState.SENDING  # rolled back with the refused one
    assert ledger.get_order(SHOP, "71") == unclaimed


@pytest.mark.parametrize("mark", MARK_SENT, ids=["records", "none back"])
def test_mark_sent_many_refuses_another_reference_and_unknown_orders(
    ledger: Ledger, mark: Any
) -> None:
    ledger.claim_many(SHOP, [item("80"), item("81")], VERSION)
    mark(ledger, SHOP, [("80", "INV-80")])
    with pytest.raises(InvalidTransition):
        mark(ledger, SHOP, [("81", "INV-81"), ("80", "INV-other")])
    with pytest.raises(UnknownOrder):
        mark(ledger, SHOP, [("81", "INV-81"), ("nobody", "INV-x")])
    assert state_of(ledger, "81") is OrderState.SENDING
    record = ledger.get_order(SHOP, "80")
    assert record is not None and record.target_reference == "INV-80"
