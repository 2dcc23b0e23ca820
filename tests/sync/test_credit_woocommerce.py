"""Credit notes for WooCommerce, over real HTTP: an order is invoiced in Yuki, the shop
manager refunds an item and the shipping, and the next pass books exactly one credit invoice —
keyed on the refund, at the order's rates, listed in Reporting; the pass after books nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.connectors.woocommerce import simulator as woo_sim
from mapper.connectors.woocommerce.simulator import WooCommerceSimulator
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import Config
from mapper.engine.sync.lists import order_lists
from mapper.engine.sync.pipeline import ShopSync

from sync.one_shop import one_shop_config, yuki_target

SHOP = "fietsen"
ORDER = 1103  # LED set (21 %), 2 × energy bars (9 %), chain oil (21 %), LENTE10, PostNL
BARS = 11032


@pytest.fixture()
def systems() -> Iterator[tuple[WooCommerceSimulator, YukiSimulator, str, str]]:
    shop, books = WooCommerceSimulator(), YukiSimulator(daily_limit=10**9)
    key, administration = books.seed_demo()
    with shop, books:
        yield shop, books, key, administration


def config_for(folder: Path, systems: tuple[WooCommerceSimulator, YukiSimulator, str, str],
               ledger: str) -> Config:
    shop, books, key, administration = systems
    return one_shop_config(
        folder, ledger, name=SHOP, mapping="woocommerce-yuki", start="2026-01-01",
        source={"type": "woocommerce", "url": shop.url,
                "key": {"env": "WC_KEY"}, "secret": {"env": "WC_SECRET"}},
        target=yuki_target(books, administration),
        environ={"WC_KEY": woo_sim.DEMO_KEY, "WC_SECRET": woo_sim.DEMO_SECRET, "YUKI_KEY": key},
    )


def subjects(books: YukiSimulator) -> Counter[str]:
    return Counter(str(invoice["subject"]) for invoice in books.invoices)


def test_a_refund_of_a_synced_order_is_booked_once(
    tmp_path: Path, systems: tuple[WooCommerceSimulator, YukiSimulator, str, str],
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
        refund = shop.refund(ORDER, {BARS: 1}, shipping=True,
                             at=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1))
        second = sync.sync()
        third = sync.sync()
        sync.close()
        record = ledger.get_order(SHOP, f"refund-{ORDER}-{refund['id']}")
        reporting = order_lists(ledger, SHOP, ["reporting"])[0]

    assert first.sent >= 2
    assert (second.sent, second.failed) == (1, 0)  # the refund; the order itself not again
    assert third.sent == 0
    assert len(books.invoices) == before + 1
    name = f"Creditnota {refund['id']} bij bestelling {ORDER}"
    assert subjects(books)[name] == 1 and subjects(books)[f"Bestelling {ORDER}"] == 1
    (credit,) = [i for i in books.invoices if i["subject"] == name]
    # One box of bars at 9 % (after the coupon, as paid) and the shipping at 21 %.
    assert [(line["product"], line["quantity"], line["amount_incl_vat"])
            for line in credit["lines"]] == [
        ("Energierepen (doos van 12)", Decimal(1), Decimal("-15.67")),
        ("Verzending PostNL", Decimal(1), Decimal("-6.95")),
    ]
    assert credit["total"] == Decimal("-22.62") == -Decimal(refund["amount"])
    assert record is not None and record.state == OrderState.SENT and record.number == str(ORDER)
    ids = [row[1] for row in reporting.rows]
    assert f"refund-{ORDER}-{refund['id']}" in ids and str(ORDER) in ids


def test_a_refund_of_an_order_not_yet_invoiced_waits_in_open(
    tmp_path: Path, systems: tuple[WooCommerceSimulator, YukiSimulator, str, str],
    ledger_url: str,
) -> None:
    """Booked now, it would credit an invoice that does not exist; it waits in Open for the
    re-check that invoices its order (tests/sync/test_credit_sync.py shows that re-check)."""
    shop, books, _, _ = systems
    config = config_for(tmp_path, systems, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        sync.sync()
        # 1102 is on hold (awaiting a bank transfer): open, never invoiced.
        refund = shop.refund(1102, amount=Decimal("5.00"), reason="Coulance",
                             at=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1))
        second = sync.sync()
        sync.close()
        record = ledger.get_order(SHOP, f"refund-1102-{refund['id']}")

    assert (second.sent, second.failed) == (0, 0)
    assert not any(name.startswith("Creditnota") for name in subjects(books))
    assert record is not None and record.state == OrderState.OPEN
    assert record.reason == "waits for order 1102 to be invoiced"
