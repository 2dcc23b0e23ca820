"""Orders as a person names them: by the number the lists show, or by the internal id."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import UsageError
from ..ledger import Ledger


def resolve_orders(ledger: Ledger, shop: str, references: Iterable[str]) -> list[str]:
    """The order ids `references` name (each an order number or an id), in the order given,
    each once. Raises UsageError (exit 2), one line, for references the shop's ledger does not
    know and for numbers shared by several orders (split carts), naming the ids they could be.
    """
    ids: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for reference in references:
        wanted = reference.strip()
        found = ledger.matching_orders(shop, wanted)
        if len(found) == 1:
            if found[0].order_id not in ids:
                ids.append(found[0].order_id)
        elif not found:
            unknown.append(wanted)
        else:
            choices = " or ".join(f"id {record.order_id}" for record in found)
            ambiguous.append(f"{wanted!r} is {choices}")
    if unknown:
        named = ", ".join(repr(reference) for reference in unknown)
        verb = "is" if len(unknown) == 1 else "are"
        noun = "order" if len(unknown) == 1 else "orders"
        raise UsageError(f"{noun} {named} {verb} not in the ledger of shop {shop}")
    if ambiguous:
        raise UsageError(
            f"shop {shop}: more than one order has that number: {'; '.join(ambiguous)} "
            "(give the id)"
        )
    return ids
