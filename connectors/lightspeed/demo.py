"""`mapper demo --shop lightspeed`: the Lightspeed eCom simulator with its demo shop plus a few
dozen generated orders — paid, not yet paid, and some a check turns away."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem
from .simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from .simulator_data import demo_shop, generated_shop

GENERATED = 30


def start_demo(folder: Path) -> DemoSystem:
    """The shop, running; `folder` (the demo's temporary folder) is not needed."""
    shop = LightspeedSimulator(demo_shop().merge(generated_shop(GENERATED, seed=1)))
    shop.start()
    return DemoSystem(
        where=f"Lightspeed eCom simulator {shop.url}",
        section={
            "type": "lightspeed",
            "url": shop.url,
            "key": {"env": "LIGHTSPEED_KEY"},
            "secret": {"env": "LIGHTSPEED_SECRET"},
        },
        environ={"LIGHTSPEED_KEY": DEMO_KEY, "LIGHTSPEED_SECRET": DEMO_SECRET},
        report=lambda: f"Lightspeed eCom served {shop.requests_served} requests",
        stop=shop.stop,
        start="2026-01-01",
        mark_paid=lambda order_id: shop.set_order_status(
            int(order_id), "processing_awaiting_shipment", payment_status="paid"
        ),
    )
