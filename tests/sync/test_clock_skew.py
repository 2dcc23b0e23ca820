"""Exactly once when workers' clocks disagree: a second `mapper sync` whose clock runs 11
minutes ahead (the lock lives 10) while the first pass's post is in flight. Lock expiry is the
database's clock, so it is refused; and a pass whose lock was taken over can change nothing.

The skewed process really has a wrong clock: it runs under libfaketime (Debian's `faketime`,
which tests/support/services.sh installs), so every clock it reads — Python's and its drivers' —
is 11 minutes ahead. Workers on several machines share a PostgreSQL ledger, whose server keeps
the one clock that counts; so that is what the test runs on. (A SQLite ledger lives on one
host: its processes share that host's clock.)"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mapper.engine.ledger import Ledger, LockLost, OrderState
from support.postgres import PostgresServer

from sync.sync_helpers import (
    SHOP,
    config_data,
    invoice_counts,
    ledger_records,
    running_systems,
    write_config,
)
from sync.test_sync_faults import mapper_command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

ORDERS = 10
DEADLINE = 60.0
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def _eleven_minutes_ahead(env: dict[str, str]) -> dict[str, str]:
    """`env` for a process whose clock runs 11 minutes ahead (monotonic time stays true, so its
    timeouts still measure real seconds)."""
    if not LIBFAKETIME.is_file():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{LIBFAKETIME} missing: tests/support/services.sh installs `faketime`")
        pytest.skip(f"{LIBFAKETIME} missing: apt-get install faketime")
    return {
        **env,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": "+11m",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_NO_CACHE": "1",
    }


@pytest.mark.postgresql
def test_a_pass_with_a_clock_11_minutes_ahead_does_not_take_a_live_lock(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with (
        running_systems(
            ORDERS, seed=11, booking_latency=8.0, unpaid_share=0.0, bad_share=0.0
        ) as systems,
        postgres.fresh_schema() as ledger_url,
    ):
        yuki = systems.yuki
        data = config_data(systems, ledger=ledger_url, target={"timeout": 30, "batch_size": 10})
        config = write_config(tmp_path, data)
        env = {**os.environ, **systems.environment()}
        skewed = _eleven_minutes_ahead(env)
        command = mapper_command(config, "sync")
        Ledger.open(ledger_url).close()
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + DEADLINE
        # Wait for the real event: the first pass claimed its orders and is posting them.
        while len(ledger_records(ledger_url)) < ORDERS:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        second = subprocess.run(command, env=skewed, capture_output=True, text=True)
        assert yuki.bookings_finished == 0, "the first post ended before the skewed pass"
        out, err = first.communicate(timeout=DEADLINE)
        counts = invoice_counts(yuki)
        records = ledger_records(ledger_url)
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"shop '{SHOP}' is locked by" in lines[0], second.stderr
    assert first.returncode == 0, err
    assert len(counts) == ORDERS and set(counts.values()) == {1}
    assert {r.state for r in records.values()} == {OrderState.SENT}


def test_a_pass_whose_lock_was_taken_over_can_claim_and_mark_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)
    day = dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    with Ledger.open(url) as ledger, Ledger.open(url, db_clock=lambda _c: later) as successor:
        old = ledger.acquire_shop_lock(SHOP, owner="stalled", ttl=dt.timedelta(minutes=10))
        claims = ledger.claim_many(SHOP, [("1", "A", day)], "rules", fence=old.generation)
        assert list(claims) == ["1"]
        new = successor.acquire_shop_lock(SHOP, owner="next")
        assert new.generation == old.generation + 1
        with pytest.raises(LockLost):
            ledger.mark_sent_many(SHOP, [("1", "R")], fence=old.generation)
        with pytest.raises(LockLost):
            ledger.claim_many(SHOP, [("2", "B", day)], "rules", fence=old.generation)
        with pytest.raises(LockLost):
            ledger.mark_failed(SHOP, "1", "x", resolution="y", fence=old.generation)
        record = ledger.get_order(SHOP, "1")
        assert record is not None and record.state == OrderState.SENDING
        assert ledger.get_order(SHOP, "2") is None
        new.release()
        # A released lock keeps its generation: the stalled pass stays fenced off.
        with pytest.raises(LockLost):
            ledger.mark_sent(SHOP, "1", "R", fence=old.generation)
