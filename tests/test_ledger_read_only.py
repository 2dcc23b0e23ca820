"""`Ledger.open(create=False)` for read-only commands, and the shop state an Open order keeps."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mapper.engine.ledger import Ledger, NoLedger, OrderState

SHOP = "webshop"
ORDER_DATE = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
NOT_PAID = "order state 1 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
ON_BACKORDER_UNPAID = "order state 10 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
HINT = "(run `mapper sync` first, or check `ledger:` in mapper.yaml)"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- create=False ----------------------------------------------------------------------------
def test_a_missing_file_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "ledgr.db"
    with pytest.raises(NoLedger) as raised:
        Ledger.open(f"sqlite:///{path}", create=False)
    assert str(raised.value) == f"no ledger at '{path}' {HINT}"
    assert raised.value.exit_code == 2
    assert _files(tmp_path) == []


def test_a_bare_path_is_refused_the_same(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with pytest.raises(NoLedger, match="^no ledger at "):
        Ledger.open(str(path), create=False)
    assert not path.exists()


def test_a_file_that_is_no_ledger_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "shop.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE products (id INTEGER)")
    before = other.read_bytes()
    with pytest.raises(NoLedger) as raised:
        Ledger.open(f"sqlite:///{other}", create=False)
    assert str(raised.value) == f"no ledger at '{other}' {HINT}"
    assert other.read_bytes() == before
    with sqlite3.connect(other) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert tables == ["products"]
    assert mode == "delete"  # not switched to WAL either
    assert _files(tmp_path) == ["shop.db"]


def test_an_empty_file_stays_empty(tmp_path: Path) -> None:
    empty = tmp_path / "ledger.db"
    empty.touch()
    with pytest.raises(NoLedger):
        Ledger.open(f"sqlite:///{empty}", create=False)
    assert empty.stat().st_size == 0


def test_an_existing_ledger_opens_read_only_with_its_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=NOT_PAID)
    with Ledger.open(url, create=False) as ledger:
        record = ledger.get_order(SHOP, "1042")
    assert record is not None
    assert (record.number, record.state, record.reason) == ("QWZTRPLMX", OrderState.OPEN, NOT_PAID)


def test_create_is_still_the_default(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ledger.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        assert ledger.counts()[OrderState.OPEN] == 0
    assert path.is_file()


# -- the shop state of an Open order ------------------------------------------------------------
def _ledger(url: str, clock: Clock) -> Ledger:
    return Ledger.open(url, clock=clock)


def test_the_shop_state_is_kept_and_follows_the_shop(ledger_url: str) -> None:
    clock = Clock()
    first_seen = clock.now
    with _ledger(ledger_url, clock) as ledger:
        ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=NOT_PAID)
        clock.now += timedelta(hours=1)
        same = ledger.observe(
            SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=NOT_PAID
        )
        clock.now += timedelta(hours=1)
        moved = ledger.observe(
            SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=ON_BACKORDER_UNPAID
        )
    assert (same.reason, same.updated_at) == (NOT_PAID, first_seen)  # nothing changed
    assert (moved.reason, moved.updated_at) == (ON_BACKORDER_UNPAID, first_seen + timedelta(hours=2))
    assert moved.first_seen_at == first_seen


def test_observing_without_a_state_keeps_the_one_recorded(ledger_url: str) -> None:
    with _ledger(ledger_url, Clock()) as ledger:
        ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=NOT_PAID)
        record = ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=True)
    assert record.reason == NOT_PAID


def test_a_claimed_open_order_forgets_the_state_that_kept_it_open(ledger_url: str) -> None:
    with _ledger(ledger_url, Clock()) as ledger:
        ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state=NOT_PAID)
        assert ledger.claim(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, "prestashop 1.0.0") is not None
        released = ledger.release(SHOP, "1042")
    assert (released.state, released.reason, released.attempts) == (OrderState.OPEN, None, 1)


def test_a_failed_order_claimed_again_keeps_its_reason_when_released(ledger_url: str) -> None:
    reason = "checks: total: the lines add up to 41.32 incl. VAT, the order says 50.00"
    with _ledger(ledger_url, Clock()) as ledger:
        ledger.claim(SHOP, "1044", "WRONGTOTL", ORDER_DATE, "prestashop 1.0.0")
        ledger.mark_failed(SHOP, "1044", reason, resolution="Correct the order in the shop.")
        ledger.request_reprocess(SHOP, ["1044"])
        ledger.claim(SHOP, "1044", "WRONGTOTL", ORDER_DATE, "prestashop 1.0.0")
        released = ledger.release(SHOP, "1044")
    assert (released.state, released.reason) == (OrderState.FAILED, reason)


def test_an_empty_shop_state_is_refused(ledger_url: str) -> None:
    with _ledger(ledger_url, Clock()) as ledger, pytest.raises(ValueError, match="shop_state"):
        ledger.observe(SHOP, "1042", "QWZTRPLMX", ORDER_DATE, sendable=False, shop_state="")
