"""The order-total check follows the shop's rounding (issue 13, item 1).

PrestaShop stores `round_type` (1 per item, 2 per line, 3 on the total) and `round_mode`
(PS_ROUND_UP 0, DOWN 1, HALF_UP 2, HALF_DOWN 3, HALF_EVEN 4, HALF_ODD 5) with every order.
Rounding per item or per line, its total is exactly the sum of its rounded amounts: any gap is a
real mismatch. Rounding on the total leaves at most half a cent per line (plus half a cent for the
total), which goes on the "Afronding" line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapper.engine.mapping import Pair, Payload, Rejection
from ps_order_builder import address, customer, document, order, row, six

D = Decimal
RESOLUTION = (
    "Check the order's amounts in PrestaShop (a product, shipping or discount changed after "
    "ordering?) and correct them, then process the order again."
)


@pytest.fixture(scope="module")
def pair() -> Pair:
    return Pair.load("prestashop-yuki")


def _document(rows: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return document(
        order(3100, "ROUNDING1", rows, shipping=("4.95", "4.090909", "21.000"), **options),
        customer(7, "Sophie", "Fischer", "sophie@example.nl"),
        [address(11, 7, 13, "Sophie", "Fischer")],
    )


def _pay_more(doc: dict[str, Any], amount: str) -> dict[str, Any]:
    for key in ("total_paid_tax_incl", "total_paid", "total_paid_real"):
        doc["order"][key] = six(D(doc["order"][key]) + D(amount))
    return doc


def _amounts(outcome: object, kind: str) -> list[str]:
    assert isinstance(outcome, Payload), outcome
    return [line["amount_incl"] for line in outcome.canonical["lines"] if line["kind"] == kind]


# 3 × 0.835 = 2.505, a tie: each mode breaks it its own way; 2 × 1.004 = 2.008 is no tie.
PER_LINE = {0: ["2.51", "2.01"], 1: ["2.50", "2.00"], 2: ["2.51", "2.01"],
            3: ["2.50", "2.01"], 4: ["2.50", "2.01"], 5: ["2.51", "2.01"]}
# per item: 1.115 rounded first (a tie), then × 3; 2.183 × 2 (no tie)
PER_ITEM = {0: ["3.36", "4.38"], 1: ["3.33", "4.36"], 2: ["3.36", "4.36"],
            3: ["3.33", "4.36"], 4: ["3.36", "4.36"], 5: ["3.33", "4.36"]}


@pytest.mark.parametrize("mode", sorted(PER_LINE))
def test_each_round_mode_rounds_a_line_as_the_shop_did(pair: Pair, mode: int) -> None:
    rows = [row(1, 41, "Sticker vos", "STK-VOS", 3, "0.835", "21"),
            row(2, 42, "Potlood HB", "PEN-HB", 2, "1.004", "21")]
    outcome = pair.map(_document(rows, round_type=2, round_mode=mode))
    assert [str(a) for a in _amounts(outcome, "article")] == PER_LINE[mode]
    assert _amounts(outcome, "rounding") == []
    paid = D(PER_LINE[mode][0]) + D(PER_LINE[mode][1]) + D("4.95")
    assert isinstance(outcome, Payload) and outcome.canonical["totals"]["paid"] == paid


@pytest.mark.parametrize("mode", sorted(PER_ITEM))
def test_each_round_mode_rounds_an_item_as_the_shop_did(pair: Pair, mode: int) -> None:
    rows = [row(1, 43, "Gum wit", "GUM-W", 3, "1.115", "21"),
            row(2, 44, "Thee rooibos 50 g", "TEA-RB", 2, "2.183", "9")]
    outcome = pair.map(_document(rows, round_type=1, round_mode=mode))
    assert [str(a) for a in _amounts(outcome, "article")] == PER_ITEM[mode]
    assert _amounts(outcome, "rounding") == []


def test_round_mode_0_is_up_not_unset(pair: Pair) -> None:
    """A shop that rounds up: 3 × 1.001 = 3.003 is 3.01, and the order is booked."""
    rows = [row(1, 43, "Gum wit", "GUM-W", 3, "1.001", "21")]
    doc = _document(rows, round_type=2, round_mode=0)
    assert doc["order"]["total_paid_tax_incl"] == "7.960000"
    assert [str(a) for a in _amounts(pair.map(doc), "article")] == ["3.01"]


def test_an_order_that_stores_no_rounding_is_read_half_up_per_line(pair: Pair) -> None:
    """PrestaShop's demo data stores round_type 0 and round_mode 0: not 'up'."""
    rows = [row(1, 43, "Gum wit", "GUM-W", 3, "1.001", "21")]
    doc = _document(rows, round_type=2, round_mode=2)
    doc["order"]["round_type"] = doc["order"]["round_mode"] = "0"
    assert [str(a) for a in _amounts(pair.map(doc), "article")] == ["3.00"]


