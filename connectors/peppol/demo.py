"""`mapper demo --target peppol`: no remote system, an outbox folder inside the demo's
temporary folder, for the peppol rule set's example seller."""

from __future__ import annotations

from pathlib import Path

from ..registry import DemoSystem

# The seller endpoint of the peppol rule set's default (example) seller settings.
DEMO_SELLER_ENDPOINT = "0106:64985636"


def start_demo(folder: Path) -> DemoSystem:
    """An empty outbox under `folder`; what is written there goes when the folder goes."""
    outbox = folder / "peppol-outbox"
    outbox.mkdir(parents=True, exist_ok=True)

    def report() -> str:
        documents = sum(1 for p in outbox.rglob("*.xml") if not p.name.startswith("."))
        return f"the Peppol outbox received {documents} documents"

    return DemoSystem(
        where=f"Peppol outbox {outbox}",
        section={"type": "peppol", "outbox": str(outbox), "seller_endpoint": DEMO_SELLER_ENDPOINT},
        environ={},
        report=report,
    )
