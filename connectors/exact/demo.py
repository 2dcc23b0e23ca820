"""`mapper demo --target exact`: the Exact Online simulator's division with Dutch VAT codes,
its call budgets widened so the demo's burst is never slowed.

Exact's rotating tokens are kept encrypted in the demo's (temporary) ledger under
$MAPPER_SECRET_KEY; when it is not set, a throwaway key is set for the demo's run and removed
again when it stops.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

from ..registry import DemoSystem
from .simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, ExactSimulator

KEY_VARIABLE = "MAPPER_SECRET_KEY"


def start_demo(folder: Path) -> DemoSystem:
    """The accounting system, running; `folder` (the demo's temporary folder) is not needed."""
    books = ExactSimulator(minutely_limit=100_000, daily_limit=1_000_000)
    books.start()
    own_key = KEY_VARIABLE not in os.environ
    if own_key:
        os.environ[KEY_VARIABLE] = Fernet.generate_key().decode()

    def stop() -> None:
        books.stop()
        if own_key:
            os.environ.pop(KEY_VARIABLE, None)

    return DemoSystem(
        where=f"Exact Online simulator {books.url}",
        section={
            "type": "exact",
            "url": books.url,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": {"env": "EXACT_CLIENT_SECRET"},
            "refresh_token": {"env": "EXACT_REFRESH_TOKEN"},
        },
        environ={"EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                 "EXACT_REFRESH_TOKEN": DEMO_REFRESH_TOKEN},
        report=lambda: (
            f"Exact Online received {len(books.entries)} sales entries on "
            f"{len(books.accounts)} accounts in {books.requests_served} requests"
        ),
        stop=stop,
    )
