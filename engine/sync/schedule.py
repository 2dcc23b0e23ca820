"""`mapper schedule`: the jobs run in-process — every hour a sync pass, every night a re-check
of open orders, per shop; every day the digest of a shop with `notify: {digest: true}`. One
shop's failure is reported (a system's as the report's one-line `failure`, bad configuration as
a problem) and never stops the others."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import MapperError
from ..ledger import Ledger
from ..notify.digest import digest_time, send_digest
from .config import Config, ShopConfig
from .jobs import run_job
from .pipeline import PassReport, ShopSync

log = logging.getLogger(__name__)


@dataclass
class Due:
    shop: ShopConfig
    job: str  # "sync" | "recheck" | "digest"
    at: dt.datetime
    daily: dt.time | None = None  # a job run every day at this local time (else: every sync_every)


def next_recheck(after: dt.datetime, at: dt.time) -> dt.datetime:
    """The next local `at` strictly after `after` (an aware datetime)."""
    local = after.astimezone()
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)


def run_schedule(
    config: Config,
    *,
    report: Callable[[PassReport], None],
    stop: threading.Event | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> None:
    """Run until `stop` is set: a sync pass per shop right away and every `sync_every`, a
    re-check per shop every night at `recheck_at`, and a digest every day at `digest_at`."""
    stop = stop or threading.Event()
    now = clock()
    daily = [(shop, "recheck", shop.recheck_at) for shop in config.shops]
    daily += [(shop, "digest", at) for shop in config.shops if (at := digest_time(shop)) is not None]
    plan = [Due(shop, "sync", now) for shop in config.shops]
    plan += [Due(shop, job, next_recheck(now, at), at) for shop, job, at in daily]
    with Ledger.open(config.ledger_url) as ledger:
        while not stop.is_set():
            plan.sort(key=lambda due: due.at)
            due = plan[0]
            wait = (due.at - clock()).total_seconds()
            if wait > 0 and stop.wait(wait):
                return
            _run(due, ledger, report)
            finished = clock()
            if due.daily is None:
                due.at = max(due.at + due.shop.sync_every, finished)
            else:
                due.at = next_recheck(finished, due.daily)


def _run(due: Due, ledger: Ledger, report: Callable[[PassReport], None]) -> None:
    if due.job == "digest":
        _send_digest(due.shop, ledger)
        return
    job = ShopSync.sync if due.job == "sync" else ShopSync.recheck
    try:
        report(run_job(due.shop, ledger, due.job, job))
    except MapperError as error:
        log.error("%s: %s failed: %s", due.shop.name, due.job, error)
        failed = PassReport(due.shop.name, due.job)
        failed.problems.append(str(error))
        report(failed)


def _send_digest(shop: ShopConfig, ledger: Ledger) -> None:
    """The shop's digest; how it fared goes to the log (a digest never stops the schedule)."""
    try:
        send_digest(shop, ledger).logged("digest")
    except MapperError as error:
        log.error("%s: digest failed: %s", shop.name, error)
