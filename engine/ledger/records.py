"""The values the ledger hands out: order states, order records, claims and backfill progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OrderState(StrEnum):
    """Where an order stands. Each maps to one list of the manual, `sending` only briefly."""

    OPEN = "open"  # seen, not yet in a status that should be invoiced: the Open list
    SENDING = "sending"  # claimed by a pass that is posting it right now
    SENT = "sent"  # invoiced: the Reporting list
    FAILED = "failed"  # refused or uncertain, with reason and resolution: the Errors list
    SKIPPED = "skipped"  # deliberately not invoiced, with the reason


@dataclass(frozen=True)
class OrderRecord:
    """What the ledger knows of one order: bookkeeping only, never the order's contents."""

    shop: str
    order_id: str
    number: str
    order_date: datetime
    state: OrderState
    attempts: int
    first_seen_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    target_reference: str | None = None
    rule_version: str | None = None
    reason: str | None = None
    resolution: str | None = None
    reprocess_requested: bool = False
    # When it was last claimed, by the database's clock (None before schema version 2).
    claimed_at: datetime | None = None
    # Failed by the rules: the checks and their rule file:line (`vat_code @ ...yaml:170`).
    failed_check: str | None = None


@dataclass(frozen=True)
class Claim:
    """Proof that this caller moved the order to `sending`, committed before it posts."""

    shop: str
    order_id: str
    number: str
    order_date: datetime
    rule_version: str
    attempts: int
    claimed_at: datetime
    claimed_from: OrderState


@dataclass(frozen=True)
class FailureTold:
    """The system failure last told to a shop's notification channels (its key), and when."""

    failure: str
    at: datetime


@dataclass(frozen=True)
class BackfillProgress:
    """How far a history load of one shop got, so an interrupted one resumes there."""

    since: datetime
    until: datetime
    position: datetime | None
    updated_at: datetime
