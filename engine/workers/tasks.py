"""The one task: a job (sync, re-check, backfill) for one shop, run by `run_job`; or the shop's
daily digest (`mapper beat` queues it at the shop's `digest_at`).

What ends a job is told in the worker's log, one line, never a traceback: the pass's summary,
its problems, the one line of a system that failed. A shop another pass holds (or whose killed
worker's lock has not expired yet) is tried again when that lock may be taken over; so is a
ledger that cannot be reached. A configuration problem (a shop no longer configured) is logged
and the task dropped: doing it again would not help.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any

from celery import Celery, Task

from ..errors import MapperError, UsageError
from ..ledger import Ledger
from ..ledger.errors import LedgerUnavailable, LockLost, ShopLocked
from ..ledger.timestamps import utc_now
from ..notify.digest import send_digest
from ..sync.config import Config, ShopConfig
from ..sync.jobs import Job, run_job
from ..sync.pipeline import LOCK_TTL, NO_PROGRESS, PassReport, Progress, ShopSync

log = logging.getLogger(__name__)

TASK = "mapper.job"
JOBS = ("sync", "recheck", "backfill")  # what `mapper enqueue` may queue
DIGEST = "digest"  # queued by beat only (`mapper notify digest` sends one by hand)
# A task waiting for a shop's lock or the ledger is tried again after at least this long.
MIN_WAIT = dt.timedelta(seconds=1)
LEDGER_WAIT = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class JobRequest:
    """What a message asks: the job, the shop, and for a backfill its first day and window."""

    job: str
    shop: str
    since: str | None = None  # backfill: YYYY-MM-DD
    window_days: int = 7

    def function(self) -> Job:
        if self.job == "sync":
            return ShopSync.sync
        if self.job == "recheck":
            return ShopSync.recheck
        if self.job == "backfill":
            if self.since is None:
                raise UsageError("a backfill job needs its first day (since)")
            since = dt.date.fromisoformat(self.since)
            window = dt.timedelta(days=self.window_days)
            return lambda sync: sync.backfill(since, window=window)
        raise UsageError(f"unknown job {self.job!r} (jobs: {', '.join(JOBS)})")


class Runner:
    """One worker process's side of the task: its own ledger connection, opened on first use
    in that process (never shared across a fork), and the configuration's shops."""

    def __init__(self, config: Config) -> None:
        self.config = config
        queue = config.queue
        self.lock_ttl = queue.lock_ttl if queue is not None else LOCK_TTL
        self.visibility = queue.visibility_timeout if queue is not None else dt.timedelta(hours=1)
        self._ledger: Ledger | None = None
        self._pid = 0

    def ledger(self) -> Ledger:
        if self._ledger is None or self._pid != os.getpid():
            self._ledger = Ledger.open(self.config.ledger_url)
            self._pid = os.getpid()
        return self._ledger

    def run(self, request: JobRequest) -> PassReport:
        """The job, as `run_job` runs it; ShopLocked, LockLost and ledger errors are raised."""
        job = request.function()
        entry = self.config.shop(request.shop)
        return run_job(entry, self.ledger(), request.job, job, build=self._build)

    def digest(self, shop: str) -> dict[str, Any]:
        """The shop's daily digest, sent now; the task's result says how each channel fared."""
        delivery = send_digest(self.config.shop(shop), self.ledger())
        failure = delivery.logged(DIGEST)
        return {"shop": shop, "job": DIGEST, "summary": delivery.summary(DIGEST), "failure": failure}

    def _build(
        self, config: ShopConfig, ledger: Ledger, *, progress: Progress = NO_PROGRESS
    ) -> ShopSync:
        sync = ShopSync(config, ledger, progress=progress)
        sync.lock_ttl = self.lock_ttl
        return sync

    def wait_for(self, error: MapperError) -> float:
        """Seconds until the task is tried again: until a held lock may be taken over, but
        never as long as half the visibility timeout (a message held back longer than that
        would be handed to a second worker meanwhile)."""
        if isinstance(error, ShopLocked):
            wait = error.expires_at - utc_now() + MIN_WAIT
        elif isinstance(error, LedgerUnavailable):
            wait = LEDGER_WAIT
        else:
            wait = MIN_WAIT
        longest = min(self.lock_ttl, self.visibility / 2)
        return max(MIN_WAIT, min(wait, longest)).total_seconds()


def outcome(report: PassReport) -> dict[str, Any]:
    """A finished job as the task's (JSON) result, and into the worker's log."""
    log.info("%s", report.summary())
    for problem in report.problems:
        log.warning("%s: %s", report.shop, problem)
    if report.failure is not None:
        log.warning("%s", report.failure)
    return {
        "shop": report.shop,
        "job": report.job,
        "summary": report.summary(),
        "failure": None if report.failure is None else str(report.failure),
    }


def register_tasks(app: Celery, config: Config) -> Task:
    """Register TASK on `app`; its processes run the jobs of `config`'s shops."""
    runner = Runner(config)

    # Not shared: Celery hands a shared task to every app made after it, so a second app in
    # one process (the tests build many) would run the first app's shops, not its own.
    @app.task(name=TASK, bind=True, max_retries=None, shared=False)  # type: ignore[untyped-decorator]
    def job(
        self: Task,
        job: str,
        shop: str,
        since: str | None = None,
        window_days: int = 7,
    ) -> dict[str, Any]:
        request = JobRequest(job, shop, since, window_days)
        try:
            if job == DIGEST:
                return runner.digest(shop)
            return outcome(runner.run(request))
        except (ShopLocked, LockLost, LedgerUnavailable) as error:
            wait = runner.wait_for(error)
            log.info("%s: %s waits %.0f s: %s", shop, job, wait, error)
            raise self.retry(countdown=wait) from None
        except MapperError as error:
            log.error("%s: %s not run: %s", shop, job, error)
            return {"shop": shop, "job": job, "summary": "", "failure": str(error)}

    return job
