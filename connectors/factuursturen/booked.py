"""What Factuursturen already holds, keyed so that a payload finds its invoice in one listing.

Adopting (engine/sync/adopt.py) asks a target once per window for what it booked, rather than
once per order. Factuursturen has two places an order's invoice can be:

- sent invoices, `GET invoices?since=&until=&count=&offset=` (paged; `since`/`until` filter on
  `sent`, the day Factuursturen booked it, not the order's date), keyed on the client number,
  the three reference lines (the first carries the order number) and the lines (description,
  quantity, price, VAT rate): two orders of one customer with the same number (PrestaShop split
  carts share a reference) are still told apart by their lines;
- concepts (action `save`), `GET invoices_saved` (one list, no date filter), keyed on their
  `savename`, which Factuursturen keeps unique.

A key that appears twice in a listing is left out: `find` tells such invoices apart, or says
it cannot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .client import FactuursturenClient, _lines_key, _reference_key

CONCEPT_ACTIONS = ("save", "repeat")


def booking_key(invoice: Mapping[str, Any]) -> str:
    """The key of the invoice part of a payload."""
    if invoice.get("action") in CONCEPT_ACTIONS:
        return "concept|" + str(invoice.get("savename", "")).strip()
    return sent_key(invoice)


def sent_key(invoice: Mapping[str, Any]) -> str:
    """Client number, reference lines and lines of a sent invoice, as one string."""
    reference = "|".join(_reference_key(invoice.get("reference")))
    lines = sorted(
        "/".join(str(part) for part in line) + f"x{count}"
        for line, count in _lines_key(invoice.get("lines")).items()
    )
    return f"invoice|{invoice.get('clientnr', '')}|{reference}|{';'.join(lines)}"


def list_booked(
    client: FactuursturenClient, since: datetime, until: datetime
) -> dict[str, str]:
    """Key → invoice number (sent) or concept id (saved) of everything booked in [since,
    until]: the invoice list paged through once, the concepts asked once."""
    sent = (
        (sent_key(invoice), str(invoice.get("invoicenr") or invoice.get("id")))
        for invoice in client.iter_invoices(since=since.date(), until=until.date())
    )
    saved = (
        ("concept|" + str(concept.get("savename", "")).strip(), str(concept.get("id")))
        for concept in client.list_saved_invoices()
        if str(concept.get("savename", "")).strip()
    )
    return {**_unique(sent), **_unique(saved)}


def _unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    listed = list(pairs)
    counts = Counter(key for key, _ in listed)
    return {key: reference for key, reference in listed if counts[key] == 1}
