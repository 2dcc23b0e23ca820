"""What the dashboard's buttons do, each turned into the one message a person reads.

`process_order` is the Process button (the order sent again, as `mapper reprocess` does);
`report_problem` is Report problem (sent through the shop's `notify:` channels when it has
them, engine/notify; else, or when no channel took it, one JSON line per report in
`problem-reports.jsonl` in the ledger's folder); `connection_dots` runs the connection check
and groups its lines into one dot per system. Errors of the engine end here as messages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...engine.errors import MapperError
from ...engine.ledger import Ledger, OrderRecord, OrderState
from ...engine.ledger.timestamps import utc_now
from ...engine.notify.messages import problem_message
from ...engine.notify.send import deliver
from ...engine.notify.watch import secrets_of
from ...engine.sync.check import ShopCheck, check_shops
from ...engine.sync.config import Config, ShopConfig
from ...engine.sync.jobs import run_job
from ...engine.sync.pipeline import PassReport

REPORTS_FILE = "problem-reports.jsonl"

Processor = Callable[[ShopConfig, Ledger, str], PassReport]
Checker = Callable[[Config, str], list[ShopCheck]]


def reprocess(config: ShopConfig, ledger: Ledger, order_id: str) -> PassReport:
    """The real Process button: one failed order fetched from the shop and sent again."""
    return run_job(config, ledger, "reprocess", lambda sync: sync.reprocess([order_id]))


def process_order(
    processor: Processor, config: ShopConfig, ledger: Ledger, record: OrderRecord
) -> str:
    """Send a failed order again; the message says where it stands afterwards."""
    label = f"Order {record.number}"
    if record.state != OrderState.FAILED:
        return f"{label} is {record.state.value}, not in Errors: nothing to process."
    try:
        report = processor(config, ledger, record.order_id)
    except MapperError as error:
        return f"{label} could not be processed: {error}"
    if report.failure is not None:
        return f"{label} could not be processed: {report.failure}"
    after = ledger.get_order(record.shop, record.order_id)
    if after is None:  # cannot happen: the ledger never forgets an order
        return f"{label} is no longer in the ledger."
    if after.state == OrderState.SENT:
        return f"{label} was sent to the accounting system (reference {after.target_reference})."
    if after.state == OrderState.FAILED:
        return f"{label} failed again: {after.reason}"
    if after.state == OrderState.OPEN:
        return f"{label} is not in an invoicing status in the shop: it is in Open now."
    if after.state == OrderState.SKIPPED:
        return f"{label} was skipped: {after.reason}"
    return f"{label} is being sent; the next pass finishes it."


_REPORT_LOCK = threading.Lock()


def report_problem(
    folder: Path, record: OrderRecord, reporter: str, shop: ShopConfig | None = None
) -> str:
    """Send the order's number, error and rule version to support through the shop's notify
    channels (when `shop` has them), else write them to the reports file; the message says
    where. A report no channel accepted is written to the file all the same."""
    if shop is None or shop.notify is None:
        return _save_report(folder, record, reporter)
    message = problem_message(record, reporter, utc_now())
    delivered = deliver(shop.notify, message, secrets=secrets_of(shop))
    if any(d.ok for d in delivered):
        return f"The problem with order {record.number} was reported to support."
    problems = "; ".join(f"{d.channel}: {d.problem}" for d in delivered)
    saved = _save_report(folder, record, reporter)
    return f"The problem with order {record.number} could not be sent ({problems}). {saved}"


def _save_report(folder: Path, record: OrderRecord, reporter: str) -> str:
    entry = {
        "reported_at": utc_now().isoformat(),
        "reported_by": reporter,
        "shop": record.shop,
        "order_id": record.order_id,
        "number": record.number,
        "state": record.state.value,
        "error": record.reason,
        "resolution": record.resolution,
        "rule_version": record.rule_version,
    }
    path = folder / REPORTS_FILE
    try:
        with _REPORT_LOCK, path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as error:
        return f"The problem with order {record.number} could not be saved: {error.strerror}."
    return (
        f"The problem with order {record.number} was reported (saved for support in {path.name})."
    )


@dataclass(frozen=True)
class Dot:
    """One system's dot: green when every line holds, orange with a warning, red otherwise."""

    system: str
    colour: str
    lines: tuple[tuple[str, str], ...]  # (colour, message)


def _colour(ok: bool, warning: bool) -> str:
    return "red" if not ok else ("orange" if warning else "green")


def connection_dots(checker: Checker, config: Config, shop: str) -> tuple[list[Dot], str]:
    """The dots of `shop` (the shop's system first), or none and the message why not."""
    try:
        found = checker(config, shop)
    except MapperError as error:
        return [], str(error)
    systems: dict[str, list[tuple[bool, bool, str]]] = {}
    for check in found:
        for line in check.lines:
            systems.setdefault(line.system, []).append((line.ok, line.warning, line.message))
    dots = []
    for system, lines in systems.items():
        ok = all(line[0] for line in lines)
        warning = any(line[1] for line in lines)
        dots.append(
            Dot(system, _colour(ok, warning), tuple((_colour(o, w), m) for o, w, m in lines))
        )
    return dots, ""


def default_checker(config: Config, shop: str) -> list[ShopCheck]:
    return check_shops(config, shop)
