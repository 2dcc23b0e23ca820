"""Credit notes for Lightspeed eCom, over real HTTP: an order is invoiced in Factuursturen, the
shop owner makes a credit invoice for part of it, and the next pass books exactly one credit
invoice — keyed on the credit invoice, at the order's rates, listed in Reporting; the pass after
books nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import Config
from mapper.engine.sync.lists import order_lists
from mapper.engine.sync.pipeline import ShopSync

from sync.one_shop import (
    LIGHTSPEED_FACTUURSTUREN_ENVIRON,
    factuursturen_target,
    lightspeed_source,
    one_shop_config,
)

SHOP = "tea"
ORDER = 8810001  # ORD00101: 2 × Sencha Kyoto (9 %), 1 theepot (21 %), PostNL pakket 5.95
SENCHA, THEEPOT = 881000101, 881000102


@pytest.fixture()
def systems() -> Iterator[tuple[LightspeedSimulator, FactuursturenSimulator]]:
    shop, books = LightspeedSimulator(), FactuursturenSimulator()
    with shop, books:
        yield shop, books


def config_for(
    folder: Path, shop: LightspeedSimulator, books: FactuursturenSimulator, ledger: str
) -> Config:
    return one_shop_config(
        folder, ledger, name=SHOP, mapping="lightspeed-factuursturen", start="2026-01-01",
        source=lightspeed_source(shop), target=factuursturen_target(books),
        environ=LIGHTSPEED_FACTUURSTUREN_ENVIRON,
    )


def saved_names(books: FactuursturenSimulator) -> list[str]:
    return sorted(str(s["savename"]) for s in books.saved.values())


def test_a_credit_invoice_of_a_synced_order_is_booked_once(
    tmp_path: Path, systems: tuple[LightspeedSimulator, FactuursturenSimulator], ledger_url: str
) -> None:
    shop, books = systems
    config = config_for(tmp_path, shop, books, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        first = sync.sync()
        invoice = ledger.get_order(SHOP, str(ORDER))
        assert invoice is not None and invoice.state == OrderState.SENT
        before = len(books.saved)
        credit = shop.add_credit_note(
            ORDER, {SENCHA: 1, THEEPOT: 1}, shipping=True,
            at=datetime.now(UTC) - timedelta(seconds=1),
        )
        second = sync.sync()
        third = sync.sync()
        sync.close()
        record = ledger.get_order(SHOP, f"credit-{credit['id']}")
        original = ledger.get_order(SHOP, str(ORDER))
        reporting = order_lists(ledger, SHOP, ["reporting"])[0]

    assert first.sent == 2
    assert (second.sent, second.failed) == (1, 0)  # the credit; the order itself not again
    assert third.sent == 0
    assert len(books.saved) == before + 1
    name = f"Creditnota {credit['number']} bij bestelling ORD00101"
    assert saved_names(books) == ["Bestelling ORD00101", "Bestelling ORD00103", name]
    booked = next(s for s in books.saved.values() if s["savename"] == name)
    # One Sencha at 9 %, the theepot at 21 %, the shipping at 21 %: negative, the order's rates.
    assert [(line["amount"], line["description"], line["tax_rate"], line["price"])
            for line in booked["lines"].values()] == [
        (Decimal(1), "Sencha Kyoto - 100 gram", Decimal(9), Decimal("-8.95")),
        (Decimal(1), "Gietijzeren theepot - 0,8 liter zwart", Decimal(21), Decimal("-49.95")),
        (Decimal(1), "PostNL pakket", Decimal(21), Decimal("-5.95")),
    ]
    assert booked["totalintax"] == "-64.85"
    assert booked["reference"]["line2"] == f"Creditnota bij factuur {invoice.target_reference}"
    # Keyed on the credit invoice, next to the order's own record, which stays as it was.
    assert record is not None and record.state == OrderState.SENT
    assert record.number == "ORD00101"
    assert original is not None and original.target_reference == invoice.target_reference
    ids = [row[1] for row in reporting.rows]
    assert f"credit-{credit['id']}" in ids and str(ORDER) in ids


def test_a_credit_invoice_of_an_order_not_yet_invoiced_waits_in_open(
    tmp_path: Path, systems: tuple[LightspeedSimulator, FactuursturenSimulator], ledger_url: str
) -> None:
    """Booked now, it would credit an invoice that does not exist; it waits in Open for the
    re-check that invoices its order (tests/sync/test_credit_sync.py shows that re-check)."""
    shop, books = systems
    config = config_for(tmp_path, shop, books, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        sync.sync()
        # ORD00105 is paid but shipped before the first pass: open, never invoiced.
        credit = shop.add_credit_note(8810005, {881000501: 1},
                                      at=datetime.now(UTC) - timedelta(seconds=1))
        second = sync.sync()
        sync.close()
        record = ledger.get_order(SHOP, f"credit-{credit['id']}")

    # Open: the credit, and its order (changed by the credit, so seen again, still open).
    assert (second.sent, second.failed, second.open) == (0, 0, 2)
    assert not any(name.startswith("Creditnota") for name in saved_names(books))
    assert record is not None and record.state == OrderState.OPEN
    assert record.reason == "waits for order ORD00105 to be invoiced"
