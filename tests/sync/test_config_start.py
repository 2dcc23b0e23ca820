"""What `start:` in mapper.yaml does: the first pass begins there; after it the cursor rules and
is never moved back; a `start:` still ahead fetches nothing (engine/sync/start.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mapper.engine.ledger import Ledger
from mapper.engine.mapping import Payload
from mapper.engine.sync.config import ShopConfig
from mapper.engine.sync.pipeline import ShopSync
from mapper.engine.sync.start import pass_since

SHOP = "my-shop"
UTC = dt.UTC


class RecordingSource:
    """A shop without changed orders that remembers from where each pass asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[dt.datetime, dt.datetime]] = []

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        self.asked.append((since, until))
        return iter([])

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter([])

    def close(self) -> None:
        pass


class NoTarget:
    batch_size = 10

    def post(self, payloads: Sequence[Payload]) -> list[Any]:
        raise AssertionError("nothing is posted")

    def find(self, payload: Payload) -> str | None:
        raise AssertionError("nothing is looked up")

    def close(self) -> None:
        pass


def shop(start: dt.date | None) -> ShopConfig:
    return ShopConfig(SHOP, "prestashop-yuki", {"type": "prestashop"}, {"type": "yuki"}, start=start)


def run_pass(
    ledger: Ledger, start: dt.date | None, now: dt.datetime
) -> tuple[list[tuple[dt.datetime, dt.datetime]], list[str]]:
    source = RecordingSource()
    sync = ShopSync(shop(start), ledger, source=source, target=NoTarget(), clock=lambda: now)
    report = sync.sync()
    return source.asked, report.problems


def test_start_is_read_by_the_first_pass_only(tmp_path: Path) -> None:
    first = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    second = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    third = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        assert run_pass(ledger, dt.date(2026, 1, 1), first) == (
            [(dt.datetime(2026, 1, 1, tzinfo=UTC), first)], []
        )
        assert ledger.get_cursor(SHOP) == first
        # start: moved back after the first pass: the cursor is not moved back, nothing older
        assert run_pass(ledger, dt.date(2025, 1, 1), second) == (
            [(first - dt.timedelta(minutes=15), second)], []
        )
        # start: moved past the cursor: nothing changes either
        assert run_pass(ledger, dt.date(2026, 6, 1), third) == (
            [(second - dt.timedelta(minutes=15), third)], []
        )
        assert ledger.get_cursor(SHOP) == third


def test_a_start_still_ahead_fetches_nothing_until_it_comes(tmp_path: Path) -> None:
    before = dt.datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    after = dt.datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        assert run_pass(ledger, dt.date(2026, 4, 1), before) == (
            [],
            ["start: 2026-04-01 is still ahead: nothing is fetched before it, the first pass "
             "will begin there"],
        )
        assert ledger.get_cursor(SHOP) is None
        assert run_pass(ledger, dt.date(2026, 4, 1), after) == (
            [(dt.datetime(2026, 4, 1, tzinfo=UTC), after)], []
        )
        assert ledger.get_cursor(SHOP) == after


def test_without_start_the_first_pass_reads_the_last_seven_days() -> None:
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert pass_since(shop(None), None, now) == (dt.datetime(2026, 2, 23, 9, 0, tzinfo=UTC), None)
    cursor = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert pass_since(shop(None), cursor, now) == (dt.datetime(2026, 3, 2, 7, 45, tzinfo=UTC), None)
