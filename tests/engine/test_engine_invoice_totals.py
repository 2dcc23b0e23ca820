"""The invoice-total invariant: what Yuki computes from the invoice lines is what was paid.

Yuki computes each line as round(ProductQuantity × SalesPrice, 2) from unit prices of at most
four decimals. For any order the shop could have stored — every round_type (1 per item, 2 per
line, 3 on the total) with every round_mode (PS_ROUND_UP 0, DOWN 1, HALF_UP 2, HALF_DOWN 3,
HALF_EVEN 4, HALF_ODD 5), quantities up to 500, odd prices — those line totals must add up to
total_paid_tax_incl exactly, and a rounding line appears only where the shop rounds the total.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from lxml import etree
from mapper.engine.mapping import Pair, Payload
from ps_order_builder import address, customer, document, order, row, six

D = Decimal
CENT = D("0.01")
NS = {"y": "urn:xmlns:http://www.theyukicompany.com:salesinvoices"}


def _random_order(
    rng: random.Random, order_id: int, round_type: int, round_mode: int
) -> dict[str, Any]:
    rows = []
    for index in range(rng.randint(1, 6)):
        rate = rng.choice(["21", "21", "9", "0"])
        quantity = rng.choice([1, 1, 2, 3, rng.randint(1, 500), 500])
        if rng.random() < 0.5:
            # a price set excl. VAT: the price incl. VAT has six decimals (1.666666, 16.505000)
            excl = D(rng.randint(1, 250_000)) / D(rng.choice([100, 300, 700, 1000]))
            unit_incl = six(excl * (1 + D(rate) / 100))
        else:
            unit_incl = str(D(rng.randint(1, 99_999)) / 100)
        rows.append(row(100 + index, 10 + index, f"Artikel {index}", f"SKU-{index}", quantity,
                        unit_incl, rate))
    shipping = rng.choice([("0", "0", "0"), ("4.95", "4.090909", "21.000"),
                           ("6.50", "5.371901", "21.000")])
    products_incl = sum(D(r["unit_price_tax_incl"]) * int(r["product_quantity"]) for r in rows)
    discount = ("0", "0")
    if products_incl > 20 and rng.random() < 0.4:
        amount = (products_incl * D(rng.randint(1, 30)) / 100).quantize(CENT)
        discount = (str(amount), six(amount / D("1.21")))
    the_order = order(
        order_id, f"GEN{order_id:06d}", rows, shipping=shipping, discount=discount,
        round_type=round_type, round_mode=round_mode,
    )
    return document(the_order, customer(7, "Sophie", "Fischer", "sophie@example.nl"),
                    [address(11, 7, 13, "Sophie", "Fischer")])


def _yuki_lines(pair: Pair, payload: Payload) -> list[tuple[Decimal, Decimal]]:
    """(ProductQuantity, SalesPrice) of every invoice line, read from the XML Yuki receives."""
    root = etree.fromstring(pair.render([payload]).encode("utf-8"))
    lines = root.findall("y:SalesInvoice/y:InvoiceLines/y:InvoiceLine", NS)
    return [
        (D(line.findtext("y:ProductQuantity", namespaces=NS)),
         D(line.findtext("y:Product/y:SalesPrice", namespaces=NS)))
        for line in lines
    ]


@pytest.mark.parametrize("round_mode", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("round_type", [1, 2, 3])
def test_invoice_lines_add_up_to_the_paid_total(round_type: int, round_mode: int) -> None:
    pair = Pair.load("prestashop-yuki")
    rng = random.Random(1000 + 10 * round_type + round_mode)
    for number in range(30):
        document_ = _random_order(rng, 5000 + number, round_type, round_mode)
        paid = D(document_["order"]["total_paid_tax_incl"]).quantize(CENT, ROUND_HALF_UP)
        outcome = pair.map(document_)
        assert isinstance(outcome, Payload), (number, getattr(outcome, "failures", outcome))
        lines = _yuki_lines(pair, outcome)
        for quantity, price in lines:
            assert -price.as_tuple().exponent <= 4, price  # Yuki takes at most 4 decimals
            assert quantity == quantity.to_integral_value()
        computed = sum(((q * p).quantize(CENT, ROUND_HALF_UP) for q, p in lines), D("0.00"))
        assert computed == paid, (number, document_["order"], lines)
        assert outcome.canonical["totals"]["paid"] == paid
        shop_rounding = [ln for ln in outcome.canonical["lines"] if ln["kind"] == "rounding"]
        if round_type != 3:
            assert shop_rounding == []  # per item / per line: the total is the sum of the lines
        else:
            article_lines = len(document_["order"]["associations"]["order_rows"])
            for line in shop_rounding:
                assert abs(line["amount_incl"]) * 200 <= article_lines + 1


def test_a_total_no_four_decimal_price_can_reach_gets_a_rounding_line() -> None:
    """7000 × 0.014286 = 100.00 in the shop; 7000 × 0.0143 = 100.10 in Yuki."""
    rows = [row(1, 1, "Kraal", "BEAD", 7000, "0.014286", "21")]
    the_order = order(6001, "BEADS0001", rows, round_type=3)
    the_order["total_paid_tax_incl"] = the_order["total_paid"] = "100.000000"
    the_order["total_products_wt"] = "100.000000"
    document_ = document(the_order, customer(7, "Sophie", "Fischer", "s@example.nl"),
                         [address(11, 7, 13, "Sophie", "Fischer")])
    pair = Pair.load("prestashop-yuki")
    outcome = pair.map(document_)
    assert isinstance(outcome, Payload)
    assert _yuki_lines(pair, outcome) == [(D(7000), D("0.0143")), (D(1), D("-0.10"))]
    last = outcome.body["InvoiceLines"]["InvoiceLine"][-1]["Product"]
    assert (last["Description"], last["VATType"], last["GLAccountCode"]) == ("Afronding", 3, "8990")
