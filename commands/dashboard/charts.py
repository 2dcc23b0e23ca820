"""The two small charts: invoices sent per day (Reporting) and errors by reason (Errors),
counted by the database and drawn as inline SVG on the server (no script, nothing from a CDN;
presentation attributes only, so the CSP's `style-src 'self'` holds).

Both read only the ledger's bookkeeping: dates, states and error texts; no order contents.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, func, select

from ...engine.ledger import Ledger, OrderState
from ...engine.ledger.database import reading
from ...engine.ledger.tables import orders

DAYS = 30
REASONS = 6
WIDTH = 600
HEIGHT = 120
BAR = "#27c"


def _utc_day(column: ColumnElement[datetime], dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC text: 2026-03-02 10:00:00...


def invoices_per_day(
    ledger: Ledger, shop: str, today: date, days: int = DAYS
) -> list[tuple[date, int]]:
    """Orders sent per UTC day, the last `days` days up to `today`, every day listed."""
    first = today - timedelta(days=days - 1)
    engine = ledger._engine  # a read of the ledger's table, as pages.py does
    day = _utc_day(orders.c.updated_at, engine.dialect.name)
    query = (
        select(day.label("day"), func.count().label("n"))
        .where(
            orders.c.shop == shop,
            orders.c.state == OrderState.SENT.value,
            orders.c.updated_at >= datetime.combine(first, time(), UTC),
        )
        .group_by(day)
    )
    with reading(engine) as connection:
        counted = {str(row.day): int(row.n) for row in connection.execute(query)}
    return [
        (first + timedelta(days=i), counted.get((first + timedelta(days=i)).isoformat(), 0))
        for i in range(days)
    ]


def errors_by_reason(ledger: Ledger, shop: str, top: int = REASONS) -> list[tuple[str, int]]:
    """The most frequent reasons of the shop's failed orders, most first; the rest as one."""
    engine = ledger._engine
    query = (
        select(orders.c.reason, func.count().label("n"))
        .where(orders.c.shop == shop, orders.c.state == OrderState.FAILED.value)
        .group_by(orders.c.reason)
        .order_by(func.count().desc(), orders.c.reason)
    )
    with reading(engine) as connection:
        rows = [(str(row.reason or "(no reason)"), int(row.n)) for row in connection.execute(query)]
    if len(rows) <= top:
        return rows
    rest = sum(n for _, n in rows[top - 1 :])
    return [*rows[: top - 1], (f"{len(rows) - top + 1} other reasons", rest)]


def failed_state(ledger: Ledger, shop: str) -> tuple[int, datetime | None]:
    """How many orders of the shop failed, and the newest change among them: read from the
    index (shop, state, updated_at) alone, so it costs a millisecond where grouping the
    reasons reads every failed order. Every failure sets `updated_at` to the ledger's now, so
    a new failure, one again with another reason, or one leaving the list changes it."""
    query = select(func.count(), func.max(orders.c.updated_at)).where(
        orders.c.shop == shop, orders.c.state == OrderState.FAILED.value
    )
    with reading(ledger._engine) as connection:
        count, newest = connection.execute(query).one()
    return int(count or 0), newest


@dataclass
class ReasonCharts:
    """The errors-by-reason counts per shop, kept while the shop's failed orders stand as they
    were (`failed_state`): 5,000 failed orders are grouped once, not on every page. Under a
    stopped clock (tests) a change that keeps both the count and the newest time is seen at
    the next change."""

    _kept: dict[str, tuple[tuple[int, datetime | None], list[tuple[str, int]]]] = field(
        default_factory=dict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, ledger: Ledger, shop: str) -> list[tuple[str, int]]:
        state = failed_state(ledger, shop)
        with self._lock:
            kept = self._kept.get(shop)
        if kept is not None and kept[0] == state:
            return kept[1]
        counts = errors_by_reason(ledger, shop)
        with self._lock:
            self._kept[shop] = (state, counts)
        return counts


def day_chart(counts: list[tuple[date, int]]) -> Markup:
    """Vertical bars, one per day, with the highest count and the first and last day."""
    if not counts:
        return Markup("")
    highest = max(n for _, n in counts) or 1
    step = WIDTH / len(counts)
    bars = []
    for i, (day, n) in enumerate(counts):
        height = round((HEIGHT - 20) * n / highest, 1)
        x, y = round(i * step + 1, 1), round(HEIGHT - 14 - height, 1)
        bars.append(
            f'<rect x="{x}" y="{y}" width="{round(step - 2, 1)}" height="{height}" fill="{BAR}">'
            f"<title>{day.isoformat()}: {n}</title></rect>"
        )
    total = sum(n for _, n in counts)
    label = f"Invoices per day, {counts[0][0].isoformat()} to {counts[-1][0].isoformat()}: {total}"
    svg = (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(bars)}"
        f'<text x="0" y="{HEIGHT - 2}" font-size="10">{counts[0][0].isoformat()}</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 2}" font-size="10" text-anchor="end">'
        f"{counts[-1][0].isoformat()}</text>"
        f'<text x="0" y="10" font-size="10">max {highest}</text></svg>'
    )
    return Markup(svg)


def reason_chart(counts: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per reason, with the reason (cut to 70 characters) and count."""
    if not counts:
        return Markup("")
    highest = max(n for _, n in counts) or 1
    row = 22
    height = row * len(counts)
    parts = []
    for i, (reason, n) in enumerate(counts):
        shown = reason if len(reason) <= 70 else reason[:69] + "…"
        width = round(200 * n / highest, 1)
        y = i * row
        parts.append(
            f'<rect x="0" y="{y + 3}" width="{width}" height="{row - 6}" fill="#c33">'
            f"<title>{escape(reason)}: {n}</title></rect>"
            f'<text x="{width + 6}" y="{y + row - 7}" font-size="12">{n} · {escape(shown)}</text>'
        )
    label = f"Errors by reason: {sum(n for _, n in counts)} orders"
    svg = (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH + 200} '
        f'{height}" width="{WIDTH + 200}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(parts)}</svg>"
    )
    return Markup(svg)
