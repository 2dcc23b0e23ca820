"""The generated PrestaShop orders: deterministic, internally consistent, cheap in memory."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from mapper.connectors.prestashop.simulator.catalog import (
    CATALOGUE,
    COUNTRIES,
    EU_COUNTRIES,
    state_flag,
)
from mapper.connectors.prestashop.simulator.data import (
    OrderBatch,
    demo_records,
    fetched_document,
    generate_orders,
)
from mapper.connectors.prestashop.simulator.people import invalid_vat_number, valid_vat_number
from stdnum.eu import vat

SIX = Decimal("0.000001")
CENT = Decimal("0.01")
ISO = {str(c["id"]): c["iso_code"] for c in COUNTRIES}


def _d(text: str) -> Decimal:
    return Decimal(text)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def ps_batch() -> OrderBatch:
    return generate_orders(1500, seed=7, unpaid_share=0.2, bad_share=0.1,
                           unreferenced_share=0.2)


def _check_order(order: dict[str, object], labels: frozenset[str]) -> None:
    """Every invariant a generated order keeps (bad_total ones break only the totals)."""
    o: dict[str, str] = {k: v for k, v in order.items() if isinstance(v, str)}
    rows = order["associations"]["order_rows"]  # type: ignore[index]
    vat_free = bool(labels & {"icp", "export", "bad_vat"})
    products_wt = products = Decimal(0)
    for row in rows:
        quantity = int(row["product_quantity"])
        incl, excl = _d(row["unit_price_tax_incl"]), _d(row["unit_price_tax_excl"])
        item = CATALOGUE[int(row["product_id"])]
        assert row["product_reference"] == item.reference
        if vat_free:
            assert incl == excl
            products_wt += _cents(excl * quantity)
        else:
            assert incl == item.price_incl and incl == _cents(incl)
            assert excl == (incl / (1 + item.rate / 100)).quantize(SIX, rounding=ROUND_HALF_UP)
            products_wt += incl * quantity
        products += _cents(excl * quantity)
    assert _d(o["total_products_wt"]) == products_wt
    assert _d(o["total_products"]) == products
    for part in ("discounts", "shipping", "wrapping"):
        assert o[f"total_{part}"] == o[f"total_{part}_tax_incl"]
        if vat_free:
            assert o[f"total_{part}_tax_incl"] == o[f"total_{part}_tax_excl"]
    assert o["carrier_tax_rate"] == ("0.000" if vat_free else "21.000")
    paid_incl = (products_wt + _d(o["total_shipping_tax_incl"]) + _d(o["total_wrapping_tax_incl"])
                 - _d(o["total_discounts_tax_incl"]))
    paid_excl = (products + _d(o["total_shipping_tax_excl"]) + _d(o["total_wrapping_tax_excl"])
                 - _d(o["total_discounts_tax_excl"]))
    adds_up = _d(o["total_paid_tax_incl"]) == paid_incl and _d(o["total_paid_tax_excl"]) == paid_excl
    assert adds_up != ("bad_total" in labels)
    assert o["total_paid"] == o["total_paid_tax_incl"]
    assert o["round_type"] == "2" and o["round_mode"] == "2"
    for name, value in o.items():
        if name.startswith("total_") or name == "conversion_rate":
            assert value == f"{_d(value).quantize(SIX)}", name
    state = int(o["current_state"])
    assert state_flag(state, "paid") == ("paid" in labels)
    assert (o["invoice_number"] != "0") == state_flag(state, "invoice") or state == 7
    assert (o["total_paid_real"] == o["total_paid"]) == ("paid" in labels)
    assert o["date_add"] <= o["date_upd"]


def test_every_generated_order_is_consistent(ps_batch: OrderBatch) -> None:
    for order_id in ps_batch.order_ids:
        order = ps_batch.order(order_id)
        assert order is not None
        _check_order(order, ps_batch.traits(order_id))


def test_demo_orders_are_consistent_and_hand_checked() -> None:
    labels = [
        frozenset({"domestic", "paid"}),
        frozenset({"icp", "paid"}),
        frozenset({"export", "paid"}),
        frozenset({"domestic", "unpaid"}),
    ]
    records = demo_records()
    for record, traits in zip(records, labels, strict=True):
        _check_order(record.order, traits)
    totals = [(r.order["total_paid_tax_incl"], r.order["total_paid_tax_excl"]) for r in records]
    assert totals == [
        ("76.350000", "64.360000"),  # 49.95 + 2 × 6.95 + 12.50, free shipping from 50 euro
        ("104.110000", "104.110000"),  # intra-community: 61.86 + 36.51 + 5.74 shipping
        ("58.850000", "58.850000"),  # export: 42.36 + 20.62 shipping − 4.13 voucher
        ("102.310000", "87.170000"),  # 110.90 + 2.50 wrapping − 11.09 (10 %)
    ]


def test_same_seed_same_orders_other_seed_other_orders() -> None:
    one = generate_orders(50, seed=1)
    again = generate_orders(50, seed=1)
    other = generate_orders(50, seed=2)
    assert [one.record(i) for i in one.order_ids] == [again.record(i) for i in again.order_ids]
    assert [one.order(i) for i in one.order_ids] != [other.order(i) for i in other.order_ids]


def test_the_mix_follows_the_options(ps_batch: OrderBatch) -> None:
    counts = Counter(label for i in ps_batch.order_ids for label in ps_batch.traits(i))
    n = len(ps_batch)
    assert 0.15 * n < counts["unpaid"] < 0.25 * n
    assert 0.05 * n < counts["bad_total"] + counts["bad_vat"] < 0.15 * n
    assert counts["bad_total"] > 0 and counts["bad_vat"] > 0
    assert 0.15 * n < counts["unreferenced"] < 0.25 * n
    for label in ("domestic", "eu_consumer", "icp", "export", "pickup", "discount", "gift"):
        assert counts[label] > 0, label
    countries = Counter(
        ISO[a["id_country"]] for i in list(ps_batch.order_ids)[:300]
        for a in ps_batch.record(i).addresses
    )
    assert set(countries) == {"NL", "BE", "DE", "FR", "GB", "US"}
    assert countries.most_common(1)[0][0] == "NL"


def test_vat_numbers_are_valid_for_icp_and_invalid_for_bad_vat(ps_batch: OrderBatch) -> None:
    checked: Counter[str] = Counter()
    for order_id in ps_batch.order_ids:
        labels = ps_batch.traits(order_id)
        record = ps_batch.record(order_id)
        invoice = next(a for a in record.addresses
                       if a["id"] == int(record.order["id_address_invoice"]))
        number = invoice["vat_number"]
        if "icp" in labels:
            assert vat.is_valid(number) and ISO[invoice["id_country"]] in EU_COUNTRIES
            assert ISO[invoice["id_country"]] != "NL"
            checked["icp"] += 1
        if "bad_vat" in labels:
            assert number and not vat.is_valid(number)
            checked["bad_vat"] += 1
        if "company" in labels and "domestic" in labels:
            assert vat.is_valid(number)  # Dutch companies pay Dutch VAT all the same
    assert checked["icp"] > 10 and checked["bad_vat"] > 10


@pytest.mark.parametrize("country", ["NL", "BE", "DE", "FR"])
def test_vat_number_check_digits(country: str) -> None:
    import random

    rng = random.Random(country)
    for _ in range(200):
        assert vat.is_valid(valid_vat_number(rng, country))
        assert not vat.is_valid(invalid_vat_number(rng, country))


def test_records_are_internally_linked(ps_batch: OrderBatch) -> None:
    for order_id in list(ps_batch.order_ids)[:300]:
        record = ps_batch.record(order_id)
        order, customer = record.order, record.customer
        assert customer["id"] == int(order["id_customer"])
        ids = [a["id"] for a in record.addresses]
        assert int(order["id_address_invoice"]) in ids
        assert int(order["id_address_delivery"]) in ids
        owned = ps_batch.address_ids_of(customer["id"])
        assert all(a["id_customer"] == str(customer["id"]) for a in record.addresses
                   if a["id"] in owned)
        if "pickup" in ps_batch.traits(order_id):
            pickup = record.addresses[-1]
            assert pickup["id_customer"] == "0" and pickup["id"] not in owned
        rows = order["associations"]["order_rows"]
        assert len({r["id"] for r in rows}) == len(rows)
        assert ps_batch.light_value(order_id, "date_upd") == order["date_upd"]
        assert ps_batch.light_value(order_id, "current_state") == order["current_state"]
        document = fetched_document(record)
        assert set(document["products"]) == {r["product_id"] for r in rows
                                             if not r["product_reference"]}


def test_date_upd_is_not_in_id_order_and_is_often_shared(ps_batch: OrderBatch) -> None:
    stamps = [str(ps_batch.light_value(i, "date_upd")) for i in ps_batch.order_ids]
    assert stamps != sorted(stamps)  # shipping runs and bank wires come later
    assert max(Counter(stamps).values()) >= 5  # the warehouse's 16:00:00 shipping run
    adds = [str(ps_batch.light_value(i, "date_add")) for i in ps_batch.order_ids]
    assert adds == sorted(adds)


def test_a_hundred_thousand_orders_cost_next_to_no_memory() -> None:
    tracemalloc.start()
    try:
        batch = generate_orders(100_000, seed=3)
        last = batch.order(100_000)
        record = batch.record(50_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last is not None and last["id"] == 100_000
    assert record.order["id"] == 50_000
    assert peak < 2_000_000  # bytes: nothing is stored per order
