"""Lightspeed credit invoices over real HTTP: the simulator serves them as the API does
(`invoices.json` with `isCreditNote`, `invoices/{id}/items.json`), and the client turns each
credit note into a credit document — the order document plus `invoice` and `invoiceItems`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from mapper.connectors.lightspeed.adapter import LightspeedSource
from mapper.connectors.lightspeed.client import LightspeedClient
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.retry import RetryPolicy

AMS = ZoneInfo("Europe/Amsterdam")
ORDER = 8810001
SENCHA, THEEPOT = 881000101, 881000102


@pytest.fixture()
def shop() -> Iterator[LightspeedSimulator]:
    with LightspeedSimulator() as simulator:
        yield simulator


def client_of(shop: LightspeedSimulator) -> LightspeedClient:
    return LightspeedClient(shop.url, DEMO_KEY, DEMO_SECRET)


def test_a_credit_note_becomes_its_orders_document_plus_the_credit_invoice_and_items(
    shop: LightspeedSimulator,
) -> None:
    made = shop.add_credit_note(ORDER, {SENCHA: 1}, shipping=True,
                                at=datetime(2026, 3, 9, 14, 5, tzinfo=AMS))
    client = client_of(shop)
    (document,) = client.iter_credit_invoices_changed(
        datetime(2026, 3, 9, 0, 0, tzinfo=AMS), datetime(2026, 3, 10, 0, 0, tzinfo=AMS)
    )
    # The invoice list, the order (embedding its products and customer) and the items.
    assert client.requests_made == 3
    assert not [p for p in shop.paths_served if "/products" in p or "/customers/" in p]
    client.close()

    assert set(document) == {"order", "products", "customer", "invoice", "invoiceItems"}
    assert [p["id"] for p in document["products"]] == [SENCHA, THEEPOT]
    assert document["customer"]["id"] == 3104501
    assert document["order"]["id"] == ORDER and "embedded" not in str(document["order"])
    invoice = document["invoice"]
    assert invoice["id"] == made["id"] and invoice["isCreditNote"] is True
    assert invoice["createdAt"] == "2026-03-09T14:05:00+01:00"
    assert (invoice["priceIncl"], invoice["priceExcl"]) == (Decimal("14.9"), Decimal("13.13"))
    assert invoice["order"]["resource"]["id"] == ORDER
    assert invoice["invoice"]["resource"]["id"] == ORDER + 7000000  # the invoice it credits
    assert [(i["type"], i["orderProductId"], i["quantity"], i["priceIncl"], i["taxRate"])
            for i in document["invoiceItems"]] == [
        ("product", SENCHA, 1, Decimal("8.95"), Decimal("0.09")),
        ("shipment", None, 1, Decimal("5.95"), Decimal("0.21")),
        ("payment", None, 1, 0, 0),
    ]


def test_only_credit_notes_changed_in_the_window_are_listed(shop: LightspeedSimulator) -> None:
    early = shop.add_credit_note(ORDER, {SENCHA: 1}, at=datetime(2026, 3, 9, 14, 5, tzinfo=AMS))
    late = shop.add_credit_note(ORDER, {THEEPOT: 1}, at=datetime(2026, 3, 20, 9, 0, tzinfo=AMS))
    client = client_of(shop)
    # The window from the start holds every paid order's own invoice too: none of them listed.
    everything = [d["invoice"]["id"] for d in client.iter_credit_invoices_changed(
        datetime(2026, 1, 1, tzinfo=AMS), limit=2)]
    march_20 = [d["invoice"]["id"] for d in client.iter_credit_invoices_changed(
        datetime(2026, 3, 15, tzinfo=AMS), datetime(2026, 3, 21, tzinfo=AMS))]
    client.close()

    assert everything == [early["id"], late["id"]]
    assert march_20 == [late["id"]]


def test_by_ledger_id_skips_what_is_no_credit_note_of_the_shop(shop: LightspeedSimulator) -> None:
    made = shop.add_credit_note(ORDER, {SENCHA: 2}, at=datetime(2026, 3, 9, 14, 5, tzinfo=AMS))
    source = LightspeedSource(
        {"type": "lightspeed", "url": shop.url, "key": DEMO_KEY, "secret": DEMO_SECRET},
        "tea", RetryPolicy(attempts=1, sleep=lambda _: None),
    )
    ids = [f"credit-{made['id']}", f"credit-{ORDER + 7000000}", "credit-7999999", "8810003"]
    found = [d["invoice"]["id"] for d in source.credits_by_ids(ids)]
    source.close()

    assert found == [made["id"]]


def test_a_credit_note_whose_order_is_gone_is_skipped(shop: LightspeedSimulator) -> None:
    shop.add_credit_note(ORDER, {SENCHA: 1}, at=datetime(2026, 3, 9, 14, 5, tzinfo=AMS))
    kept = shop.add_credit_note(8810003, {881000301: 1},
                                at=datetime(2026, 3, 9, 15, 0, tzinfo=AMS))
    del shop.shop.orders[ORDER]
    client = client_of(shop)
    found = [d["invoice"]["id"] for d in client.iter_credit_invoices_changed(
        datetime(2026, 3, 9, tzinfo=AMS))]
    client.close()

    assert found == [kept["id"]]
