"""`mapper demo`: a full sync from the PrestaShop simulator to the Yuki simulator.

Both simulators run on this machine and speak the real wire formats (PrestaShop's webservice
JSON, Yuki's SOAP); the ledger is a temporary SQLite file. The shop is seeded with a few dozen
varied orders — paid and unpaid, Dutch, EU companies, export, some that fail a check — so the
three lists of the manual all fill.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from ..connectors.prestashop.simulator.webservice import PrestaShopSimulator
from ..connectors.prestashop.simulator.webservice import cli_simulator as prestashop_simulator
from ..connectors.simulation import Faults
from ..connectors.yuki.simulator import YukiSimulator
from ..engine.ledger import Ledger, OrderState
from ..engine.sync.config import Config, parse_config
from ..engine.sync.lists import render_lists
from ..engine.sync.pipeline import ShopSync

PAID = 2  # PrestaShop's "Payment accepted"


DEMO_USER = "demo@example.com"

Server = Callable[[Config, Ledger, Path], None]


def run_demo(echo: Callable[[str], None], serve: Server | None = None) -> None:
    """The demo; with `serve`, then the dashboard on its ledger while the simulators still
    run (so Process and Connections reach them), until `serve` returns."""
    shop = prestashop_simulator(port=0, latency=0.0, faults=Faults())
    yuki = YukiSimulator()
    with shop, yuki, tempfile.TemporaryDirectory(prefix="mapper-demo-") as folder:
        access_key, administration = yuki.seed_demo()
        config = parse_config(
            {
                "ledger": "ledger.db",
                "shops": [
                    {
                        "name": "demo-shop",
                        "mapping": "prestashop-yuki",
                        "start": "2024-01-01",
                        "source": {"type": "prestashop", "url": shop.url, "key": {"env": "PS"}},
                        "target": {
                            "type": "yuki",
                            "url": yuki.url,
                            "access_key": {"env": "YUKI"},
                            "administration_id": administration,
                        },
                    }
                ],
            },
            Path(folder),
            "demo configuration",
            environ={"PS": PrestaShopSimulator.DEMO_KEY, "YUKI": access_key},
        )
        echo(f"mapper demo: PrestaShop simulator {shop.url} → Yuki simulator {yuki.url}")
        echo(f"ledger: {config.ledger_url}")
        echo("")
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger)
            try:
                echo(sync.sync().summary())
                again = sync.sync()
                echo(f"a second pass finds nothing new to send: {again.summary()}")
                opened = [r.order_id for r in ledger.list_orders("demo-shop", OrderState.OPEN)]
                for order_id in opened[:3]:
                    shop.set_order_state(int(order_id), PAID)
                echo(
                    f"the shop marks {min(3, len(opened))} open orders paid; the nightly re-check:"
                )
                echo(sync.recheck().summary())
            finally:
                sync.close()
            echo("")
            for line in render_lists(ledger, "demo-shop", ["reporting", "errors", "open"], 12):
                echo(line)
            if serve is not None:
                serve(config, ledger, Path(folder))
        echo(
            f"Yuki received {len(yuki.invoices)} invoices in {yuki.requests_served} requests; "
            f"PrestaShop served {shop.requests_served} requests."
        )


def serve_demo(
    config: Config,
    ledger: Ledger,
    folder: Path,
    *,
    host: str,
    port: int,
    echo: Callable[[str], None],
) -> None:
    """`mapper demo --serve`: a demo user with a fresh password, printed, then the dashboard."""
    import secrets

    from .dashboard.serve import add_user, serve

    password = secrets.token_urlsafe(12)
    add_user(ledger, DEMO_USER, password, ("demo-shop",), False, config)
    echo("")
    echo(f"dashboard login: {DEMO_USER} / {password}")
    serve(config, ledger, folder, host=host, port=port, echo=echo)