@pytest.mark.parametrize("round_type", [1, 2])
@pytest.mark.parametrize("gap", ["0.01", "-0.01"])
def test_per_item_and_per_line_allow_no_gap(pair: Pair, round_type: int, gap: str) -> None:
    rows = [row(1, 41, "Sticker vos", "STK-VOS", 3, "0.835", "21"),
            row(2, 42, "Potlood HB", "PEN-HB", 2, "1.004", "21")]
    outcome = pair.map(_pay_more(_document(rows, round_type=round_type, round_mode=2), gap))
    assert isinstance(outcome, Rejection)
    lines = "4.52"  # per line 2.51 + 2.01, per item 3 × 0.84 + 2 × 1.00
    paid = D(lines) + D("4.95") + D(gap)
    assert [f.as_dict() for f in outcome.failures] == [{
        "check": "order_total",
        "message": (
            f"The order total {paid} does not equal the lines {lines} + shipping 4.95 + "
            f"wrapping 0.00 − discount 0.00 = {D(lines) + D('4.95')} (difference {D(gap)})"
        ),
        "resolution": RESOLUTION,
    }]


def _fifty_lines(unit: str) -> list[dict[str, Any]]:
    return [row(i, 100 + i, f"Kraal {i}", f"BEAD-{i:02d}", 1, unit, "21") for i in range(1, 51)]


def test_on_the_total_fifty_lines_keep_their_half_cents(pair: Pair) -> None:
    """50 × 1.004 = 50.20 in the shop; 50 lines of 1.00 here: 0.20 is the shop's rounding."""
    outcome = pair.map(_document(_fifty_lines("1.004"), round_type=3, round_mode=2))
    assert [str(a) for a in _amounts(outcome, "rounding")] == ["0.20"]


def test_on_the_total_fifty_lines_cannot_hide_half_a_euro(pair: Pair) -> None:
    outcome = pair.map(_pay_more(_document(_fifty_lines("0.25"), round_type=3, round_mode=2),
                                 "0.50"))
    assert isinstance(outcome, Rejection)
    assert outcome.reasons() == [
        "order_total: The order total 17.95 does not equal the lines 12.50 + shipping 4.95 + "
        "wrapping 0.00 − discount 0.00 = 17.45 (difference 0.50), more than the shop's rounding "
        "on the total can make: at most 0.25 for 50 lines"
    ]


def test_on_the_total_one_cent_past_the_allowance_is_turned_away(pair: Pair) -> None:
    outcome = pair.map(_pay_more(_document(_fifty_lines("1.004"), round_type=3, round_mode=2),
                                 "0.06"))
    assert isinstance(outcome, Rejection)
    assert outcome.reasons() == [
        "order_total: The order total 55.21 does not equal the lines 50.00 + shipping 4.95 + "
        "wrapping 0.00 − discount 0.00 = 54.95 (difference 0.26), more than the shop's rounding "
        "on the total can make: at most 0.25 for 50 lines"
    ]
