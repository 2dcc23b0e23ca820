"""Per-shop progress in the ledger: the fetch cursor, backfill progress and the shop lock."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from mapper.engine.ledger import BackfillProgress, Ledger, LockLost, ShopLocked

SHOP = "prestashop-demo"
OTHER_SHOP = "lightspeed-demo"
START = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand, so expiry is tested without waiting."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
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
    # The lock's lease is measured on the database's clock: the fake one stands in for it.
    with Ledger.open(url, clock=clock, db_clock=lambda _connection: clock()) as opened:
        yield opened


# cursor --------------------------------------------------------------------------------------


def test_a_cursor_only_moves_forward(ledger: Ledger) -> None:
    assert ledger.get_cursor(SHOP) is None
    first = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert ledger.set_cursor(SHOP, first) == first
    assert ledger.get_cursor(SHOP) == first
    assert ledger.set_cursor(SHOP, first - timedelta(days=1)) == first
    assert ledger.get_cursor(SHOP) == first
    assert ledger.set_cursor(SHOP, first) == first
    later = first + timedelta(microseconds=1)
    assert ledger.set_cursor(SHOP, later) == later
    assert ledger.get_cursor(SHOP) == later


def test_cursors_are_per_shop_and_persist(url: str, clock: FakeClock) -> None:
    moment = datetime(2024, 3, 1, tzinfo=UTC)
    with Ledger.open(url, clock=clock) as ledger:
        ledger.set_cursor(SHOP, moment)
        assert ledger.get_cursor(OTHER_SHOP) is None
    with Ledger.open(url, clock=clock) as ledger:
        assert ledger.get_cursor(SHOP) == moment


def test_a_cursor_must_be_an_aware_time(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="cursor must be timezone-aware"):
        ledger.set_cursor(SHOP, datetime(2024, 3, 1))


# backfill ------------------------------------------------------------------------------------


def test_an_interrupted_backfill_resumes_where_it_was(url: str, clock: FakeClock) -> None:
    since, until = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    with Ledger.open(url, clock=clock) as ledger:
        assert ledger.get_backfill(SHOP) is None
        ledger.set_cursor(SHOP, until)
        ledger.set_backfill(SHOP, since, until, None)
        assert ledger.get_backfill(SHOP) == BackfillProgress(since, until, None, START)
        clock.advance(timedelta(minutes=3))
        ledger.set_backfill(SHOP, since, until, datetime(2023, 4, 1, tzinfo=UTC))
    with Ledger.open(url, clock=clock) as ledger:
        progress = ledger.get_backfill(SHOP)
        assert progress == BackfillProgress(
            since, until, datetime(2023, 4, 1, tzinfo=UTC), START + timedelta(minutes=3)
        )
        assert ledger.get_backfill(OTHER_SHOP) is None
        ledger.clear_backfill(SHOP)
        assert ledger.get_backfill(SHOP) is None
        assert ledger.get_cursor(SHOP) == until  # the cursor is not the backfill's business


def test_a_backfill_needs_a_sensible_window(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="since must not be after until"):
        ledger.set_backfill(SHOP, START, START - timedelta(days=1), None)


# shop lock -----------------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_pass(ledger: Ledger) -> None:
    with ledger.shop_lock(SHOP, owner="scheduler", ttl=timedelta(minutes=10)) as lock:
        assert (lock.shop, lock.owner, lock.acquired_at) == (SHOP, "scheduler", START)
        assert lock.expires_at == START + timedelta(minutes=10)
        with pytest.raises(ShopLocked) as refused:
            ledger.acquire_shop_lock(SHOP, owner="cli")
        assert str(refused.value) == (
            "shop 'prestashop-demo' is locked by 'scheduler' since 2024-03-15 12:00:00 UTC "
            "(taken over after 2024-03-15 12:10:00 UTC if not released)"
        )
        assert refused.value.since == START and refused.value.owner == "scheduler"
        with ledger.shop_lock(OTHER_SHOP, owner="cli"):
            pass  # other shops are not blocked
    with ledger.shop_lock(SHOP, owner="cli") as lock:
        assert lock.owner == "cli"


def test_the_same_owner_name_does_not_reenter(ledger: Ledger) -> None:
    with ledger.shop_lock(SHOP, owner="cron"), pytest.raises(ShopLocked):
        ledger.acquire_shop_lock(SHOP, owner="cron")


def test_a_failing_pass_releases_its_lock(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError), ledger.shop_lock(SHOP, owner="a"):
        raise RuntimeError("the pass failed")
    ledger.acquire_shop_lock(SHOP, owner="b").release()


def test_an_expired_lock_is_taken_over(
    ledger: Ledger, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    dead = ledger.acquire_shop_lock(SHOP, owner="crashed", ttl=timedelta(minutes=5))
    clock.advance(timedelta(minutes=4, seconds=59))
    with pytest.raises(ShopLocked):
        ledger.acquire_shop_lock(SHOP, owner="next")
    clock.advance(timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="engine.ledger.locks"):
        successor = ledger.acquire_shop_lock(SHOP, owner="next")
    assert "took over the lock on shop 'prestashop-demo' from 'crashed'" in caplog.text
    # The old holder, should it wake up, has lost the lock and cannot release the new one.
    with pytest.raises(LockLost, match="held by 'crashed' expired"):
        dead.refresh()
    with caplog.at_level(logging.WARNING, logger="engine.ledger.locks"):
        dead.release()
    assert "had expired and was taken over" in caplog.text
    with pytest.raises(ShopLocked, match="locked by 'next'"):
        ledger.acquire_shop_lock(SHOP, owner="third")
    successor.release()


def test_refresh_extends_the_lease(ledger: Ledger, clock: FakeClock) -> None:
    with ledger.shop_lock(SHOP, owner="long pass", ttl=timedelta(minutes=5)) as lock:
        clock.advance(timedelta(minutes=4))
        assert lock.refresh() == START + timedelta(minutes=9)
        clock.advance(timedelta(minutes=4))
        with pytest.raises(ShopLocked, match="locked by 'long pass'"):
            ledger.acquire_shop_lock(SHOP, owner="other")
        assert lock.refresh(timedelta(hours=1)) == clock.now + timedelta(hours=1)


def test_release_is_idempotent(ledger: Ledger) -> None:
    lock = ledger.acquire_shop_lock(SHOP, owner="a")
    lock.release()
    replacement = ledger.acquire_shop_lock(SHOP, owner="b")
    lock.release()  # must not free b's lock
    with pytest.raises(ShopLocked, match="locked by 'b'"):
        ledger.acquire_shop_lock(SHOP, owner="c")
    replacement.release()


def test_a_lock_needs_a_positive_ttl(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        ledger.acquire_shop_lock(SHOP, owner="a", ttl=timedelta(0))


def test_the_default_owner_names_host_and_process(ledger: Ledger) -> None:
    with ledger.shop_lock(SHOP) as lock:
        assert lock.owner.endswith(f":{os.getpid()}")
