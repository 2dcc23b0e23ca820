"""WooCommerce refunds over real HTTP: the client finds the refunds made in a window through
the orders modified since its start, and fetches one by its (order, refund) ids — each as the
order's document plus `refund`, verbatim."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.woocommerce.adapter import WooCommerceSource
from mapper.connectors.woocommerce.simulator import DEMO_KEY, DEMO_SECRET, WooCommerceSimulator


@pytest.fixture()
def source() -> Iterator[tuple[WooCommerceSimulator, WooCommerceSource]]:
    with WooCommerceSimulator() as shop:
        section = {"type": "woocommerce", "url": shop.url, "key": DEMO_KEY,
                   "secret": DEMO_SECRET, "page_size": 2}
        woo = WooCommerceSource(section, "fietsen", RetryPolicy(attempts=1, sleep=lambda _: None))
        yield shop, woo
        woo.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_refunds_made_in_the_window_come_with_their_orders_document(
    source: tuple[WooCommerceSimulator, WooCommerceSource],
) -> None:
    shop, woo = source
    early = shop.refund(1101, {11011: 1}, at=at("2026-03-09T14:05:00+01:00"))
    late = shop.refund(1103, {11032: 1}, shipping=True, at=at("2026-03-20T10:00:00+01:00"))
    shop.set_status(1101, "completed", at=at("2026-03-25T08:00:00+01:00"))  # modified again

    window = list(woo.credits_changed(at("2026-03-09T14:05:00+01:00"),
                                      at("2026-03-19T00:00:00+01:00")))
    later = list(woo.credits_changed(at("2026-03-19T00:00:00+01:00"),
                                     at("2026-03-21T00:00:00+01:00")))

    assert [(d["order"]["id"], d["refund"]["id"]) for d in window] == [(1101, early["id"])]
    assert [(d["order"]["id"], d["refund"]["id"]) for d in later] == [(1103, late["id"])]
    (document,) = window
    assert set(document) == {"order", "tax_rates", "refund"}
    assert document["refund"]["amount"] == "12.95"
    assert [(r["quantity"], r["total"], r["total_tax"]) for r in document["refund"]["line_items"]] \
        == [(-1, "-10.70", "-2.25")]
    refund_late = later[0]["refund"]
    assert [(s["total"], s["total_tax"]) for s in refund_late["shipping_lines"]] == [
        ("-5.74", "-1.21")]
    assert Decimal(refund_late["amount"]) == Decimal("22.62")


def test_by_ledger_id_skips_refunds_the_shop_does_not_have(
    source: tuple[WooCommerceSimulator, WooCommerceSource],
) -> None:
    shop, woo = source
    made = shop.refund(1101, amount=Decimal("5.00"), reason="Coulance",
                       at=at("2026-03-09T14:05:00+01:00"))
    ids = [f"refund-1101-{made['id']}", "refund-1101-999", "refund-9999-1", "refund-x", "1101"]

    found = [(d["order"]["id"], d["refund"]["id"]) for d in woo.credits_by_ids(ids)]

    assert found == [(1101, made["id"])]
