"""`mapper demo --target moneybird`: the Moneybird simulator's administration with Dutch tax
rates, its request budget widened so the demo's burst is never slowed."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem
from .simulator import DEMO_TOKEN, MoneybirdSimulator


def start_demo(folder: Path) -> DemoSystem:
    """The accounting system, running; `folder` (the demo's temporary folder) is not needed."""
    books = MoneybirdSimulator(rate_limit=100_000)
    books.start()
    return DemoSystem(
        where=f"Moneybird simulator {books.url}",
        section={
            "type": "moneybird",
            "url": books.url,
            "administration_id": books.administration_id,
            "token": {"env": "MONEYBIRD_TOKEN"},
        },
        environ={"MONEYBIRD_TOKEN": DEMO_TOKEN},
        report=lambda: (
            f"Moneybird received {len(books.invoices)} invoices in {books.requests_served} requests"
        ),
        stop=books.stop,
    )
