"""The sync pipeline: fetch, map, check, post, record — every order invoiced exactly once.

One `ShopSync` per configured shop. Each job (`sync`, `recheck`, `reprocess`, `backfill`) runs
under the shop's lock and ends with every order it saw in exactly one of the manual's lists:
Reporting (sent), Errors (failed, with the reason and what to do), Open (not yet in an
invoicing status).

Exactly once: an order is claimed (`sending`, committed) before it is posted and marked `sent`
after. A pass that dies in between leaves it `sending`; the next pass, holding the lock, knows
no one else is posting it and asks the target whether it arrived: found → sent; not found →
posted again; can't tell → Errors, "check in the accounting system whether it arrived".
A post that timed out is never posted again in the same pass: the target may still be booking
it after the client gave up, so a look-up right away proves nothing; it stays `sending` for the
next pass to look up.

Whatever the timing: an order left `sending` is posted again only once the target's settle
time (`settle_seconds` of the target section, longer than it takes the system to book) has
passed since its claim — measured on the database's clock — and a look-up then says it is not
there. Until then a look-up that finds nothing leaves it `sending` ("waiting for the accounting
system to confirm"), also for a pass that took the lock over from a dead or stalled one.
Every claim and mark carries the lock's generation (fencing): a pass whose lock was taken over
changes nothing and stops with one line (LockLost).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from ...connectors.adapters import Delivery, Source, Target, batches, is_credit_id, no_delivery
from ...connectors.ahead import Ahead
from ...connectors.errors import AmbiguousMatchError, ConnectorError, TransientError
from ...connectors.retry import RetryPolicy
from ..errors import MappingError
from ..ledger import Ledger, OrderRecord, OrderState, ShopLock
from ..ledger.timestamps import utc_now as _utc_now
from ..mapping import Pair, Payload, Skipped
from ..rules.compile import Rejection
from ..rules.failed_checks import noted_checks, noted_error
from .adopt import adopt
from .config import ShopConfig, with_stored
from .credits import (
    cancelled_before_invoicing,
    credit_documents_changed,
    fetch_by_ids,
    is_credit,
    other_credits,
    with_booked,
)
from .dates import order_datetime
from .failures import SystemFailure
from .precheck import precheck
from .read_ahead import read_ahead
from .start import pass_since
from .systems import open_source, open_target
from .vies import vies_review

log = logging.getLogger(__name__)

CHECK_IN_TARGET = (
    "Check in the accounting system whether the invoice arrived; if it did not, process the "
    "order again."
)
FIX_AND_REPROCESS = "Correct the order in the shop, then process it again."
# Open order ids taken from the ledger at a time for the re-check; the source fetches them a
# page at a time, read ahead across the pages of one such batch.
RECHECK_BATCH = 1000
# Documents fetched ahead of the one being processed (about a page of the shop's answers).
READ_AHEAD = 100
LOCK_TTL = dt.timedelta(minutes=10)
# How long after a claim an order without an answer may still be booked by the target, when
# the target does not say (its section's `settle_seconds`).
DEFAULT_SETTLE = dt.timedelta(minutes=15)


NOT_FOUND = object()
CANNOT_TELL = object()


def utc_now() -> dt.datetime:
    return _utc_now()


@dataclass
class PassReport:
    """What one job did, for the log and the CLI."""

    shop: str
    job: str
    seen: int = 0
    sent: int = 0
    failed: int = 0
    open: int = 0
    done_before: int = 0
    recovered: int = 0
    uncertain: int = 0
    adopted: int = 0
    problems: list[str] = field(default_factory=list)
    # Set when a system failed and the job stopped (what it did before that stays done).
    failure: SystemFailure | None = None

    def summary(self) -> str:
        text = (
            f"{self.shop}: {self.job}: {self.seen} orders seen, {self.sent} sent, "
            f"{self.failed} to Errors, {self.open} open, {self.done_before} done before"
        )
        if self.recovered:
            text += f", {self.recovered} recovered after an interruption"
        if self.adopted:
            text += f", {self.adopted} already in the accounting system (adopted)"
        if self.uncertain:
            text += f", {self.uncertain} still uncertain (re-checked next pass)"
        if self.failure is not None:
            text += f"; stopped: {self.failure.system} failed"
        return text


class Progress:
    """What a job tells while it runs (the CLI draws it; a scheduler may ignore it): the
    default does nothing. `advanced` is called after every order seen and every delivery."""

    def started(self, shop: str, job: str) -> None:
        """A job of `shop` begins."""

    def advanced(self, report: PassReport) -> None:
        """The job's counts changed."""

    def finished(self, report: PassReport) -> None:
        """The job ended (also when a system failed: then `report.failure` says why)."""


