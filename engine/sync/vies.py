"""The VIES step of a pass: ICP orders' VAT numbers checked live before they are claimed.

A shop's `vies:` setting turns it on (`check: true`); `unverified: wait | send_with_note` says
what happens when VIES cannot answer (default wait); `url` points at another endpoint (the
simulator); `timeout` is in seconds.

The mapping stays pure: each order is mapped as always (the checksum is the offline first
step); only an order the rules make ICP with a checksum-valid number is asked about. VIES's
answer then reaches the rules as data — the fetched document plus
`vies: {number: {status, checked_on, fault}}` — and the order is mapped again with it:
- valid: the payload stands;
- invalid: the rules turn the order away (mappings/common/vat_scheme.yaml, check icp_vies);
- unverified (MS_UNAVAILABLE, TIMEOUT, no answer …): with `wait` the order stays in Open,
  with the reason, and the re-check asks again; with `send_with_note` it is sent, the invoice
  noting that VIES could not confirm the number. Never invalid for VIES being down.

Answers are kept per number per day (VIES's verdict of one day serves all of that day's
passes): in memory for the shop's jobs, and in the ledger (engine/ledger/vies_cache.py) for
every pass and process sharing it — valid and invalid only, never unverified, so a pass after
an outage asks again. An outage is remembered only for the rest of the job: a member state
that answered MS_UNAVAILABLE, or VIES unreachable, is not asked again in the same job.
Credit notes are not checked: they follow their invoice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from weakref import WeakKeyDictionary

from ...connectors.retry import RetryPolicy
from ...connectors.vies.client import SERVICE_URL, UNREACHABLE, ViesAnswer, ViesClient
from ..ledger.vies_cache import ViesCache
from ..library.vatnumber import VIES_FAULTS, VIES_STATUSES
from ..mapping import Outcome, Payload, Skipped

if TYPE_CHECKING:
    from .pipeline import PassReport, ShopSync

WAIT = "wait"
SEND_WITH_NOTE = "send_with_note"
# Faults after which VIES as a whole is not asked again in the same job.
_ALL_DOWN = frozenset({"SERVICE_UNAVAILABLE", "GLOBAL_MAX_CONCURRENT_REQ", UNREACHABLE})
# Faults after which that member state is not asked again in the same job.
_STATE_DOWN = frozenset({"MS_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "TIMEOUT"})


class Checker(Protocol):
    def check(self, number: str) -> ViesAnswer: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ViesSettings:
    check: bool = False
    unverified: str = WAIT
    url: str = SERVICE_URL
    timeout: float = 10.0

    @classmethod
    def read(cls, raw: Mapping[str, Any] | None) -> ViesSettings:
        """From a shop's `vies:` section (checked by schemas/config.schema.json)."""
        raw = raw or {}
        return cls(
            check=bool(raw.get("check", False)),
            unverified=str(raw.get("unverified", WAIT)),
            url=str(raw.get("url", SERVICE_URL)),
            timeout=float(raw.get("timeout", 10.0)),
        )


class ViesStep:
    """One shop's VIES check: the answers of the day, and the outages of the running job."""

    def __init__(
        self,
        settings: ViesSettings,
        checker: Checker | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        retry: RetryPolicy | None = None,
        cache: ViesCache | None = None,
    ) -> None:
        self.settings = settings
        self._checker = checker
        self._retry = retry
        self._today = today
        self._cache = cache  # the ledger's verdicts of the day, shared by passes and processes
        self._answers: dict[tuple[str, dt.date], ViesAnswer] = {}
        self._down: dict[str, ViesAnswer] = {}  # '*' or a prefix → the answer that said so

    def new_job(self) -> None:
        """A job begins: outages are asked about again; the day's verdicts stand."""
        self._down.clear()

    def close(self) -> None:
        if self._checker is not None:
            self._checker.close()

    def review(
        self,
        map_again: Callable[[dict[str, Any]], Outcome],
        document: dict[str, Any],
        order_id: str,
        outcome: Outcome,
    ) -> Outcome:
        """The outcome once VIES has had its say about an ICP order's VAT number."""
        number = _icp_number(outcome)
        if not self.settings.check or number is None:
            return outcome
        answer = self.answer(number)
        if answer.status == "valid":
            return outcome
        if answer.status == "unverified" and self.settings.unverified == WAIT:
            return Skipped(order_id, waiting_reason(answer))
        return map_again({**document, "vies": {number: answer.as_data()}})

    def answer(self, number: str) -> ViesAnswer:
        """VIES's answer for `number`: the day's verdict if there is one, else asked now
        (unless VIES or the number's member state already failed in this job)."""
        today = self._today()
        kept = self._answers.get((number, today))
        if kept is not None:
            return kept
        stored = self._cache.get(number, today) if self._cache is not None else None
        if stored is not None:
            kept = ViesAnswer(number, stored, today)
            self._answers[(number, today)] = kept
            return kept
        prefix = number[:2]
        outage = self._down.get("*") or self._down.get(prefix)
        if outage is not None:
            return ViesAnswer(number, "unverified", today, outage.fault)
        answer = self._client().check(number)
        if answer.status != "unverified":
            self._answers[(number, today)] = answer
            if self._cache is not None:
                self._cache.put(number, today, answer.status)
        elif answer.fault in _ALL_DOWN:
            self._down["*"] = answer
        elif answer.fault in _STATE_DOWN:
            self._down[prefix] = answer
        return answer

    def _client(self) -> Checker:
        if self._checker is None:
            self._checker = ViesClient(
                self.settings.url, timeout=self.settings.timeout, retry=self._retry
            )
        return self._checker


