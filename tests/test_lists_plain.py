"""The lists as data and as plain text (`render_lists`, for a log or the demo), without rich."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mapper.engine.ledger import Ledger
from mapper.engine.sync.lists import order_lists, render_lists

RULES = "prestashop 1.0.0 > yuki 1.0.0"
NOT_PAID = "order state 1 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
WRONG_TOTAL = (
    "checks: total: the lines add up to 41.32 incl. VAT, the order's total_paid_tax_incl is "
    "50.00 (difference 8.68)"
)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(minutes=5)
        return now[0]

    opened = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    date = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    for shop in ("webshop", "outlet-shop"):
        for index in range(5):
            order_id = str(2000 + index)
            opened.claim(shop, order_id, f"KLMNOP{index:03d}", date, RULES)
            opened.mark_failed(shop, order_id, WRONG_TOTAL, resolution="Correct the order.")
        opened.observe(shop, "2100", "OPENORDER", date, sendable=False, shop_state=NOT_PAID)
    return opened


def test_the_data_of_a_limited_list(ledger: Ledger) -> None:
    (errors,) = order_lists(ledger, "webshop", ["errors"], limit=2)
    assert errors.heading == "Errors — not sent; the reason and what to do (showing 2 of 5)"
    assert errors.columns == ("order", "id", "date", "tries", "reason", "since")
    assert [row[:5] for row in errors.rows] == [
        ("KLMNOP004", "2004", "2026-03-01", "1", f"{WRONG_TOTAL} — Resolution: Correct the order."),
        ("KLMNOP003", "2003", "2026-03-01", "1", f"{WRONG_TOTAL} — Resolution: Correct the order."),
    ]


def test_across_shops_a_first_column_names_the_shop(ledger: Ledger) -> None:
    (open_list,) = order_lists(ledger, None, ["open"])
    assert open_list.columns == ("shop", "order", "id", "date", "state in the shop", "since")
    assert sorted(row[:5] for row in open_list.rows) == [
        ("outlet-shop", "OPENORDER", "2100", "2026-03-01", NOT_PAID),
        ("webshop", "OPENORDER", "2100", "2026-03-01", NOT_PAID),
    ]
    assert open_list.heading == "Open — waiting for an invoicing status (2); re-checked every night"


def test_the_next_recheck_of_each_shop(ledger: Ledger) -> None:
    checks = {
        "webshop": datetime(2026, 3, 3, 2, 0, tzinfo=UTC),
        "outlet-shop": datetime(2026, 3, 3, 4, 30, tzinfo=UTC),
    }
    (one,) = order_lists(ledger, "webshop", ["open"], next_checks=checks)
    (both,) = order_lists(ledger, None, ["open"], next_checks=checks)
    local = {name: at.astimezone().strftime("%Y-%m-%d %H:%M") for name, at in checks.items()}
    assert one.heading.endswith(f"; re-checked every night, next at {local['webshop']}")
    assert both.heading.endswith(
        f"; re-checked every night, next at webshop {local['webshop']}, "
        f"outlet-shop {local['outlet-shop']}"
    )


@pytest.mark.parametrize("width", [100, 80, 60])
def test_plain_text_fits_the_width_and_keeps_number_and_id(ledger: Ledger, width: int) -> None:
    lines = render_lists(ledger, None, ["reporting", "errors", "open"], 3, width=width)
    assert max(len(line) for line in lines) <= width
    assert lines[0] == "Reporting — sent to the accounting system (0)"
    assert "(none)" in lines
    assert any("  KLMNOP004  2004  " in line for line in lines)
    if width >= 80:
        assert any(line.startswith("outlet-shop  KLMNOP004  2004  ") for line in lines)
    (at,) = [i for i, line in enumerate(lines) if line.startswith("Errors")]
    heading = "Errors — not sent; the reason and what to do (showing 3 of 10)"
    if width >= len(heading):
        assert lines[at] == heading
    else:  # a heading wider than the width goes on over the next line
        assert f"{lines[at]} {lines[at + 1]}" == heading
    # the reason is wrapped, not lost: its last words are there
    assert any(line.rstrip().endswith(" order.") for line in lines)
