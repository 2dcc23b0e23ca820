"""The manual's lists as tables: Reporting (sent), Errors (failed), Open (waiting for status)."""

from __future__ import annotations

from collections.abc import Iterable

from ..ledger import Ledger, OrderRecord, OrderState

LISTS = {
    "reporting": (OrderState.SENT,),
    "errors": (OrderState.FAILED, OrderState.SENDING),
    "open": (OrderState.OPEN,),
}
TITLES = {
    "reporting": "Reporting — sent to the accounting system",
    "errors": "Errors — not sent; the reason and what to do",
    "open": "Open — waiting for an invoicing status; re-checked every night",
}


def table(records: Iterable[OrderRecord], list_name: str) -> list[str]:
    rows = []
    for record in records:
        if list_name == "reporting":
            detail = record.target_reference or ""
        elif record.state == OrderState.OPEN:
            detail = record.reason or "not yet in an invoicing status"
        elif record.state == OrderState.SENDING:
            detail = "being sent (or interrupted: resolved by the next pass)"
        else:
            detail = record.reason or ""
            if record.resolution:
                detail += f" — Resolution: {record.resolution}"
        rows.append(
            (
                record.shop,
                record.number or record.order_id,
                record.order_date.date().isoformat(),
                record.state.value,
                detail,
                record.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    header = (
        "shop",
        "order",
        "date",
        "state",
        "reference" if list_name == "reporting" else "reason",
        "when",
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=False)) + "  " + header[5]
    ]
    lines.append("-" * len(lines[0]))
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row[:5], widths, strict=False)]
        lines.append("  ".join(cells) + "  " + row[5])
    if not rows:
        lines.append("(none)")
    return lines


def render_lists(
    ledger: Ledger, shop: str | None, lists: Iterable[str], limit: int | None = None
) -> list[str]:
    lines: list[str] = []
    counts = ledger.counts(shop)
    for name in lists:
        states = LISTS[name]
        total = sum(counts.get(state, 0) for state in states)
        lines.append(f"{TITLES[name]} ({total})")
        lines.extend(table(ledger.list_orders(shop, states, limit=limit), name))
        lines.append("")
    return lines
