"""Credit notes for Shopify, over real HTTP: an order is invoiced in Yuki, the shop refunds an
item and the shipping, and the next pass books exactly one credit invoice — keyed on the
refund, at the order's rates, in shop money, listed in Reporting; the pass after books
nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.connectors.shopify.simulator import DEMO_TOKEN, ShopifySimulator
from mapper.connectors.shopify.simulator_data import CATALOGUE, DEMO_PEOPLE, OrderSpec
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import Config
from mapper.engine.sync.lists import order_lists
from mapper.engine.sync.pipeline import ShopSync

from sync.one_shop import one_shop_config, yuki_target

SHOP = "fietsen"
ORDER = 5801003  # #1003: LED set (21 %), 2 × energy bars (9 %), chain oil (21 %), LENTE10, PostNL
BARS = 580100302


@pytest.fixture()
def systems() -> Iterator[tuple[ShopifySimulator, YukiSimulator, str, str]]:
    shop, books = ShopifySimulator(), YukiSimulator(daily_limit=10**9)
    key, administration = books.seed_demo()
    with shop, books:
        yield shop, books, key, administration


def config_for(folder: Path, systems: tuple[ShopifySimulator, YukiSimulator, str, str],
               ledger: str) -> Config:
    shop, books, key, administration = systems
    return one_shop_config(
        folder, ledger, name=SHOP, mapping="shopify-yuki", start="2026-01-01",
        source={"type": "shopify", "url": shop.url, "access_token": {"env": "SHOPIFY_TOKEN"}},
        target=yuki_target(books, administration),
        environ={"SHOPIFY_TOKEN": DEMO_TOKEN, "YUKI_KEY": key},
    )


def subjects(books: YukiSimulator) -> Counter[str]:
    return Counter(str(invoice["subject"]) for invoice in books.invoices)


def just_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)


def test_a_refund_of_a_synced_order_is_booked_once(
    tmp_path: Path, systems: tuple[ShopifySimulator, YukiSimulator, str, str],
    ledger_url: str,
) -> None:
    shop, books, _, _ = systems
    config = config_for(tmp_path, systems, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        first = sync.sync()
        invoice = ledger.get_order(SHOP, str(ORDER))
        assert invoice is not None and invoice.state == OrderState.SENT
        before = len(books.invoices)
        refund = shop.refund(ORDER, {BARS: 1}, shipping=True, note="Verkeerde smaak",
                             at=just_now())
        second = sync.sync()
        third = sync.sync()
        sync.close()
        credit_id = f"refund-{ORDER}-{refund['id']}"
        record = ledger.get_order(SHOP, credit_id)
        reporting = order_lists(ledger, SHOP, ["reporting"])[0]

    assert first.sent >= 2
    assert (second.sent, second.failed) == (1, 0)  # the refund; the order itself not again
    assert third.sent == 0
    assert len(books.invoices) == before + 1
    name = f"Creditnota {refund['id']} bij bestelling 1003"
    assert subjects(books)[name] == 1 and subjects(books)["Bestelling 1003"] == 1
    (credit,) = [i for i in books.invoices if i["subject"] == name]
    # One box of bars at 9 % (after LENTE10, as paid) and the shipping at 21 %.
    assert [(line["product"], line["quantity"], line["amount_incl_vat"])
            for line in credit["lines"]] == [
        ("Energierepen (doos van 12)", Decimal(1), Decimal("-15.66")),
        ("PostNL Standaard", Decimal(1), Decimal("-6.95")),
    ]
    assert credit["total"] == Decimal("-22.61") == -Decimal(
        refund["transactions"][0]["amount"])
    assert record is not None and record.state == OrderState.SENT and record.number == "#1003"
    ids = [row[1] for row in reporting.rows]
    assert credit_id in ids and str(ORDER) in ids


def test_a_refund_of_an_order_never_invoiced_lands_in_errors(
    tmp_path: Path, systems: tuple[ShopifySimulator, YukiSimulator, str, str],
    ledger_url: str,
) -> None:
    shop, books, _, _ = systems
    # A paid order to a Belgian company without VAT, but with no VAT number: turned away.
    buyer = replace(DEMO_PEOPLE[2], vat_number="")
    shop.shop.add(OrderSpec(5801091, 1091, buyer, ((CATALOGUE[2], 1),),
                            datetime.fromisoformat("2026-03-18T10:00:00+01:00"), tax_exempt=True))
    config = config_for(tmp_path, systems, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        sync.sync()
        order = ledger.get_order(SHOP, "5801091")
        refund = shop.refund(5801091, {580109101: 1}, at=just_now())
        second = sync.sync()
        sync.close()
        record = ledger.get_order(SHOP, f"refund-5801091-{refund['id']}")

    assert order is not None and order.state == OrderState.FAILED
    assert (second.sent, second.failed) == (0, 1)
    assert not any(name.startswith("Creditnota") for name in subjects(books))
    assert record is not None and record.state == OrderState.FAILED
    # The order's own problem turns its refund away too (the credit_of_invoiced_order check
    # behind it is fixture shopify-yuki/54); both wait in Errors for the shop owner.
    assert record.reason == order.reason == (
        "ICP order to BE without VAT needs a valid EU VAT number on the invoice address, but "
        "it has none"
    )


def test_only_a_paid_order_can_be_refunded(
    systems: tuple[ShopifySimulator, YukiSimulator, str, str],
) -> None:
    shop = systems[0]
    with pytest.raises(ValueError, match="pending"):
        shop.refund(5801002, amount=Decimal("5.00"))  # #1002 awaits its payment
    assert shop.shop.orders[5801002]["refunds"] == []
