"""The sync pipeline, as a scheduler embeds it: one function per job, safe to call from cron,
APScheduler or a task queue (each opens what it needs, holds the shop's lock, and closes).

A system that fails (unreachable, credentials refused, out of calls) ends that shop's job only:
its report carries the one-line `failure`, and the next shop runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..ledger import Ledger
from .config import Config, ShopConfig, load_config
from .failures import SystemFailure
from .jobs import run_job
from .pipeline import NO_PROGRESS, PassReport, Progress, ShopSync
from .refs import resolve_orders


def _each_shop(
    config: Config,
    shop: str | None,
    name: str,
    job: Callable[[ShopSync], PassReport],
    progress: Progress = NO_PROGRESS,
) -> list[PassReport]:
    shops: Iterable[ShopConfig] = [config.shop(shop)] if shop else config.shops
    with Ledger.open(config.ledger_url) as ledger:
        return [run_job(entry, ledger, name, job, progress=progress) for entry in shops]


def sync_pass(
    config_path: Path, shop: str | None = None, *, progress: Progress = NO_PROGRESS
) -> list[PassReport]:
    """The hourly job: one sync pass per shop."""
    return _each_shop(load_config(config_path), shop, "sync", ShopSync.sync, progress)


def recheck_open(
    config_path: Path, shop: str | None = None, *, progress: Progress = NO_PROGRESS
) -> list[PassReport]:
    """The nightly job: every open order checked again."""
    return _each_shop(load_config(config_path), shop, "recheck", ShopSync.recheck, progress)


def reprocess_orders(
    config_path: Path,
    shop: str,
    references: Sequence[str],
    *,
    progress: Progress = NO_PROGRESS,
) -> PassReport:
    """The Process button: orders of `shop` (by number or id) sent again. An order the ledger
    does not know, or a number several orders share, is a UsageError (exit 2)."""
    config = load_config(config_path)
    entry = config.shop(shop)
    with Ledger.open(config.ledger_url) as ledger:
        ids = resolve_orders(ledger, shop, references)
        return run_job(
            entry, ledger, "reprocess", lambda sync: sync.reprocess(ids), progress=progress
        )


def backfill_shop(
    config_path: Path,
    shop: str,
    since: dt.date,
    *,
    window: dt.timedelta = dt.timedelta(days=7),
    progress: Progress = NO_PROGRESS,
    windows: Callable[[dt.datetime, dt.datetime], None] | None = None,
) -> PassReport:
    """History of `shop` from `since`, window by window (`windows` is told each one done)."""
    config = load_config(config_path)
    entry = config.shop(shop)
    with Ledger.open(config.ledger_url) as ledger:
        return run_job(
            entry,
            ledger,
            "backfill",
            lambda sync: sync.backfill(since, window=window, progress=windows),
            progress=progress,
        )


def adopt_shop(
    config_path: Path, shop: str, since: dt.date, *, progress: Progress = NO_PROGRESS
) -> PassReport:
    """Record as sent what the accounting system already holds for `shop` since `since`."""
    config = load_config(config_path)
    entry = config.shop(shop)
    with Ledger.open(config.ledger_url) as ledger:
        return run_job(
            entry, ledger, "adopt", lambda sync: sync.adopt(since), progress=progress
        )


__all__ = [
    "PassReport",
    "adopt_shop",
    "Progress",
    "ShopSync",
    "SystemFailure",
    "backfill_shop",
    "load_config",
    "recheck_open",
    "reprocess_orders",
    "sync_pass",
]
