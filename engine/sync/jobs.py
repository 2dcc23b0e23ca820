"""One job of one shop, its system failures caught: what every entry point (the CLI's commands,
`mapper schedule`, a task queue) runs, so that one shop's unreachable system never stops the
others and never ends in a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ...connectors.errors import ConnectorError
from ..ledger import Ledger
from ..notify.watch import errors_before, notify_pass
from .config import ShopConfig
from .failures import describe
from .pipeline import NO_PROGRESS, PassReport, Progress, ShopSync

log = logging.getLogger(__name__)

Job = Callable[[ShopSync], PassReport]


def run_job(
    config: ShopConfig,
    ledger: Ledger,
    name: str,
    job: Job,
    *,
    progress: Progress = NO_PROGRESS,
    build: Callable[..., ShopSync] = ShopSync,
) -> PassReport:
    """Run `job` (e.g. `ShopSync.sync`) for one shop. A ConnectorError — while connecting,
    authenticating or at any point of the job — ends it with `report.failure` set; what the
    job did before stays done and counted. Configuration errors (MapperError) are raised.

    With the shop's `notify:`, the orders that entered Errors in the job and the system that
    stopped it are then sent as one message (engine/notify/watch.py); that never changes the
    report."""
    before = errors_before(config, ledger)
    report = _run(config, ledger, name, job, progress, build)
    notify_pass(config, ledger, report, before)
    return report


def _run(
    config: ShopConfig,
    ledger: Ledger,
    name: str,
    job: Job,
    progress: Progress,
    build: Callable[..., ShopSync],
) -> PassReport:
    try:
        sync = build(config, ledger, progress=progress)
    except ConnectorError as error:
        report = PassReport(config.name, name)
        progress.started(config.name, name)
        return _failed(report, error, config, progress)
    try:
        report = job(sync)
    except ConnectorError as error:
        return _failed(sync.report or PassReport(config.name, name), error, config, progress)
    finally:
        sync.close()
    progress.finished(report)
    return report


def _failed(
    report: PassReport, error: ConnectorError, config: ShopConfig, progress: Progress
) -> PassReport:
    report.failure = describe(error, config)
    log.warning("%s: %s stopped: %s", config.name, report.job, report.failure)
    progress.finished(report)
    return report
