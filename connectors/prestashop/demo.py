"""`mapper demo --shop prestashop`: the PrestaShop simulator with its demo orders plus three
dozen generated ones — paid, unpaid and some that fail a check."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem
from ..simulation import Faults
from .simulator.webservice import PrestaShopSimulator, cli_simulator

PAID = 2  # PrestaShop's "Payment accepted"


def start_demo(folder: Path) -> DemoSystem:
    """The shop, running; `folder` (the demo's temporary folder) is not needed."""
    shop = cli_simulator(port=0, latency=0.0, faults=Faults())
    shop.start()
    return DemoSystem(
        where=f"PrestaShop simulator {shop.url}",
        section={"type": "prestashop", "url": shop.url, "key": {"env": "PS"}},
        environ={"PS": PrestaShopSimulator.DEMO_KEY},
        report=lambda: f"PrestaShop served {shop.requests_served} requests",
        stop=shop.stop,
        start="2024-01-01",
        mark_paid=lambda order_id: shop.set_order_state(int(order_id), PAID),
    )