NO_PROGRESS = Progress()


class ShopSync:
    """The jobs of one shop: what a scheduler (cron, APScheduler, a task queue) calls."""

    lock_ttl: dt.timedelta = LOCK_TTL

    def __init__(
        self,
        config: ShopConfig,
        ledger: Ledger,
        *,
        source: Source | None = None,
        target: Target | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress = NO_PROGRESS,
    ) -> None:
        config = with_stored(config, ledger)  # settings and keys saved in the dashboard
        self.config = config
        self.shop = config.name
        self.ledger = ledger
        self.pair = Pair.load(config.mapping, config.settings, f"shop {config.name} settings")
        self.retry = retry or RetryPolicy()
        self.source = source or open_source(config, self.retry)
        self.target = target or open_target(config, self.pair, self.retry, ledger)
        self.clock = clock
        self.sleep = sleep
        self.progress = progress
        # The report of the job running (or last run): kept when a system failure ends it.
        self.report: PassReport | None = None
        self._lock: ShopLock | None = None
        # While a chunk is prepared: its orders turned away, recorded together (`_fail`).
        self._failing: list[tuple[str, str, dt.datetime, str, str]] | None = None
        self._checks: dict[str, str] = {}  # order id → its checks' names and places
        settle = getattr(self.target, "settle_seconds", None)
        self.settle = DEFAULT_SETTLE if settle is None else dt.timedelta(seconds=float(settle))
        # Posting behind (`_start_delivery`): the one thread that posts, and the batch it is
        # posting while this thread maps the next chunk.
        self._poster = Ahead(1, "mapper-post")
        self._in_flight: _Posting | None = None

    def close(self) -> None:
        self._poster.close()
        self.source.close()
        self.target.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The shop's lock for one job; renewed after every delivery (`_keep_lock`), so a long
        pass keeps it while a dead one loses it after `lock_ttl` (a worker's `queue:` sets it)."""
        with self.ledger.shop_lock(self.shop, ttl=self.lock_ttl) as lock:
            self._lock = lock
            try:
                yield
            finally:
                self._lock = None

    def _fence(self) -> int | None:
        """The held lock's generation, which every claim and mark of this pass carries."""
        return None if self._lock is None else self._lock.generation

    def _keep_lock(self) -> None:
        if self._lock is not None:
            self._lock.refresh()

    # -- jobs ------------------------------------------------------------------------------------
    def sync(self) -> PassReport:
        """One pass: orders changed since the cursor (with an overlap), then the cursor moves
        to the start of this pass — never further."""
        report = self._begin("sync")
        started = self.clock()
        with self._locked():
            self._resolve_interrupted(report)
            since, note = pass_since(self.config, self.ledger.get_cursor(self.shop), started)
            report.problems.extend([note] if note else [])
            if since is not None and not self.ledger.has_history(self.shop):
                # A new (or lost) ledger: what the target already holds is not posted again.
                report.adopted += adopt(self, since, started)
            if since is not None:  # None: `start:` is still ahead (see start.py)
                self._process(self.source.changed(since, started), report)
                # Credits after the orders: a slip of an order booked in this pass finds it sent.
                self._process(credit_documents_changed(self.source, since, started), report)
                self.ledger.set_cursor(self.shop, started)
        return report

    def recheck(self) -> PassReport:
        """Every open order fetched again by id, in batches, and sent once its status allows.
        No cap: the manual's 3 months / 300 orders limit does not apply."""
        report = self._begin("recheck")
        with self._locked():
            self._resolve_interrupted(report)
            # Orders first, then credits: a credit waiting for its order's invoice is booked in
            # the same re-check that invoices the order.
            for credits in (False, True):
                ids = (
                    i for i in self.ledger.open_order_ids(self.shop) if is_credit_id(i) == credits
                )
                # One stream over all the batches: the next batch is fetched while the last
                # one is mapped and posted, not after it.
                self._process(
                    chain.from_iterable(
                        fetch_by_ids(self.source, batch) for batch in batches(ids, RECHECK_BATCH)
                    ),
                    report,
                )
        return report

    def reprocess(self, order_ids: Iterable[str]) -> PassReport:
        """The manual's Process button: orders from Errors fetched and sent again."""
        report = self._begin("reprocess")
        wanted = [str(i) for i in order_ids]
        with self._locked():
            accepted = self.ledger.request_reprocess(self.shop, wanted)
            for order_id in wanted:
                if order_id not in accepted:
                    record = self.ledger.get_order(self.shop, order_id)
                    state = record.state.value if record else "unknown"
                    report.problems.append(f"order {order_id} is {state}, not in Errors")
            if accepted:
                self._process(fetch_by_ids(self.source, accepted), report)
        return report

    def backfill(
        self,
        since: dt.date,
        *,
        window: dt.timedelta = dt.timedelta(days=7),
        progress: Callable[[dt.datetime, dt.datetime], None] | None = None,
    ) -> PassReport:
        """History from `since` to now, window by window; an interrupted backfill resumes after
        the last window it finished. No 3-month limit."""
        report = self._begin("backfill")
        with self._locked():
            start = dt.datetime.combine(since, dt.time(), dt.UTC)
            stored = self.ledger.get_backfill(self.shop)
            if stored is not None and stored.since == start:
                until = stored.until
                position = stored.position or start
            else:
                until = self.clock()
                position = start
                self.ledger.set_backfill(self.shop, start, until, None)
            self._resolve_interrupted(report)
            while position < until:
                end = min(position + window, until)
                self._process(self.source.changed(position, end), report)
                self.ledger.set_backfill(self.shop, start, until, end)
                if progress is not None:
                    progress(start, end)
                position = end
            self.ledger.clear_backfill(self.shop)
        return report

    def adopt(self, since: dt.date) -> PassReport:
        """`mapper adopt`: orders from `since` to now that the accounting system already holds
        are recorded sent (one listing per window), so no pass posts them again."""
        report = self._begin("adopt")
        with self._locked():
            start = dt.datetime.combine(since, dt.time(), dt.UTC)
            report.adopted += adopt(self, start, self.clock())
        return report

    def _begin(self, job: str) -> PassReport:
        self.report = PassReport(self.shop, job)
        self.progress.started(self.shop, job)
        return self.report

    # -- orders in chunks: one ledger transaction per chunk, posted in batches ------------------
    def _process(self, documents: Iterator[dict[str, Any]], report: PassReport) -> None:
        """Documents a chunk at a time (the target's batch size): one ledger read and one claim
        transaction per chunk, claimed payloads posted in batches of the target's size — each
        batch posted behind (`_start_delivery`) while the next chunk is mapped; a chunk is
        claimed only once the batch before it is answered and recorded, so a target that
        fails leaves no chunk claimed and never posted."""
        size = self.target.batch_size
        claimed: list[Payload] = []
        chunk: list[dict[str, Any]] = []
        try:
            with closing(read_ahead(documents, READ_AHEAD)) as ahead:
                while True:
                    try:
                        document = next(ahead)
                    except StopIteration:
                        break
                    except ConnectorError:
                        # The shop failed past its retries: what was fetched is claimed and
                        # posted all the same, rather than left for the next pass to look up
                        # one by one.
                        self._deliver_all(claimed + self._claimed_next(chunk, report), report)
                        raise
                    report.seen += 1
                    self.progress.advanced(report)
                    chunk.append(document)
                    if len(chunk) >= size:
                        claimed += self._claimed_next(chunk, report)
                        chunk = []
                        claimed = self._deliver_full(claimed, report)
            self._deliver_all(claimed + self._claimed_next(chunk, report), report)
        finally:
            self._abandon_in_flight(report)

    def _claimed_next(self, chunk: list[dict[str, Any]], report: PassReport) -> list[Payload]:
        """Map a chunk (while the batch before is posted), then claim it once that batch is
        answered and recorded."""
        ready = self._mapped_chunk(chunk, report)
        self._finish_in_flight(report)
        return self._claim(ready, report)

    def _deliver_all(self, claimed: list[Payload], report: PassReport) -> None:
        for batch in batches(claimed, self.target.batch_size):
            self._deliver(batch, report)

    def _deliver_full(self, claimed: list[Payload], report: PassReport) -> list[Payload]:
        """Start posting full batches of the claimed payloads (the last one stays under way);
        return the rest, to fill the next one."""
        size = self.target.batch_size
        while len(claimed) >= size:
            self._finish_in_flight(report)
            self._in_flight = self._start_delivery(claimed[:size], report)
            claimed = claimed[size:]
        return claimed

    def _mapped_chunk(self, chunk: list[dict[str, Any]], report: PassReport) -> list[_Ready]:
        """Map a chunk of documents: the payloads to claim, with their order number and date
        and the ledger's record; the orders that stay open and those turned away are recorded
        (set-based)."""
        if not chunk:
            return []
        headers = [self.pair.header(document) for document in chunk]
        records = self.ledger.get_orders(self.shop, [h[0] for h in headers if h[0] is not None])
        ready: list[_Ready] = []
        # Orders that stay open, and those turned away (Errors), are recorded for the whole
        # chunk at once: one transaction each, a fixed number of statements (set-based).
        still_open: list[tuple[str, str, dt.datetime, str | None]] = []
        self._failing = []
        try:
            for document, (order_id, number, date_text) in zip(chunk, headers, strict=True):
                if order_id is None:
                    report.problems.append("an order document without an id was skipped")
                    continue
                order_date = order_datetime(date_text)
                record = records.get(order_id)
                payload = self._prepare(
                    document, order_id, number, order_date, record, report, still_open
                )
                if payload is not None:
                    # (a cancelled invoice's payload is its credit, which has a record of its
                    # own, if any: the order's is not the credit's)
                    own = record if payload.order_id == order_id else None
                    ready.append(_Ready(payload, number, order_date, own))
        finally:
            failing, self._failing = self._failing, None
            checks, self._checks = self._checks, {}
            self.ledger.fail_many(self.shop, failing, fence=self._fence(), checks=checks)
            self.ledger.observe_many(self.shop, still_open)
        return ready

    def _claim(self, ready: list[_Ready], report: PassReport) -> list[Payload]:
        """Claim mapped payloads (one transaction, committed before returning): those claimed
        now; one already claimed or sent counts as done before."""
        if not ready:
            return []
        claims = self.ledger.claim_many(
            self.shop,
            [(r.payload.order_id, r.number, r.order_date) for r in ready],
            self.pair.rules,
            fence=self._fence(),
            recorded={r.payload.order_id: r.record for r in ready if r.record is not None},
        )
        payloads: list[Payload] = []
        for payload, *_ in ready:
            # pop: an order the shop returned twice in a chunk is claimed and posted once.
            if claims.pop(payload.order_id, None) is None:
                report.done_before += 1
            else:
                payloads.append(payload)
        return payloads

    def _prepare(
        self,
        document: dict[str, Any],
        order_id: str,
        number: str,
        order_date: dt.datetime,
        record: OrderRecord | None,
        report: PassReport,
        still_open: list[tuple[str, str, dt.datetime, str | None]] | None = None,
    ) -> Payload | None:
        """The payload to claim for one order, or None once it is counted and recorded
        (an order that stays open: added to `still_open` when given, for the caller to record
        with the rest of its chunk)."""
        if record is not None and not _may_send(record.state, record.reprocess_requested):
            if record.state == OrderState.SENT:
                # An invoiced order the rules now make a credit of (cancelled after invoicing).
                return self._cancellation(document, number, order_date, report)
            report.done_before += 1  # the manual's check "not sent before"
            return None
        try:
            outcome = self.pair.map(document, order_id)
            if isinstance(outcome, Payload) and is_credit(outcome):
                original = self._original(outcome)
                waiting = _waiting_for(original)
                if cancelled_before_invoicing(outcome, order_id):
                    outcome = Skipped(order_id, "cancelled before it was invoiced")
                elif waiting is not None:
                    outcome = Skipped(order_id, waiting)
                else:
                    booked = self._booked(document, outcome, original)
                    if booked is None:  # the rules make no credit of it now
                        report.open += 1
                        return None
                    outcome = booked
            outcome = vies_review(self, document, order_id, outcome, report)  # ICP: VIES
        except MappingError as error:
            self._fail(
                order_id, number, order_date, str(error), FIX_AND_REPROCESS, report,
                check=noted_error(error),
            )
            return None
        if isinstance(outcome, Skipped):
            # else observe would change nothing; the reason is the shop state keeping it open
            if _open_as_recorded(record, number, order_date, outcome.reason):
                pass
            elif still_open is not None:
                still_open.append((order_id, number, order_date, outcome.reason))
            else:
                self.ledger.observe(
                    self.shop, order_id, number, order_date, sendable=False,
                    shop_state=outcome.reason,
                )
            report.open += 1
            return None
        if isinstance(outcome, Rejection):
            reason = "; ".join(f.message for f in outcome.failures)
            resolution = " ".join(
                dict.fromkeys(f.resolution for f in outcome.failures if f.resolution)
            )
            self._fail(
                order_id, number, order_date, reason, resolution or FIX_AND_REPROCESS, report,
                check=noted_checks((f.check, f.place) for f in outcome.failures),
            )
            return None
        return outcome

    def _original(self, credit: Payload) -> OrderRecord | None:
        """What the ledger holds of the order a credit credits."""
        return self.ledger.get_order(self.shop, str(credit.canonical.get("credits") or ""))

    def _booked(
        self, document: dict[str, Any], credit: Payload, original: OrderRecord | None
    ) -> Payload | Rejection | None:
        """A credit mapped again with what the ledger knows of its original order (`booked`):
        the rules refuse a credit of an order never invoiced and refer to the invoice by the
        target's reference. None when the rules then make no credit of it."""
        credits = other_credits(self.ledger, self.shop, self.source, credit)
        outcome = self.pair.map(with_booked(document, original, credits), credit.order_id)
        return None if isinstance(outcome, Skipped) else outcome

    def _cancellation(
        self, document: dict[str, Any], number: str, order_date: dt.datetime, report: PassReport
    ) -> Payload | None:
        """For an invoiced order seen again: its full credit note, when the rules make one
        (cancelled, with credit_cancellations) and it was not booked before; else None
        (done before)."""
        try:
            outcome = self.pair.map(document)
        except MappingError:
            outcome = None
        if not isinstance(outcome, Payload) or not is_credit(outcome):
            report.done_before += 1
            return None
        record = self.ledger.get_order(self.shop, outcome.order_id)
        if record is not None and not _may_send(record.state, record.reprocess_requested):
            report.done_before += 1
            return None
        booked = self._booked(document, outcome, self._original(outcome))
        if isinstance(booked, Rejection):
            reason = "; ".join(f.message for f in booked.failures)
            resolution = " ".join(
                dict.fromkeys(f.resolution for f in booked.failures if f.resolution)
            )
            self._fail(
                outcome.order_id, number, order_date, reason, resolution or FIX_AND_REPROCESS,
                report, check=noted_checks((f.check, f.place) for f in booked.failures),
            )
            return None
        if booked is None:  # the rules make no credit of it now (its slips credit it)
            report.done_before += 1
        return booked

    def _fail(
        self,
        order_id: str,
        number: str,
        order_date: dt.datetime,
        reason: str,
        resolution: str,
        report: PassReport,
        check: str | None = None,
    ) -> None:
        """`check`: the checks (or rule) that turned it away, with their file:line."""
        report.failed += 1
        if self._failing is not None:  # recorded with the rest of its chunk (`_mapped_chunk`)
            self._failing.append((order_id, number, order_date, reason, resolution))
            if check:
                self._checks[order_id] = check
            return
        self.ledger.observe(self.shop, order_id, number, order_date, sendable=True)
        self.ledger.mark_failed(
            self.shop, order_id, reason, resolution=resolution, fence=self._fence(), check=check
        )

    def _deliver(self, payloads: list[Payload], report: PassReport) -> None:
        """Post claimed payloads and record the answers (`_finish_delivery`)."""
        self._finish_delivery(self._start_delivery(payloads, report), report)

    def _start_delivery(self, payloads: list[Payload], report: PassReport) -> _Posting | None:
        """Start posting claimed payloads in the posting thread: the accounting system's
        latency is then paid while this thread maps the next chunk. Only one post is under
        way at a time and this thread uses the target only once it is answered, so the target
        is never used by two threads at once; answers are recorded by this thread."""
        pending = precheck(self, payloads, report)  # what the target's pre-check holds back
        if not pending:
            return None
        return _Posting(pending, self._poster.start(self._post, pending))

    def _finish_in_flight(self, report: PassReport) -> None:
        posting, self._in_flight = self._in_flight, None
        self._finish_delivery(posting, report)

    def _abandon_in_flight(self, report: PassReport) -> None:
        """A job ending on an error while a batch is posted: the post is waited for (the
        target is not left in use) and its answers recorded if the ledger takes them; else
        the batch stays `sending`, for the next pass to look up, as after a crash."""
        if self._in_flight is None:
            return
        try:
            self._finish_in_flight(report)
        except Exception as error:  # noqa: BLE001 — the job's own error is the one raised
            log.warning("%s: the batch being posted is looked up next pass: %s", self.shop, error)

    def _finish_delivery(self, posting: _Posting | None, report: PassReport) -> None:
        """Record the answers to a post; what is uncertain is looked up, then posted again,
        with back-off, up to the retry policy's attempts. Still uncertain: left `sending`,
        for the next pass to resolve.

        Posted again only when the target answered (5xx, 429): its work on the request is
        over, so "not found" is final. A post without an answer (timeout) may still be running
        at the target and book after the look-up; it is left `sending` unless already found.
        """
        if posting is None:
            return
        pending = posting.pending
        for attempt in range(1, self.retry.attempts + 1):
            deliveries = posting.answers.result() if attempt == 1 else self._post(pending)
            uncertain: list[Payload] = []
            unknown: list[Payload] = []
            sent: list[tuple[str, str]] = []
            for payload, delivery in zip(pending, deliveries, strict=True):
                if delivery.outcome == "uncertain":
                    looked_up = self._find(payload)
                    if looked_up is NOT_FOUND and delivery.answered:
                        uncertain.append(payload)
                        continue
                    if looked_up is NOT_FOUND or looked_up is CANNOT_TELL:
                        unknown.append(payload)  # posting again could make a second invoice
                        continue
                    delivery = Delivery("sent", reference=str(looked_up))
                    report.recovered += 1
                if delivery.outcome == "sent":
                    sent.append((payload.order_id, delivery.reference))
                else:
                    self._record_refused(payload, delivery, report)
            self._record_sent(sent, report)
            self._keep_lock()
            self._left_sending(unknown, report)
            self.progress.advanced(report)
            if not uncertain:
                return
            pending = uncertain
            if attempt < self.retry.attempts:
                self.sleep(min(self.retry.base_delay * 2 ** (attempt - 1), self.retry.max_delay))
        self._left_sending(pending, report)

    def _left_sending(self, payloads: list[Payload], report: PassReport) -> None:
        """One problem line for the batch, however many orders it holds."""
        if not payloads:
            return
        report.uncertain += len(payloads)
        if len(payloads) == 1:
            report.problems.append(
                f"order {payloads[0].order_id}: not confirmed by the accounting system now; "
                "it stays in sending and is looked up again next pass"
            )
            return
        report.problems.append(
            f"orders {_some_ids(payloads)}: not confirmed by the accounting system now; they "
            "stay in sending and are looked up again next pass"
        )

    def _post(self, payloads: list[Payload]) -> list[Delivery]:
        try:
            return self.target.post(payloads)
        except TransientError as error:
            return [no_delivery(error)] * len(payloads)

    def _find(self, payload: Payload) -> object:
        """The target's reference of this order's invoice if it already arrived, NOT_FOUND
        when it surely did not, CANNOT_TELL when more than one invoice fits it.

        Any other failure is the target's, not the order's (unreachable past every retry,
        credentials refused, out of calls): it ends the job, and the order stays where it is
        (`sending`) for the next pass to look up — rather than every order of the pass asking
        a system that does not answer, or landing in Errors for it.
        """
        try:
            found = self.target.find(payload)
        except AmbiguousMatchError as error:
            log.info("%s: cannot look up order %s: %s", self.shop, payload.order_id, error)
            return CANNOT_TELL
        return NOT_FOUND if found is None else found

    def _record_sent(self, sent: list[tuple[str, str]], report: PassReport) -> None:
        """(order id, reference) of the posted orders: sending → sent, in one transaction."""
        if sent:
            self.ledger.record_sent_many(self.shop, sent, fence=self._fence())
            report.sent += len(sent)

    def _record_refused(self, payload: Payload, delivery: Delivery, report: PassReport) -> None:
        self.ledger.mark_failed(
            self.shop,
            payload.order_id,
            f"the accounting system refused the invoice: {delivery.message}",
            resolution="Correct what the accounting system reports (the order or the "
            "settings), then process the order again.",
            fence=self._fence(),
        )
        report.failed += 1

    # -- after a crash -------------------------------------------------------------------------
    def _resolve_interrupted(self, report: PassReport) -> None:
        """Orders a pass left in `sending`: looked up; posted again only when not found and
        settled (claimed longer than the settle time ago, by the database's clock), else left
        `sending` to wait for the accounting system to confirm."""
        stuck = {record.order_id: record for record in self.ledger.stuck_sending(self.shop)}
        if not stuck:
            return
        log.info("%s: %d orders were left in sending; resolving them", self.shop, len(stuck))
        now = self.ledger.database_now()
        waiting: list[Payload] = []
        to_post: list[Payload] = []
        seen: set[str] = set()
        for document in fetch_by_ids(self.source, list(stuck)):
            order_id = self.pair.order_id(document)
            try:
                outcome = self.pair.map(document, order_id)
                if isinstance(outcome, Payload) and is_credit(outcome):
                    # a cancellation's credit id is its payload's, not its order document's
                    order_id = outcome.order_id
                    original = self.ledger.get_order(self.shop, str(outcome.canonical["credits"]))
                    outcome = self.pair.map(with_booked(document, original), order_id)
            except MappingError:
                outcome = None
            if order_id not in stuck:
                continue
            seen.add(order_id)
            if not isinstance(outcome, Payload):
                self._cannot_tell(order_id, report)
                continue
            found = self._find(outcome)
            if found is CANNOT_TELL:
                self._cannot_tell(order_id, report)
            elif found is NOT_FOUND:
                claimed_at = stuck[order_id].claimed_at
                settled = claimed_at is None or claimed_at + self.settle <= now
                (to_post if settled else waiting).append(outcome)
            else:
                self.ledger.mark_sent(self.shop, order_id, str(found), fence=self._fence())
                report.recovered += 1
        for order_id in stuck.keys() - seen:
            self._cannot_tell(order_id, report)
        self._waiting(waiting, report)
        for batch in batches(to_post, self.target.batch_size):
            self._deliver(batch, report)

    def _waiting(self, payloads: list[Payload], report: PassReport) -> None:
        """Not found yet, but claimed within the settle time: the target may still book them."""
        if not payloads:
            return
        report.uncertain += len(payloads)
        report.problems.append(
            f"{'order' if len(payloads) == 1 else 'orders'} {_some_ids(payloads)}: waiting for "
            f"the accounting system to confirm (posted less than {_minutes(self.settle)} ago); "
            "looked up again next pass"
        )

    def _cannot_tell(self, order_id: str, report: PassReport) -> None:
        self.ledger.mark_failed(
            self.shop,
            order_id,
            "interrupted while sending, and the accounting system could not confirm whether "
            "the invoice arrived",
            resolution=CHECK_IN_TARGET,
            fence=self._fence(),
        )
        report.failed += 1


class _Ready(NamedTuple):
    """A mapped order to claim: its payload, number and date, and the ledger's record of it."""

    payload: Payload
    number: str
    order_date: dt.datetime
    record: OrderRecord | None


@dataclass
class _Posting:
    """A batch being posted: the payloads, and the target's answers to come."""

    pending: list[Payload]
    answers: Future[list[Delivery]]


def _waiting_for(original: OrderRecord | None) -> str | None:
    """Why a credit of `original` waits in Open, or None: its order is open (not yet in an
    invoicing state: a refund while the order is still being paid or shipped) or being sent
    right now. Booked only once the order's invoice is, so that the order, invoiced later at its
    full amount, and its refund never part; the re-check fetches it again. A credit of an order
    the ledger never saw, or that failed, is for the rules to refuse."""
    if original is None or original.state not in (OrderState.OPEN, OrderState.SENDING):
        return None
    return f"waits for order {original.number} to be invoiced"


def _open_as_recorded(
    record: OrderRecord | None, number: str, order_date: dt.datetime, shop_state: str
) -> bool:
    return (
        record is not None
        and record.state == OrderState.OPEN
        and record.number == number
        and record.order_date == order_date
        and record.reason == shop_state
    )


def _minutes(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"


def _some_ids(payloads: list[Payload], shown: int = 5) -> str:
    """'1, 2, 3, 4, 5 and 7 more': a batch's order ids on one line."""
    ids = [p.order_id for p in payloads]
    text = ", ".join(ids[:shown])
    return f"{text} and {len(ids) - shown} more" if len(ids) > shown else text


def _may_send(state: OrderState, reprocess_requested: bool) -> bool:
    if state == OrderState.OPEN:
        return True
    return state == OrderState.FAILED and reprocess_requested
