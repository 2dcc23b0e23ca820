"""Credit notes in the sync: where credit documents come from, and what the ledger adds to them.

A credit (a PrestaShop credit slip, the full credit of an order cancelled after invoicing) is
booked once, keyed on (shop, its namespaced id: `slip-12`, `cancel-1042`) in the same ledger
table as the orders — never on the order (connectors/adapters.py, `CreditSource`). A Source
without credits simply yields none. Before a credit is mapped for sending, the ledger's record
of its original order is added as `booked`, so the rules refuse a credit of an order that was
never invoiced, and refer to the invoice by the target's reference; and, where the shop can
tell which other credits the order has (`credit_ids_of`), their states, so the rules refuse
a second credit of an order already credited in full (a slip of an order whose cancellation
was credited) and make no cancellation credit of an order the shop made slips for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from ...connectors.adapters import CreditSource, Source, is_credit_id
from ..ledger import Ledger, OrderRecord
from ..mapping import Outcome, Payload

# The state `booked.credits` gives a credit the shop holds and the ledger has not seen yet.
NEW = "new"


def credit_documents_changed(
    source: Source, since: dt.datetime, until: dt.datetime
) -> Iterator[dict[str, Any]]:
    """The credit documents changed in [since, until]; none from a Source without credits."""
    if isinstance(source, CreditSource):
        yield from source.credits_changed(since, until)


def fetch_by_ids(source: Source, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Order documents for the orders' ids, credit documents for the credits' ids."""
    orders = [i for i in ids if not is_credit_id(i)]
    credits = [i for i in ids if is_credit_id(i)]
    if orders:
        yield from source.by_ids(orders)
    if credits and isinstance(source, CreditSource):
        yield from source.credits_by_ids(credits)


def is_credit(outcome: Outcome) -> bool:
    """Whether the rules made a credit note of the document."""
    return isinstance(outcome, Payload) and outcome.canonical.get("kind") == "credit"


def cancelled_before_invoicing(credit: Payload, document_id: str | None) -> bool:
    """A cancellation's credit (read off the order's own document, so it credits the very id
    the document has) of an order the ledger does not hold as sent: nothing to credit."""
    return str(credit.canonical.get("credits")) == str(document_id)


def credit_ids_of(source: Source, order_id: str) -> list[str] | None:
    """The ledger ids of every credit the shop holds or may make for the order (a Source's
    optional `credit_ids_of`: PrestaShop's slips and its cancellation), None where it cannot
    tell."""
    ask = getattr(source, "credit_ids_of", None)
    return None if ask is None else [str(i) for i in ask(order_id)]


def other_credits(
    ledger: Ledger, shop: str, source: Source, credit: Payload
) -> list[dict[str, str]] | None:
    """The other credits of the credit's original order, each `{"id", "state"}`: the ledger's
    state, or `new` for one the shop holds that the ledger has not seen. None where the shop
    cannot tell (then `booked` has no `credits`)."""
    order_id = str(credit.canonical.get("credits") or "")
    ids = credit_ids_of(source, order_id) if order_id else None
    if ids is None:
        return None
    ids = [i for i in dict.fromkeys(ids) if i != credit.order_id]
    records = ledger.get_orders(shop, ids)
    return [
        {"id": i, "state": records[i].state.value if i in records else NEW} for i in ids
    ]


def with_booked(
    document: dict[str, Any],
    original: OrderRecord | None,
    credits: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The credit document plus `booked`: the original order's state in the ledger and the
    target's reference of its invoice (none when it was never seen), and — where the shop can
    tell — `credits`, the order's other credits with their state (see `other_credits`), so
    the rules refuse to credit an order twice."""
    booked: dict[str, Any] = {
        "state": original.state.value if original is not None else "unknown",
        "reference": (original.target_reference or "") if original is not None else "",
    }
    if credits is not None:
        booked["credits"] = credits
    return {**document, "booked": booked}
