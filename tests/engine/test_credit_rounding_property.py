"""Property: for random PrestaShop orders and credit slips, over every rounding the shop can
store (PS_ROUND_* 0..5 × round_type 1 per item / 2 per line / 3 on the total), the invoice plus
its credit note equal what the customer finally paid, to the cent, per VAT rate."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from engine.ps_order_builder import (  # tests/ is on sys.path: pytest puts it there
    address,
    customer,
    document,
    order,
    row,
    shop_round,
    six,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from mapper.engine.mapping import load_rule_set

RATES = ("21", "9", "0")
RULES = load_rule_set("prestashop").bind()

rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=7),  # quantity
        st.integers(min_value=1, max_value=25_000).map(lambda c: Decimal(c) / 100),  # unit incl
        st.sampled_from(RATES),
        st.integers(min_value=0, max_value=7),  # quantity refunded (capped at the quantity)
    ),
    min_size=1,
    max_size=6,
)


def by_rate(lines: list[dict[str, Any]]) -> dict[Decimal, Decimal]:
    totals: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[Decimal(str(line["vat_rate"]))] += Decimal(str(line["amount_incl"]))
    return dict(totals)


@settings(max_examples=150, deadline=None)
@given(
    rows=rows_strategy,
    round_mode=st.integers(min_value=0, max_value=5),
    round_type=st.sampled_from([1, 2, 3]),
    shipping=st.sampled_from([("0", "0", "0"), ("4.95", "4.090909", "21.000")]),
    refund_shipping=st.booleans(),
)
def test_invoice_plus_credit_is_what_the_customer_finally_paid_per_rate(
    rows: list[tuple[int, Decimal, str, int]],
    round_mode: int,
    round_type: int,
    shipping: tuple[str, str, str],
    refund_shipping: bool,
) -> None:
    order_rows = [
        row(100 + n, n, f"Artikel {n}", f"ART-{n}", quantity, unit, rate)
        for n, (quantity, unit, rate, _) in enumerate(rows, 1)
    ]
    the_order = order(
        4242, "PROPERTYA", order_rows, shipping=shipping, round_type=round_type,
        round_mode=round_mode,
    )
    base = document(
        the_order, customer(7, "Sophie", "Fischer", "s@example.nl"),
        [address(11, 7, 13, "Sophie", "Fischer")],
    )
    details = []
    for n, ((quantity, _, _, back), order_row) in enumerate(zip(rows, order_rows, strict=True), 1):
        back = min(back, quantity)
        if back:
            details.append({
                "id": str(n), "id_order_detail": order_row["id"], "product_quantity": str(back),
                "amount_tax_excl": six(Decimal(order_row["unit_price_tax_excl"]) * back),
                "amount_tax_incl": six(Decimal(order_row["unit_price_tax_incl"]) * back),
            })
    ship_incl = Decimal(shipping[0]) if refund_shipping else Decimal(0)
    ship_excl = Decimal(shipping[1]) if refund_shipping else Decimal(0)
    products_incl = shop_round(
        sum((Decimal(d["amount_tax_incl"]) for d in details), Decimal(0)), round_mode
    )
    products_excl = shop_round(
        sum((Decimal(d["amount_tax_excl"]) for d in details), Decimal(0)), round_mode
    )
    slip = {
        "id": "77", "id_customer": "7", "id_order": "4242", "conversion_rate": "1.000000",
        "total_products_tax_excl": six(products_excl), "total_products_tax_incl": six(products_incl),
        "total_shipping_tax_excl": six(ship_excl), "total_shipping_tax_incl": six(ship_incl),
        "amount": six(products_incl), "shipping_cost": "1" if refund_shipping else "0",
        "shipping_cost_amount": six(ship_incl), "partial": "1",
        "date_add": "2026-04-01 10:00:00", "date_upd": "2026-04-01 10:00:00",
        "order_slip_type": "0", "associations": {"order_slip_details": details},
    }

    invoice = RULES.apply(base)
    credit = RULES.apply({**base, "order_slip": slip})
    assert isinstance(invoice, dict) and isinstance(credit, dict), (invoice, credit)

    assert credit["kind"] == "credit" and credit["credits"] == "4242"
    assert all(Decimal(str(line["amount_incl"])) <= 0 or line["kind"] == "rounding"
               for line in credit["lines"])
    refunded = products_incl + ship_incl
    finally_paid = Decimal(the_order["total_paid_tax_incl"]) - refunded
    # What went back, to the cent, and what the customer finally paid.
    assert Decimal(credit["totals"]["paid"]) == -refunded
    assert Decimal(invoice["totals"]["paid"]) + Decimal(credit["totals"]["paid"]) == finally_paid
    # Per VAT rate: the credit takes back exactly what the slip refunds at that rate, at the
    # order line's rate; a rounding gap of the shop's (round_type 3) sits at 0 %, as on the
    # invoice.
    refund_per_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for (_, _, rate, _), order_row in zip(rows, order_rows, strict=True):
        for detail in details:
            if detail["id_order_detail"] == order_row["id"]:
                refund_per_rate[Decimal(rate)] += shop_round(
                    Decimal(detail["amount_tax_incl"]), round_mode
                )
    if ship_incl:
        refund_per_rate[Decimal("21")] += ship_incl
    invoice_rates, credit_rates = by_rate(invoice["lines"]), by_rate(credit["lines"])
    gap = -refunded + sum(refund_per_rate.values())
    for rate in set(invoice_rates) | set(credit_rates) | set(refund_per_rate):
        want = invoice_rates.get(rate, Decimal(0)) - refund_per_rate.get(rate, Decimal(0))
        if rate == 0:
            want += gap
        got = invoice_rates.get(rate, Decimal(0)) + credit_rates.get(rate, Decimal(0))
        assert got == want, (rate, got, want)
