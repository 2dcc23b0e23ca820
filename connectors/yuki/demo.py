"""`mapper demo --target yuki`: the Yuki simulator with its demo access key and administration."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem
from .simulator import YukiSimulator


def start_demo(folder: Path) -> DemoSystem:
    """The accounting system, running; `folder` (the demo's temporary folder) is not needed."""
    books = YukiSimulator()
    books.start()
    access_key, administration = books.seed_demo()
    return DemoSystem(
        where=f"Yuki simulator {books.url}",
        section={
            "type": "yuki",
            "url": books.url,
            "access_key": {"env": "YUKI"},
            "administration_id": administration,
        },
        environ={"YUKI": access_key},
        report=lambda: (
            f"Yuki received {len(books.invoices)} invoices in {books.requests_served} requests"
        ),
        stop=books.stop,
    )
