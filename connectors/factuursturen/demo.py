"""`mapper demo --target factuursturen`: the Factuursturen simulator with its demo account."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem
from .simulator import DEMO_API_KEY, DEMO_USERNAME, FactuursturenSimulator
from .simulator_data import DEMO_CLIENTS


def start_demo(folder: Path) -> DemoSystem:
    """The accounting system, running; `folder` (the demo's temporary folder) is not needed."""
    books = FactuursturenSimulator(clients=[dict(c) for c in DEMO_CLIENTS])
    books.start()

    def report() -> str:
        # invoices sent and concepts saved (the rules choose the action): each is one order's
        documents = len(books.invoices) + len(books.saved)
        return f"Factuursturen received {documents} invoices in {books.requests_served} requests"

    return DemoSystem(
        where=f"Factuursturen simulator {books.url}",
        section={
            "type": "factuursturen",
            "url": books.url,
            "username": DEMO_USERNAME,
            "api_key": {"env": "FACTUURSTUREN_KEY"},
        },
        environ={"FACTUURSTUREN_KEY": DEMO_API_KEY},
        report=report,
        stop=books.stop,
    )
