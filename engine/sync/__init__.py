"""The sync pipeline, as a scheduler embeds it: one function per job, safe to call from cron,
APScheduler or a task queue (each opens what it needs, holds the shop's lock, and closes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..ledger import Ledger
from .config import Config, ShopConfig, load_config
from .pipeline import PassReport, ShopSync


def _each_shop(
    config: Config, shop: str | None, job: Callable[[ShopSync], PassReport]
) -> list[PassReport]:
    shops: Iterable[ShopConfig] = [config.shop(shop)] if shop else config.shops
    reports = []
    with Ledger.open(config.ledger_url) as ledger:
        for entry in shops:
            sync = ShopSync(entry, ledger)
            try:
                reports.append(job(sync))
            finally:
                sync.close()
    return reports


def sync_pass(config_path: Path, shop: str | None = None) -> list[PassReport]:
    """The hourly job: one sync pass per shop."""
    return _each_shop(load_config(config_path), shop, ShopSync.sync)


def recheck_open(config_path: Path, shop: str | None = None) -> list[PassReport]:
    """The nightly job: every open order checked again."""
    return _each_shop(load_config(config_path), shop, ShopSync.recheck)


__all__ = ["PassReport", "ShopSync", "load_config", "recheck_open", "sync_pass"]
