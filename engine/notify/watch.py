"""After a job of a shop: one message when orders *entered* Errors in it, or a system stopped it.

Which orders entered Errors is decided from the ledger's state before and after the job, not
from what the job counted: `errors_before` takes the shop's Errors list (id → last change)
before the job runs; `entered_errors` then lists the orders in Errors afterwards that were not
in it before. So an order that was already in Errors and fails again (the Process button,
`mapper reprocess`) is not reported a second time: its owner knows it. Whatever path brought an
order to Errors (turned away by the checks, refused by the accounting system, interrupted and
unconfirmed) counts the same.

The Errors list afterwards is read newest change first and only until the first order that did
not change during the job (everything after it is older still), and only when the job counted
an order to Errors at all: a pass without new errors reads nothing more and sends nothing.

A system failure is told when it first stops a job, again when its problem changes, and once a
day while it lasts — not after every job it stops: the ledger keeps the failure last told (and
when) per shop, forgotten after a job that no failure stopped. A message no channel took is
not remembered as told, so the next job tries again. What a pass does is never changed by its
notification: nothing here raises into the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...connectors.secret import Secret
from ..ledger import FailureTold, Ledger, OrderRecord, OrderState
from ..ledger.timestamps import utc_now
from .messages import pass_message
from .send import Delivered, deliver

if TYPE_CHECKING:  # engine.sync imports this module (jobs.py)
    from ..sync.config import ShopConfig
    from ..sync.failures import SystemFailure
    from ..sync.pipeline import PassReport

log = logging.getLogger(__name__)

REMIND_EVERY = dt.timedelta(days=1)  # a failure that goes on is told again after this long


@dataclass(frozen=True)
class ErrorsBefore:
    """The shop's Errors list before a job: order id → when it last changed."""

    changed: dict[str, dt.datetime]


def errors_before(config: ShopConfig, ledger: Ledger) -> ErrorsBefore | None:
    """The snapshot a job's notification compares with; None when the shop has no `notify:`."""
    if config.notify is None:
        return None
    return ErrorsBefore(
        {r.order_id: r.updated_at for r in ledger.list_orders(config.name, OrderState.FAILED)}
    )


def entered_errors(ledger: Ledger, shop: str, before: ErrorsBefore) -> list[OrderRecord]:
    """The orders in Errors now that were not before, oldest change first."""
    entered: list[OrderRecord] = []
    for record in ledger.list_orders(shop, OrderState.FAILED):
        if before.changed.get(record.order_id) == record.updated_at:
            break  # unchanged since the snapshot: so is every order after it
        if record.order_id not in before.changed:
            entered.append(record)
    entered.reverse()
    return entered


def secrets_of(config: ShopConfig) -> list[Secret]:
    """Every credential of the shop's systems: none may appear in a message."""
    return [
        value
        for section in (config.source, config.target)
        for value in section.values()
        if isinstance(value, Secret)
    ]


def notify_pass(
    config: ShopConfig,
    ledger: Ledger,
    report: PassReport,
    before: ErrorsBefore | None,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivered]:
    """Send the job's message, if it has one; never raises (a failure is logged)."""
    if config.notify is None or before is None:
        return []
    try:
        now = clock()
        told = ledger.get_failure_told(config.name)
        failure = report.failure
        if failure is None:
            if told is not None:
                ledger.set_failure_told(config.name, None)  # its systems work again
            news = None
        else:
            news = failure if _news(failure, told, now) else None
        entered = entered_errors(ledger, config.name, before) if report.failed else []
        message = pass_message(config.name, report.job, entered, news, now)
        if message is None:
            return []
        delivered = deliver(config.notify, message, secrets=secrets_of(config), sleep=sleep)
        if news is not None and any(d.ok for d in delivered):
            ledger.set_failure_told(config.name, failure_key(news))
        return delivered
    except Exception as error:  # noqa: BLE001 — a notification never changes the pass
        log.error(
            "shop %s: the notification of the %s job failed (%s)",
            config.name,
            report.job,
            type(error).__name__,
        )
        return []


def failure_key(failure: SystemFailure) -> str:
    """What makes two failures the same for telling: the system and its problem."""
    return f"{failure.side} {failure.system}: {failure.problem}"


def _news(failure: SystemFailure, told: FailureTold | None, now: dt.datetime) -> bool:
    """Whether `failure` is to be told: not told yet, another problem, or told a day ago."""
    if told is None or told.failure != failure_key(failure):
        return True
    return now - told.at >= REMIND_EVERY
