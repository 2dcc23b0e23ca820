"""What a notification says: one `Message` with a subject, a plain text for e-mail and a JSON
body for webhooks, saying the same.

Messages are built only from what may be shown: the ledger's bookkeeping of an order (id,
number, state, error text, resolution, rule version — never its contents: no customer name,
e-mail or address) and the one-line `SystemFailure` (which names settings, never their values).
`scrubbed` then replaces any secret of the shop that might still be in a text, as a last guard.

One message per pass, however many orders entered Errors in it; at most `MAX_LISTED` orders are
written out, the rest counted ("and 12 more in the Errors list").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ...connectors.secret import Secret
from ..ledger import OrderRecord, OrderState

if TYPE_CHECKING:  # engine.sync imports this package (jobs → watch → messages)
    from ..sync.failures import SystemFailure

MAX_LISTED = 50
EVENTS = ("errors", "system_failure", "digest", "problem_report", "test")


@dataclass(frozen=True)
class Message:
    """One notification. `data` is the webhook's JSON body; `text` the e-mail's body."""

    event: str
    shop: str
    subject: str
    text: str
    data: Mapping[str, Any]


def _order(record: OrderRecord) -> dict[str, Any]:
    return {
        "order_id": record.order_id,
        "number": record.number,
        "state": record.state.value,
        "reason": record.reason or "",
        "resolution": record.resolution or "",
        "rule_version": record.rule_version,  # None: turned away before it was claimed
    }


def _order_lines(orders: list[OrderRecord], total: int) -> list[str]:
    lines: list[str] = []
    for record in orders[:MAX_LISTED]:
        lines += [
            f"Order {record.number} (id {record.order_id})",
            f"  Reason: {record.reason or 'no reason recorded'}",
            f"  Resolution: {record.resolution or 'see the Errors list'}",
            "",
        ]
    more = total - min(len(orders), MAX_LISTED)
    if more > 0:
        lines += [f"… and {more} more in the Errors list.", ""]
    return lines


def _failure(failure: SystemFailure) -> dict[str, str]:
    return {
        "system": failure.system,
        "side": failure.side,
        "problem": failure.problem,
        "resolution": failure.resolution,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def pass_message(
    shop: str, job: str, entered: list[OrderRecord], failure: SystemFailure | None, at: dt.datetime
) -> Message | None:
    """The one message of a pass: the orders that entered Errors in it, and the system that
    stopped it; None when there is neither."""
    if not entered and failure is None:
        return None
    lines: list[str] = []
    subject_parts: list[str] = []
    if failure is not None:
        subject_parts.append(f"{failure.system} failed")
        lines += [
            f"Shop {shop}: the {job} pass stopped: {failure.system} failed.",
            f"  Problem: {failure.problem}",
            f"  Resolution: {failure.resolution}",
            "What the pass did before that stays done; orders being sent are looked up by the "
            "next pass.",
            "",
        ]
    if entered:
        subject_parts.append(f"{_plural(len(entered), 'order')} to Errors")
        lines += [
            f"Shop {shop}: {_plural(len(entered), 'order')} entered the Errors list in the "
            f"{job} pass.",
            "",
            *_order_lines(entered, len(entered)),
            "Correct each as its resolution says, then process it again (the dashboard's "
            f"Process button, or `mapper reprocess NUMBER --shop {shop}`).",
        ]
    data: dict[str, Any] = {
        "event": "system_failure" if failure is not None else "errors",
        "shop": shop,
        "job": job,
        "at": at.isoformat(),
        "orders": [_order(r) for r in entered[:MAX_LISTED]],
        "more_orders": max(0, len(entered) - MAX_LISTED),
        "failure": _failure(failure) if failure is not None else None,
    }
    subject = f"mapper: shop {shop}: {', '.join(subject_parts)}"
    return Message(str(data["event"]), shop, subject, "\n".join(lines).rstrip() + "\n", data)


def digest_message(
    shop: str,
    counts: Mapping[OrderState, int],
    failed: list[OrderRecord],
    at: dt.datetime,
) -> Message:
    """The daily digest: how many orders are in each list, and the Errors list itself
    (`failed`, newest change first; counted in full, written out up to MAX_LISTED)."""
    total_failed = counts.get(OrderState.FAILED, 0)
    sent, open_ = counts.get(OrderState.SENT, 0), counts.get(OrderState.OPEN, 0)
    sending = counts.get(OrderState.SENDING, 0)
    lines = [
        f"Shop {shop} on {at.date().isoformat()}: {sent} sent (Reporting), {total_failed} in "
        f"Errors, {open_} open" + (f", {sending} being sent" if sending else "") + ".",
        "",
    ]
    if total_failed:
        lines += ["The Errors list:", "", *_order_lines(failed, total_failed)]
    else:
        lines.append("Nothing is waiting in Errors.")
    data: dict[str, Any] = {
        "event": "digest",
        "shop": shop,
        "at": at.isoformat(),
        "counts": {state.value: counts.get(state, 0) for state in OrderState},
        "orders": [_order(r) for r in failed[:MAX_LISTED]],
        "more_orders": max(0, total_failed - min(len(failed), MAX_LISTED)),
    }
    subject = f"mapper: shop {shop}: daily digest, {_plural(total_failed, 'order')} in Errors"
    return Message("digest", shop, subject, "\n".join(lines).rstrip() + "\n", data)


def problem_message(record: OrderRecord, reporter: str, at: dt.datetime) -> Message:
    """The dashboard's Report problem: one order, by the person who pressed the button."""
    lines = [
        f"{reporter} reported a problem with order {record.number} (id {record.order_id}) of "
        f"shop {record.shop}.",
        "",
        f"  State: {record.state.value}",
        f"  Error: {record.reason or 'none recorded'}",
        f"  Resolution: {record.resolution or 'none recorded'}",
        f"  Rule version: {record.rule_version or 'unknown'}",
    ]
    data: dict[str, Any] = {
        "event": "problem_report",
        "shop": record.shop,
        "at": at.isoformat(),
        "reported_by": reporter,
        "orders": [_order(record)],
    }
    subject = f"mapper: shop {record.shop}: problem reported with order {record.number}"
    return Message("problem_report", record.shop, subject, "\n".join(lines) + "\n", data)


def test_message(shop: str, at: dt.datetime) -> Message:
    """`mapper notify test`: proves the channel works, says nothing else."""
    text = f"This is a test message of mapper for shop {shop}: its notifications reach you here.\n"
    data = {"event": "test", "shop": shop, "at": at.isoformat()}
    return Message("test", shop, f"mapper: shop {shop}: test message", text, data)


def scrubbed(message: Message, secrets: Iterable[Secret]) -> Message:
    """`message` with the value of every secret in it replaced by `<secret>`."""
    values = sorted({s.reveal() for s in secrets if s.reveal()}, key=len, reverse=True)
    if not values:
        return message

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for secret in values:
                value = value.replace(secret, "<secret>")
            return value
        if isinstance(value, Mapping):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return replace(
        message, subject=clean(message.subject), text=clean(message.text), data=clean(message.data)
    )
