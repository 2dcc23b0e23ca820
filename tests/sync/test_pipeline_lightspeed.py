"""The same pipeline for the second pair: Lightspeed eCom simulator → Factuursturen simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import Config
from mapper.engine.sync.pipeline import ShopSync

from sync.one_shop import (
    LIGHTSPEED_FACTUURSTUREN_ENVIRON,
    factuursturen_target,
    lightspeed_source,
    one_shop_config,
)


@pytest.fixture()
def systems() -> Iterator[tuple[LightspeedSimulator, FactuursturenSimulator]]:
    shop, books = LightspeedSimulator(), FactuursturenSimulator()
    with shop, books:
        yield shop, books


def config_for(
    folder: Path, shop: LightspeedSimulator, books: FactuursturenSimulator, ledger: str
) -> Config:
    return one_shop_config(
        folder, ledger, name="tea", mapping="lightspeed-factuursturen", start="2026-01-01",
        source=lightspeed_source(shop), target=factuursturen_target(books),
        environ=LIGHTSPEED_FACTUURSTUREN_ENVIRON,
    )


def test_paid_orders_awaiting_shipment_become_concepts_on_one_client_per_customer(
    tmp_path: Path, systems: tuple[LightspeedSimulator, FactuursturenSimulator], ledger_url: str
) -> None:
    shop, books = systems
    config = config_for(tmp_path, shop, books, ledger_url)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        report = sync.sync()
        assert (report.seen, report.sent, report.failed, report.open) == (6, 2, 1, 3)
        # ORD00101 and ORD00103 are one customer's: one client, two concept invoices.
        assert list(books.clients) == ["3104501"]
        assert sorted(s["savename"] for s in books.saved.values()) == [
            "Bestelling ORD00101", "Bestelling ORD00103",
        ]
        failed = next(iter(ledger.list_orders("tea", OrderState.FAILED)))
        assert failed.number == "ORD00104" and "valid EU VAT number" in (failed.reason or "")

        # The shop marks an open order paid and awaiting shipment; the nightly re-check sends it.
        waiting = ledger.get_order("tea", "8810002")
        assert waiting is not None and waiting.state == OrderState.OPEN
        shop.set_order_status(
            8810002, "processing_awaiting_shipment", payment_status="paid"
        )
        recheck = sync.recheck()
        sync.close()
        assert recheck.sent == 1
        assert ledger.get_order("tea", "8810002").state == OrderState.SENT  # type: ignore[union-attr]
    assert len(books.saved) == 3
