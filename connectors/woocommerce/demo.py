"""`mapper demo --shop woocommerce`: the WooCommerce simulator with its demo shop plus a few
dozen generated orders — paid, on hold or pending, and some a check turns away."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..registry import DemoSystem
from .simulator import DEMO_KEY, DEMO_SECRET, WooCommerceSimulator
from .simulator_data import (
    CATALOGUE,
    DEMO_PEOPLE,
    PAYMENTS,
    OrderSpec,
    ShopData,
    demo_shop,
    generated_shop,
)

GENERATED = 30


def failing_orders() -> ShopData:
    """Two paid orders to a Belgian company without VAT, one with a VAT number that fails its
    checksum and one with none: the rules turn both away, so the Errors list fills."""
    company = DEMO_PEOPLE[2]
    shop = ShopData()
    for order_id, vat_number, day in ((1190, "BE0403019262", 16), (1191, "", 18)):
        buyer = replace(company, vat_number=vat_number)
        shop.add(OrderSpec(
            order_id, buyer, ((CATALOGUE[2], 1),), datetime.fromisoformat(
                f"2026-03-{day}T10:00:00+01:00"), vat_exempt=True, payment=PAYMENTS[1],
        ))
    return shop


def start_demo(folder: Path) -> DemoSystem:
    """The shop, running; `folder` (the demo's temporary folder) is not needed."""
    shop = WooCommerceSimulator(demo_shop().merge(failing_orders()).merge(generated_shop(GENERATED, seed=1)))
    shop.start()
    return DemoSystem(
        where=f"WooCommerce simulator {shop.url}",
        section={
            "type": "woocommerce",
            "url": shop.url,
            "key": {"env": "WOOCOMMERCE_KEY"},
            "secret": {"env": "WOOCOMMERCE_SECRET"},
        },
        environ={"WOOCOMMERCE_KEY": DEMO_KEY, "WOOCOMMERCE_SECRET": DEMO_SECRET},
        report=lambda: f"WooCommerce served {shop.requests_served} requests",
        stop=shop.stop,
        start="2026-01-01",
        mark_paid=lambda order_id: shop.set_status(int(order_id), "processing"),
    )
