"""Running the dashboard (`mapper serve`, `mapper demo --serve`) and adding its users."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ...engine.errors import UsageError
from ...engine.ledger import Ledger
from ...engine.ledger.accounts import Account, AccountError, Accounts
from ...engine.ledger.database import parse_url, sqlite_path
from ...engine.sync.config import Config
from .app import Dashboard, create_app

SECRET_VARIABLE = "MAPPER_DASHBOARD_SECRET"


def reports_folder(config: Config, config_folder: Path) -> Path:
    """Where Report problem writes: the SQLite ledger's folder, else the configuration's."""
    path = sqlite_path(parse_url(config.ledger_url))
    return path.resolve().parent if path is not None else config_folder


def dashboard_for(config: Config, ledger: Ledger, folder: Path) -> Dashboard:
    """The dashboard of `config` on an open `ledger`. The session key comes from
    MAPPER_DASHBOARD_SECRET when set (sessions then outlive a restart), else a fresh one."""
    secret = os.environ.get(SECRET_VARIABLE)
    if secret:
        return Dashboard(config, ledger, folder, secret_key=secret)
    return Dashboard(config, ledger, folder)


def serve(
    config: Config,
    ledger: Ledger,
    folder: Path,
    *,
    host: str,
    port: int,
    echo: Callable[[str], None],
) -> None:
    """Serve until Ctrl-C. Behind a TLS proxy on this host, cookies are marked Secure."""
    import uvicorn

    app = create_app(dashboard_for(config, ledger, folder))
    echo(f"mapper serve: http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="warning")


def add_user(
    ledger: Ledger, email: str, password: str, shops: tuple[str, ...], admin: bool, config: Config
) -> Account:
    """`mapper users add`: shops must be configured ones; a bad address or a short password is
    a UsageError (exit 2)."""
    known = {shop.name for shop in config.shops}
    unknown = [shop for shop in shops if shop not in known]
    if unknown:
        raise UsageError(
            f"no shop {unknown[0]!r} in the configuration (shops: {', '.join(sorted(known))})"
        )
    if not shops and not admin:
        raise UsageError("give the user at least one --shop, or --admin")
    try:
        return Accounts(ledger).add(email, password, shops, admin=admin)
    except AccountError as error:
        raise UsageError(str(error)) from None
