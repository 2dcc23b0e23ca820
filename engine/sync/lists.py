"""The manual's lists: Reporting (sent), Errors (failed), Open (waiting for an invoicing status).

`order_lists` reads them from the ledger as plain data: a heading that says how many orders the
list holds and how many are shown ("showing 12 of 28"), column titles, and rows of text. The
CLI draws them as tables that fit the terminal; `render_lists` gives plain aligned text of a
given width for anyone else (a log, an e-mail). Each row shows the order number *and* the
shop's internal id, since `mapper reprocess` takes either.

Only what the manual allows per order is shown: number, id, date, state, reference, rule
version, attempts, timestamps and the reason (for an open order: the shop state keeping it
open).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..ledger import Ledger, OrderRecord, OrderState

LISTS = {
    "reporting": (OrderState.SENT,),
    "errors": (OrderState.FAILED, OrderState.SENDING),
    "open": (OrderState.OPEN,),
}
TITLES = {
    "reporting": "Reporting — sent to the accounting system",
    "errors": "Errors — not sent; the reason and what to do",
    "open": "Open — waiting for an invoicing status",
}
COLUMNS = {
    "reporting": ("order", "id", "date", "reference", "rules", "sent"),
    "errors": ("order", "id", "date", "tries", "reason", "since"),
    "open": ("order", "id", "date", "state in the shop", "since"),
}
# Columns whose text may continue on the next lines, the first one first; the others stay
# on one line.
WRAPPING = {
    "reporting": ("rules", "reference"),
    "errors": ("reason",),
    "open": ("state in the shop",),
}
PLAIN_WIDTH = 100
MIN_WIDTH = 6  # no column is cut narrower
WRAP_MIN_WIDTH = 14  # wrapping columns give way first, down to this width
ESSENTIAL = ("order", "id")  # what `mapper reprocess` takes: cut last


@dataclass(frozen=True)
class OrderList:
    """One list as it is shown: `heading`, then a table of `columns` × `rows`."""

    name: str
    title: str
    total: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    wrapping: tuple[str, ...]
    next_check: str = ""

    @property
    def heading(self) -> str:
        """E.g. `Errors — not sent; the reason and what to do (showing 12 of 28)`."""
        shown = len(self.rows)
        count = f"showing {shown} of {self.total}" if shown < self.total else str(self.total)
        return f"{self.title} ({count}){self.next_check}"


def when(moment: datetime | None) -> str:
    """A ledger timestamp (UTC) as the local time a person reads, to the minute."""
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _detail(record: OrderRecord, list_name: str) -> str:
    if record.state == OrderState.OPEN:
        if record.reason:
            return record.reason
        if record.attempts:
            return f"in an invoicing status; sent by the next pass (tried {record.attempts}x)"
        return "not yet in an invoicing status"
    if record.state == OrderState.SENDING:
        return "being sent (or interrupted: resolved by the next pass)"
    detail = record.reason or ""
    if record.resolution:
        detail += f" — Resolution: {record.resolution}"
    return detail


def _row(record: OrderRecord, list_name: str) -> tuple[str, ...]:
    head = (record.number or record.order_id, record.order_id, record.order_date.date().isoformat())
    if list_name == "reporting":
        tail: tuple[str, ...] = (
            record.target_reference or "",
            record.rule_version or "",
            when(record.sent_at or record.updated_at),
        )
    elif list_name == "errors":
        tail = (str(record.attempts), _detail(record, list_name), when(record.updated_at))
    else:
        tail = (_detail(record, list_name), when(record.updated_at))
    return head + tail


def _next_check(shop: str | None, next_checks: Mapping[str, datetime]) -> str:
    wanted = {name: at for name, at in next_checks.items() if shop is None or name == shop}
    if not wanted:
        return "; re-checked every night"
    if len(set(wanted.values())) == 1:
        return f"; re-checked every night, next at {when(next(iter(wanted.values())))}"
    each = ", ".join(f"{name} {when(at)}" for name, at in wanted.items())
    return f"; re-checked every night, next at {each}"


def order_lists(
    ledger: Ledger,
    shop: str | None,
    lists: Iterable[str],
    limit: int | None = None,
    next_checks: Mapping[str, datetime] | None = None,
) -> list[OrderList]:
    """The lists named, newest change first, at most `limit` rows each (None: all).

    The totals come from one COUNT query for all lists. Without a `shop` a first column
    names each row's shop. `next_checks` (shop → when its nightly re-check runs next) adds
    that moment to the Open list's heading.
    """
    counts = ledger.counts(shop)
    result = []
    for name in lists:
        states = LISTS[name]
        rows = tuple(
            ((record.shop,) if shop is None else ()) + _row(record, name)
            for record in ledger.list_orders(shop, states, limit=limit)
        )
        note = _next_check(shop, next_checks or {}) if name == "open" else ""
        result.append(
            OrderList(
                name=name,
                title=TITLES[name],
                total=sum(counts.get(state, 0) for state in states),
                columns=(("shop",) if shop is None else ()) + COLUMNS[name],
                rows=rows,
                wrapping=WRAPPING[name],
                next_check=note,
            )
        )
    return result


def fit_widths(order_list: OrderList, width: int, gap: int = 2) -> list[int]:
    """Column widths that fit the list in `width` characters with `gap` between columns.

    Each column starts as wide as its widest cell; while too wide, columns give way in turn,
    the widest first: the first wrapping one (free text, continued on the next lines), then
    the other wrapping ones down to `WRAP_MIN_WIDTH`, then the others but order and id (cut short with an ellipsis) down to
    `MIN_WIDTH`, then the wrapping ones further, and only then the order number and id.
    """
    columns = order_list.columns
    cells = [columns, *order_list.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    wrapping = [columns.index(name) for name in order_list.wrapping]
    essential = [i for i, name in enumerate(columns) if name in ESSENTIAL]
    others = [i for i in range(len(columns)) if i not in wrapping and i not in essential]
    stages = [
        (wrapping[:1], WRAP_MIN_WIDTH),
        (wrapping, WRAP_MIN_WIDTH),
        (others, MIN_WIDTH),
        (wrapping, MIN_WIDTH),
    ]
    excess = sum(widths) + gap * (len(columns) - 1) - width
    for candidates, floor in [*stages, (essential, MIN_WIDTH)]:
        while excess > 0:
            wide = [i for i in candidates if widths[i] > floor]
            if not wide:
                break
            widths[max(wide, key=lambda i: widths[i])] -= 1
            excess -= 1
    return widths


def plain_table(order_list: OrderList, width: int = PLAIN_WIDTH) -> list[str]:
    """The list as aligned text no wider than `width`: wrapping columns continue on the next
    lines, other cells that do not fit end in an ellipsis."""
    columns = order_list.columns
    widths = fit_widths(order_list, width)
    lines = []
    for row in [columns, *order_list.rows]:
        wrapped = [
            textwrap.wrap(cell, widths[i], break_on_hyphens=False) or [""]
            if name in order_list.wrapping
            else [_cut(cell, widths[i])]
            for i, (name, cell) in enumerate(zip(columns, row, strict=True))
        ]
        for depth in range(max(len(parts) for parts in wrapped)):
            parts = [p[depth] if depth < len(p) else "" for p in wrapped]
            lines.append("  ".join(p.ljust(w) for p, w in zip(parts, widths)).rstrip())
        if row is columns:
            lines.append("-" * (sum(widths) + 2 * (len(columns) - 1)))
    if not order_list.rows:
        lines.append("(none)")
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_lists(
    ledger: Ledger,
    shop: str | None,
    lists: Iterable[str],
    limit: int | None = None,
    *,
    width: int = PLAIN_WIDTH,
    next_checks: Mapping[str, datetime] | None = None,
) -> list[str]:
    """The lists as plain text lines, each list a heading, a table and an empty line."""
    lines: list[str] = []
    for order_list in order_lists(ledger, shop, lists, limit, next_checks):
        lines.extend(textwrap.wrap(order_list.heading, width))
        lines.extend(plain_table(order_list, width))
        lines.append("")
    return lines
