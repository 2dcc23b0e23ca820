"""A ledger that is damaged, foreign, truncated, full or deleted: one line with what to do, the
shop's lock never left behind, and never a second invoice.

Every case is a real SQLite file and a real `mapper` process against the PrestaShop and Yuki
simulators; the full disk is SQLite's own SQLITE_FULL, made by capping the file's page count.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.ledger import Ledger, LedgerUnavailable
from mapper.engine.sync.config import load_config
from mapper.engine.sync.jobs import run_job
from mapper.engine.sync.pipeline import ShopSync
from sqlalchemy import event

from sync.sync_helpers import (
    SHOP,
    Systems,
    config_data,
    invoice_counts,
    running_systems,
    write_config,
)
from sync.test_sync_faults import mapper_command

ORDERS = 12


def _run(systems: Systems, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **systems.environment()}
    return subprocess.run(mapper_command(config, *args), env=env, capture_output=True, text=True)


def _damaged_line(path: Path, reason: str) -> str:
    return (
        f"mapper: the ledger {str(path)!r} is damaged or is not a mapper ledger ({reason}); "
        "mapper stopped without writing to it. Restore it from a backup, or move it aside: the "
        "next pass then starts a new ledger and first adopts what the accounting system already "
        "holds (see `mapper adopt`)\n"
    )


def _synced_ledger(systems: Systems, folder: Path) -> tuple[Path, bytes]:
    """A first pass's ledger, checkpointed into its one file (no -wal beside it)."""
    config = write_config(folder, config_data(systems))
    first = _run(systems, config, "sync")
    assert first.returncode == 0, first.stderr
    path = folder / "ledger.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in os.listdir(folder):
        if name.startswith("ledger.db-"):
            os.remove(folder / name)
    return path, path.read_bytes()


@pytest.mark.parametrize("command", ["sync", "status"])
def test_a_text_file_as_ledger_is_one_line_and_left_as_it_was(tmp_path: Path, command: str) -> None:
    with running_systems(ORDERS, seed=5, unpaid_share=0.0, bad_share=0.0) as systems:
        config = write_config(tmp_path, config_data(systems))
        ledger = tmp_path / "ledger.db"
        ledger.write_text("order numbers to check on Monday\n" * 50)
        result = _run(systems, config, command)
        booked = sum(invoice_counts(systems.yuki).values())
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == _damaged_line(ledger, "file is not a database")
    assert ledger.read_text() == "order numbers to check on Monday\n" * 50
    assert booked == 0


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_ledger_is_one_line_for_every_later_command(tmp_path: Path, damage: str) -> None:
    with running_systems(ORDERS, seed=6, unpaid_share=0.0, bad_share=0.0) as systems:
        path, data = _synced_ledger(systems, tmp_path)
        if damage == "truncated":
            path.write_bytes(data[: len(data) // 2 + 100])
        else:
            path.write_bytes(data[:100] + os.urandom(3996) + data[4096:])
        config = tmp_path / "mapper.yaml"
        results = [_run(systems, config, command) for command in ("sync", "status", "recheck")]
        counts = invoice_counts(systems.yuki)
    for result in results:
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == _damaged_line(path, "database disk image is malformed")
    assert sum(counts.values()) == ORDERS and set(counts.values()) == {1}


def test_a_ledger_moved_aside_after_damage_books_nothing_twice(tmp_path: Path) -> None:
    """What the damage message tells a person to do, done: the new ledger adopts."""
    with running_systems(ORDERS, seed=7, unpaid_share=0.0, bad_share=0.0) as systems:
        path, data = _synced_ledger(systems, tmp_path)
        path.write_bytes(data[: len(data) // 2])
        path.rename(tmp_path / "ledger.damaged")
        again = _run(systems, tmp_path / "mapper.yaml", "sync")
        counts = invoice_counts(systems.yuki)
    assert again.returncode == 0, again.stderr
    assert f"{ORDERS} already in the accounting system (adopted)" in again.stdout
    assert sum(counts.values()) == ORDERS and set(counts.values()) == {1}


def _cap_file_size(ledger: Ledger, pages: int) -> None:
    """Every new connection of `ledger` sees a file that cannot grow past `pages` pages: SQLite
    then fails writes with SQLITE_FULL, "database or disk is full", as on a full disk."""
    engine = ledger._engine  # the test reaches into the ledger to fill its "disk"

    @event.listens_for(engine, "connect")
    def _capped(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    engine.dispose()


def test_a_full_disk_ends_the_pass_in_one_line_and_releases_the_lock(tmp_path: Path) -> None:
    with running_systems(400, seed=8, unpaid_share=0.0, bad_share=0.0) as systems:
        config = load_config(write_config(tmp_path, config_data(systems)), systems.environment())
        path = tmp_path / "ledger.db"
        with Ledger.open(config.ledger_url) as ledger:
            with sqlite3.connect(path) as raw:
                pages = raw.execute("PRAGMA page_count").fetchone()[0]
            _cap_file_size(ledger, pages + 2)
            with pytest.raises(LedgerUnavailable) as full:
                run_job(config.shop(SHOP), ledger, "sync", ShopSync.sync)
            # The lock was given up on the way out: the next pass takes it at once.
            lock = ledger.acquire_shop_lock(SHOP, owner="next", ttl=dt.timedelta(minutes=10))
            lock.release()
        counts = invoice_counts(systems.yuki)
    assert str(full.value) == (
        f"the disk holding the ledger {str(path)!r} is full (database or disk is full): free "
        "some space, then run the pass again; what was not recorded was not sent"
    )
    assert set(counts.values()) <= {1}
