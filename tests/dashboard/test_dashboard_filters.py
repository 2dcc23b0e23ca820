"""The date filter of the lists (kept over paging) and the two charts (inline SVG)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mapper.commands.dashboard.charts import (
    day_chart,
    errors_by_reason,
    invoices_per_day,
    reason_chart,
)
from mapper.commands.dashboard.pages import read_page
from mapper.engine.ledger import Ledger

from .dashboard_helpers import FakeClock, dashboard, log_in


def sent_on(ledger: Ledger, clock: FakeClock, shop: str, order_id: str, day: datetime) -> None:
    """One order sent at `day` (the ledger's clock set to it)."""
    clock.now = day
    ledger.observe(shop, order_id, f"N{order_id}", day, sendable=True)
    claim = ledger.claim(shop, order_id, f"N{order_id}", day, "prestashop-yuki 1.2")
    assert claim is not None
    ledger.mark_sent(shop, order_id, f"YUKI-{order_id}")


def test_the_date_filter_keeps_its_days_over_every_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    clock = FakeClock()
    with Ledger.open(url, clock=clock) as ledger:
        start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        for i in range(12):  # two a day, 1..6 March
            sent_on(ledger, clock, "alpha", str(1000 + i), start + timedelta(hours=12 * i))
        first = read_page(
            ledger, "alpha", "reporting", since=date(2026, 3, 2), until=date(2026, 3, 4), size=4
        )
        assert first.total == 6
        assert [r.order_id for r in first.rows] == ["1007", "1006", "1005", "1004"]
        assert first.next_after is not None
        second = read_page(
            ledger,
            "alpha",
            "reporting",
            since=date(2026, 3, 2),
            until=date(2026, 3, 4),
            size=4,
            after=first.next_after,
        )
        assert [r.order_id for r in second.rows] == ["1003", "1002"]
        assert second.next_after is None

        counts = invoices_per_day(ledger, "alpha", date(2026, 3, 6), days=7)
        assert counts == [(date(2026, 2, 28), 0)] + [(date(2026, 3, d), 2) for d in range(1, 7)]
        svg = str(day_chart(counts))
        assert svg.startswith(
            '<svg class="chart" role="img" aria-label="Invoices per day, '
            '2026-02-28 to 2026-03-06: 12"'
        )
        assert "<title>2026-03-03: 2</title>" in svg and "style=" not in svg


def test_the_pages_carry_the_filter_and_show_the_charts(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        day = s.ledger.get_order("alpha", "101")
        assert day is not None
        sent = day.updated_at.date().isoformat()
        page = s.client.get("/shops/alpha/reporting", params={"from": sent, "to": sent}).text
        assert "3 shown of 3" in page
        assert f'name="from" value="{sent}"' in page and f'name="to" value="{sent}"' in page
        assert '<figure class="chart"><svg class="chart" role="img"' in page
        none = s.client.get(
            "/shops/alpha/reporting", params={"from": "2001-01-01", "to": "2001-01-02"}
        )
        assert "No orders in these days." in none.text

        errors = s.client.get("/shops/alpha/errors").text
        assert 'aria-label="Errors by reason: 2 orders"' in errors
        assert "1 · VAT number NL000 of the customer is invalid" in errors
        assert errors_by_reason(s.ledger, "alpha") == [
            ("VAT number NL000 of the customer is invalid", 1),
            ("shipping line has no VAT rate", 1),
        ]
        assert "beta" not in str(reason_chart(errors_by_reason(s.ledger, "alpha")))