class _AnsweringAs:
    """A checker that asks nobody: every number gets the same status (and, unverified, the
    member state's database down as the fault)."""

    def __init__(self, status: str, today: dt.date) -> None:
        self.status, self.today = status, today

    def check(self, number: str) -> ViesAnswer:
        fault = "MS_UNAVAILABLE" if self.status == "unverified" else ""
        return ViesAnswer(number, self.status, self.today, fault)

    def close(self) -> None:
        pass


def assumed_answers(status: str, unverified: str = WAIT) -> ViesStep:
    """A VIES step that answers every ICP order's VAT number with `status` (valid, invalid or
    unverified) without asking VIES: what a pass with `vies: {check: true, unverified: …}`
    makes of the orders when VIES answers so (`mapper dry-run --vies`)."""
    if status not in VIES_STATUSES:
        raise ValueError(f"a VIES answer is valid, invalid or unverified, not {status!r}")
    today = dt.date.today()
    settings = ViesSettings(check=True, unverified=unverified)
    return ViesStep(settings, _AnsweringAs(status, today), today=lambda: today)


def waiting_reason(answer: ViesAnswer) -> str:
    """Why an order waits in Open: without the number (the ledger keeps no customer data)."""
    why = VIES_FAULTS.get(answer.fault, "no answer")
    return (
        f"waiting for VIES: the VAT number could not be checked on "
        f"{answer.checked_on.isoformat()} ({why}); it is checked again at the next re-check"
    )


def _icp_number(outcome: Outcome) -> str | None:
    """The VAT number of an invoice the rules made ICP, or None."""
    if not isinstance(outcome, Payload):
        return None
    canonical = outcome.canonical
    if canonical.get("vat_scheme") != "icp" or canonical.get("kind") == "credit":
        return None
    vat = canonical.get("vat_number")
    number = vat.get("number") if isinstance(vat, Mapping) else None
    if not number:
        address = canonical.get("billing_address")
        number = address.get("vat_number") if isinstance(address, Mapping) else None
    return str(number) if number else None


# -- the pipeline's hook ----------------------------------------------------------------------
# Per ShopSync: its step, and the job (report) it last served.
_STEPS: WeakKeyDictionary[Any, tuple[ViesStep | None, Any]] = WeakKeyDictionary()


def vies_review(
    sync: ShopSync,
    document: dict[str, Any],
    order_id: str,
    outcome: Outcome,
    report: PassReport,
) -> Outcome:
    """`ViesStep.review` for the shop of `sync` (its `vies:` setting), within the job of
    `report`. Shops without `vies: {check: true}` are not affected."""
    step = vies_step(sync, report)
    if step is None:
        return outcome
    return step.review(lambda doc: sync.pair.map(doc, order_id), document, order_id, outcome)


def vies_step(sync: ShopSync, report: PassReport | None = None) -> ViesStep | None:
    """The shop's step (made at its first use), or None when the check is off."""
    kept = _STEPS.get(sync)
    if kept is None:
        settings = ViesSettings.read(getattr(sync.config, "vies", None))
        step = (
            ViesStep(settings, retry=sync.retry, cache=ViesCache(sync.ledger))
            if settings.check else None
        )
        kept = (step, None)
        _STEPS[sync] = kept
    step, job = kept
    if step is None:
        return None
    if report is not None and job is not report:
        step.new_job()
    _STEPS[sync] = (step, report if report is not None else job)
    return step


def use_step(sync: ShopSync, step: ViesStep) -> None:
    """Give a shop a step of one's own (a checker talking to a simulator, a fixed clock)."""
    _STEPS[sync] = (step, None)
