"""Adopting what the accounting system already holds, so a lost or new ledger never doubles
the books.

A shop whose ledger knows nothing of it (first pass, a deleted ledger file, a switch from
another connector) could otherwise post every order of the period again. Before such a pass —
or on request, `mapper adopt --shop S --since DATE` — the target lists what it booked in the
period (one listing per window, `Target.list_booked`), the shop's orders of the period are
mapped, and every order whose idempotency key (Yuki: the Subject; see each adapter) is in the
listing is recorded `sent` with the target's reference. Orders the listing does not hold are
left to the pass as usual.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from ...connectors.adapters import batches
from ..errors import MappingError
from ..mapping import Payload
from .dates import order_datetime

if TYPE_CHECKING:
    from .pipeline import ShopSync

log = logging.getLogger(__name__)

# Orders adopted per ledger transaction.
ADOPT_BATCH = 500
# Invoice dates may differ from order dates by a day either way (time zones, midnight).
SLACK = dt.timedelta(days=1)


def adopt(sync: ShopSync, since: dt.datetime, until: dt.datetime) -> int:
    """Record as sent the shop's orders changed in [since, until) that the target already
    holds; return how many. A target that cannot list its invoices adopts nothing."""
    list_booked = getattr(sync.target, "list_booked", None)
    key_of = getattr(sync.target, "booking_key", None)
    if list_booked is None or key_of is None:
        return 0
    booked: dict[str, str] = list_booked(since - SLACK, until + SLACK)
    if not booked:
        return 0
    found: list[tuple[str, str, dt.datetime, str]] = []
    for document in sync.source.changed(since, until):
        order_id, number, date_text = sync.pair.header(document)
        if order_id is None:
            continue
        try:
            outcome = sync.pair.map(document, order_id)
        except MappingError:
            continue
        if not isinstance(outcome, Payload):
            continue
        reference = booked.get(key_of(outcome))
        if reference is not None:
            found.append((order_id, number, order_datetime(date_text), reference))
    adopted = 0
    for batch in batches(found, ADOPT_BATCH):
        adopted += sync.ledger.adopt_many(sync.shop, batch)
    log.info("%s: %d orders already in the accounting system were adopted", sync.shop, adopted)
    return adopted
