"""Shopify refunds over real HTTP: the client finds the refunds made in a window through the
orders updated since its start, and fetches one by its (order, refund) ids — each as the
order's document plus `refund`, verbatim, with shop and presentment money."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.shopify.adapter import ShopifySource
from mapper.connectors.shopify.simulator import DEMO_TOKEN, ShopifySimulator
from mapper.connectors.shopify.simulator_data import CATALOGUE, DEMO_PEOPLE, OrderSpec

BARS = 580100302  # order 1003: 2 × energy bars (9 %), LENTE10
GBP_ORDER = 5801020


@pytest.fixture()
def source() -> Iterator[tuple[ShopifySimulator, ShopifySource]]:
    with ShopifySimulator() as shop:
        shop.shop.add(OrderSpec(GBP_ORDER, 1020, DEMO_PEOPLE[0], ((CATALOGUE[2], 1),),
                                at("2026-03-15T21:40:00+01:00"), presentment_currency="GBP"))
        section = {"type": "shopify", "url": shop.url, "access_token": DEMO_TOKEN,
                   "page_size": 2}
        client = ShopifySource(section, "fietsen", RetryPolicy(attempts=1, sleep=lambda _: None))
        yield shop, client
        client.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_refunds_made_in_the_window_come_with_their_orders_document(
    source: tuple[ShopifySimulator, ShopifySource],
) -> None:
    shop, shopify = source
    early = shop.refund(5801001, {580100101: 1}, at=at("2026-03-09T14:05:00+01:00"))
    late = shop.refund(5801003, {BARS: 1}, shipping=True, note="Verkeerde smaak",
                       at=at("2026-03-20T10:00:00+01:00"))
    shop.set_financial_status(5801001, "partially_refunded",
                              at=at("2026-03-25T08:00:00+01:00"))  # updated again later

    window = list(shopify.credits_changed(at("2026-03-09T14:05:00+01:00"),
                                          at("2026-03-19T00:00:00+01:00")))
    later = list(shopify.credits_changed(at("2026-03-19T00:00:00+01:00"),
                                         at("2026-03-21T00:00:00+01:00")))

    assert [(d["order"]["id"], d["refund"]["id"]) for d in window] == [(5801001, early["id"])]
    assert [(d["order"]["id"], d["refund"]["id"]) for d in later] == [(5801003, late["id"])]
    (document,) = window
    assert set(document) == {"order", "refund"}
    assert [r["id"] for r in document["order"]["refunds"]] == [early["id"]]
    (row,) = document["refund"]["refund_line_items"]
    # subtotal and total_tax are JSON numbers, their *_set twins strings
    assert (row["line_item_id"], row["quantity"], row["subtotal"], row["total_tax"]) == (
        580100101, 1, Decimal("12.95"), Decimal("2.25"))
    assert row["subtotal_set"]["shop_money"] == {"amount": "12.95", "currency_code": "EUR"}
    assert [(t["kind"], t["status"], t["amount"], t["currency"])
            for t in document["refund"]["transactions"]] == [("refund", "success", "12.95", "EUR")]
    refund_late = later[0]["refund"]
    assert refund_late["note"] == "Verkeerde smaak"
    # One of two boxes after LENTE10: (2 × 17.40 − 3.48) / 2, its tax 2.59 / 2.
    assert [(r["subtotal_set"]["shop_money"]["amount"], r["total_tax_set"]["shop_money"]["amount"])
            for r in refund_late["refund_line_items"]] == [("15.66", "1.30")]
    assert [(a["kind"], a["amount"], a["tax_amount"]) for a in refund_late["order_adjustments"]] \
        == [("shipping_refund", "-5.74", "-1.21")]
    assert refund_late["transactions"][0]["amount"] == "22.61"
    order = later[0]["order"]
    assert (order["financial_status"], order["updated_at"]) == (
        "partially_refunded", "2026-03-20T10:00:00+01:00")
    assert order["current_total_price"] == "53.67"  # 76.28 − 22.61
    assert [line["current_quantity"] for line in order["line_items"]] == [1, 1, 1]
    # found through the order listing: updated_at_min at the window's start, no upper bound
    listing = [q for m, p, q in shop.requests if p.endswith("/orders.json") and "ids" not in q]
    assert listing[0] == {"status": "any", "limit": "2",
                          "updated_at_min": "2026-03-09T13:04:59+00:00"}


def test_a_foreign_currency_refund_carries_both_moneys(
    source: tuple[ShopifySimulator, ShopifySource],
) -> None:
    shop, shopify = source
    made = shop.refund(GBP_ORDER, {GBP_ORDER * 100 + 1: 1}, at=at("2026-03-25T09:30:00+01:00"))

    (document,) = shopify.credits_by_ids([f"refund-{GBP_ORDER}-{made['id']}"])

    (row,) = document["refund"]["refund_line_items"]
    assert row["subtotal_set"] == {
        "shop_money": {"amount": "34.99", "currency_code": "EUR"},
        "presentment_money": {"amount": "29.46", "currency_code": "GBP"},  # 34.99 × 0.8420
    }
    assert [(t["amount"], t["currency"]) for t in document["refund"]["transactions"]] == [
        ("29.46", "GBP")]


def test_by_ledger_id_skips_refunds_the_shop_does_not_have(
    source: tuple[ShopifySimulator, ShopifySource],
) -> None:
    shop, shopify = source
    made = shop.refund(5801001, amount=Decimal("10.00"), note="Coulance",
                       at=at("2026-03-11T16:20:00+01:00"))
    ids = [f"refund-5801001-{made['id']}", "refund-5801001-999", "refund-9999-1", "refund-x",
           "5801001"]

    found = list(shopify.credits_by_ids(ids))

    assert [(d["order"]["id"], d["refund"]["id"]) for d in found] == [(5801001, made["id"])]
    assert [(a["kind"], a["amount"]) for a in found[0]["refund"]["order_adjustments"]] == [
        ("refund_discrepancy", "-10.00")]
    paths = [p for _, p, _ in shop.requests]
    assert f"/admin/api/2024-07/orders/5801001/refunds/{made['id']}.json" in paths
    assert "/admin/api/2024-07/orders/5801001/refunds/999.json" in paths
    assert [shopify.is_credit_id(i) for i in ids] == [True, True, True, False, False]


def test_the_refunds_endpoint_lists_an_orders_refunds(
    source: tuple[ShopifySimulator, ShopifySource],
) -> None:
    shop, shopify = source
    first = shop.refund(5801001, {580100101: 1}, at=at("2026-03-09T14:05:00+01:00"))
    second = shop.refund(5801001, {580100102: 1}, shipping=True,
                         at=at("2026-03-10T09:00:00+01:00"))

    refunds = shopify.client.refunds(5801001)

    assert [r["id"] for r in refunds] == [first["id"], second["id"]]
    assert shop.shop.orders[5801001]["financial_status"] == "refunded"  # 12.95 + 31.90 = 44.85
