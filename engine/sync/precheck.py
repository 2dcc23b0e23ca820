"""The target's own pre-check, just before payloads are posted (the manual: "for the VAT of
every line a matching VAT code exists in Yuki").

A Target may offer `prechecker()`: it returns a callable that takes a batch of payloads and
answers {index in the batch: why it must not be posted}. One checker serves one job (sync,
re-check, reprocess, backfill), so what it fetches — Yuki's ActiveVATCodesList — is asked once
per pass, not once per order or batch. A payload it holds back goes to Errors with its
message before anything is posted; the rest of the batch is posted as usual. Targets without
`prechecker` are not affected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from ..mapping import Payload

if TYPE_CHECKING:
    from .pipeline import PassReport, ShopSync

Checker = Callable[[Sequence[Any]], dict[int, str]]

AFTER_FIXING = "Once that is done, process the order again."

# Per ShopSync: the job (its report) the checker belongs to, and the checker.
_CHECKERS: WeakKeyDictionary[Any, tuple[Any, Checker]] = WeakKeyDictionary()


def precheck(sync: ShopSync, payloads: list[Payload], report: PassReport) -> list[Payload]:
    """The payloads that may be posted. Those the target's pre-check holds back are recorded
    failed (the Errors list) with its message and counted in `report`."""
    checker = _checker(sync, report)
    if checker is None or not payloads:
        return payloads
    problems = checker(payloads)
    if not problems:
        return payloads
    for index, payload in enumerate(payloads):
        if index in problems:
            sync.ledger.mark_failed(
                sync.shop, payload.order_id, problems[index], resolution=AFTER_FIXING
            )
            report.failed += 1
    return [payload for index, payload in enumerate(payloads) if index not in problems]


def _checker(sync: ShopSync, report: PassReport) -> Checker | None:
    """This job's checker: made at the job's first batch, kept until the next job."""
    make = getattr(sync.target, "prechecker", None)
    if make is None:
        return None
    kept = _CHECKERS.get(sync)
    if kept is not None and kept[0] is report:
        return kept[1]
    checker: Checker = make()
    _CHECKERS[sync] = (report, checker)
    return checker
