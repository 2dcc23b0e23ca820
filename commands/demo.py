"""`mapper demo [--shop S] [--target T]`: a full sync from a shop's simulator to an accounting
system's (PrestaShop → Yuki unless told otherwise).

Each connector's `demo` (connectors/<system>/demo.py, registered in connectors/registry.py)
starts its simulator seeded with demo data and says how to configure it; the simulators run on
this machine and speak the real wire formats, and the ledger is a temporary SQLite file. The shop
holds paid and unpaid orders and some that fail a check, so the three lists of the manual all
fill. No credential is printed: the configuration names them as `{env: …}` references.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from ..connectors.registry import Connector, DemoSystem, connector, names
from ..engine.errors import UsageError
from ..engine.ledger import Ledger, OrderState
from ..engine.sync.config import Config, parse_config
from ..engine.sync.lists import render_lists
from ..engine.sync.pipeline import ShopSync

DEMO_SHOP = "demo-shop"
DEMO_USER = "demo@example.com"
DEFAULT_SHOP = "prestashop"
DEFAULT_TARGET = "yuki"
MARKED_PAID = 3  # open orders the shop marks paid before the nightly re-check

Server = Callable[[Config, Ledger, Path], None]


def demo_systems(role: str) -> list[str]:
    """The registered systems of `role` ("shop" or "accounting") that have a demo."""
    return [name for name in names(role) if _demo_connector(name, role) is not None]


def _demo_connector(name: str, role: str) -> Connector | None:
    found = connector(name, role)
    return found if found is not None and found.demo else None


def _chosen(name: str, role: str, option: str) -> Connector:
    found = _demo_connector(name, role)
    if found is None:
        known = ", ".join(demo_systems(role)) or "none"
        raise UsageError(f"unknown {option} {name!r} (known: {known})")
    return found


def demo_config(folder: Path, shop: DemoSystem, target: DemoSystem, mapping: str) -> Config:
    """The demo's configuration: one shop, its ledger in `folder`."""
    return parse_config(
        {
            "ledger": "ledger.db",
            "shops": [
                {
                    "name": DEMO_SHOP,
                    "mapping": mapping,
                    "start": shop.start,
                    "source": shop.section,
                    "target": target.section,
                }
            ],
        },
        folder,
        "demo configuration",
        environ={**shop.environ, **target.environ},
    )


def run_demo(
    echo: Callable[[str], None],
    serve: Server | None = None,
    *,
    shop: str = DEFAULT_SHOP,
    target: str = DEFAULT_TARGET,
) -> None:
    """The demo; with `serve`, then the dashboard on its ledger while the simulators still
    run (so Process and Connections reach them), until `serve` returns."""
    source_system = _chosen(shop, "shop", "--shop")
    target_system = _chosen(target, "accounting", "--target")
    with tempfile.TemporaryDirectory(prefix="mapper-demo-") as name, ExitStack() as running:
        folder = Path(name)
        source = source_system.start_demo(folder)
        running.callback(source.stop)
        books = target_system.start_demo(folder)
        running.callback(books.stop)
        config = demo_config(folder, source, books, f"{shop}-{target}")
        echo(f"mapper demo: {source.where} → {books.where}")
        echo(f"ledger: {config.ledger_url}")
        echo("")
        with Ledger.open(config.ledger_url) as ledger:
            _sync(ledger, config, source, echo)
            echo("")
            for line in render_lists(ledger, DEMO_SHOP, ["reporting", "errors", "open"], 12):
                echo(line)
            if serve is not None:
                serve(config, ledger, folder)
        echo(f"{books.report()}; {source.report()}.")


def _sync(ledger: Ledger, config: Config, source: DemoSystem, echo: Callable[[str], None]) -> None:
    """A pass, a second that finds nothing, then some open orders paid and the re-check."""
    sync = ShopSync(config.shops[0], ledger)
    try:
        echo(sync.sync().summary())
        again = sync.sync()
        echo(f"a second pass finds nothing new to send: {again.summary()}")
        if source.mark_paid is None:
            return
        # orders only: an open credit document (a refund's id, "refund-…") is not paid
        opened = [
            r.order_id for r in ledger.list_orders(DEMO_SHOP, OrderState.OPEN)
            if r.order_id.isdigit()
        ]
        for order_id in opened[:MARKED_PAID]:
            source.mark_paid(order_id)
        echo(
            f"the shop marks {min(MARKED_PAID, len(opened))} open orders paid; "
            "the nightly re-check:"
        )
        echo(sync.recheck().summary())
    finally:
        sync.close()


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
    add_user(ledger, DEMO_USER, password, (DEMO_SHOP,), False, config)
    echo("")
    echo(f"dashboard login: {DEMO_USER} / {password}")
    serve(config, ledger, folder, host=host, port=port, echo=echo)
