"""The Starlette application: its state (`Dashboard`), routes, templates and security headers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...engine.errors import MapperError
from ...engine.ledger import Ledger
from ...engine.ledger.accounts import Accounts
from ...engine.mapping import load_rule_set, split_pair_name
from ...engine.rules.failed_checks import read_noted
from ...engine.sync.config import Config
from ...engine.sync.lists import when
from .actions import Checker, Processor, default_checker, reprocess
from .charts import ReasonCharts
from .choices import CachedChoices
from .more_info import OrderFetcher, fetch_order
from .sessions import Sessions
from .throttle import LoginThrottle

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cache-control": b"no-store",
}


@dataclass
class Dashboard:
    """What the pages work on: the configuration, the open ledger and its accounts, where
    problem reports go, and what reaches outside (Process, the connection check, the
    accounting system's lists for the Configuration form), replaceable in tests."""

    config: Config
    ledger: Ledger
    reports_folder: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    processor: Processor = reprocess
    checker: Checker = default_checker
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    choices: CachedChoices = field(default_factory=CachedChoices)
    reasons: ReasonCharts = field(default_factory=ReasonCharts)
    fetcher: OrderFetcher = fetch_order

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.ledger)
        self.sessions = Sessions(self.secret_key)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
        )
        self.templates.filters["when"] = when
        self.templates.filters["checks"] = read_noted

    def preload(self) -> None:
        """Compile every shop's rule sets now (once per process), so the first Configuration
        page or More info does not wait seconds for them. A rule set that does not load is
        left to the page that needs it, which says why."""
        for shop in self.config.shops:
            try:
                for name in split_pair_name(shop.mapping):
                    load_rule_set(name)
            except MapperError:
                continue

    def shop_names(self) -> list[str]:
        return [shop.name for shop in self.config.shops]

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = self.templates.get_template(name).render(**context)
        return HTMLResponse(page, status_code=status_code)


class SecurityHeaders:
    """Adds the CSP (no inline script, no framing) and the other security headers to every
    answer, static files and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k not in SECURITY_HEADERS
                ]
                headers += list(SECURITY_HEADERS.items())
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(dashboard: Dashboard) -> Starlette:
    """The dashboard as an ASGI application."""
    from . import routes

    async def not_found(request: Request, exc: Exception) -> Response:
        return routes.error_page(request, 404)

    app = Starlette(
        routes=[
            Route("/healthz", routes.healthz),
            Route("/", routes.home),
            Route("/login", routes.login_form, methods=["GET"]),
            Route("/login", routes.login, methods=["POST"]),
            Route("/logout", routes.logout, methods=["POST"]),
            Route("/shops/{shop}/{tab}", routes.tab, methods=["GET"]),
            Route("/shops/{shop}/configuration", routes.save_configuration, methods=["POST"]),
            Route("/shops/{shop}/configuration/reset-vat", routes.reset_vat, methods=["POST"]),
            Route("/shops/{shop}/connections/keys", routes.save_keys, methods=["POST"]),
            Route("/shops/{shop}/orders/{order_id}", routes.order_info, methods=["GET"]),
            Route("/shops/{shop}/orders/{order_id}/process", routes.process, methods=["POST"]),
            Route("/shops/{shop}/orders/{order_id}/report", routes.report, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found},
    )
    app.state.dashboard = dashboard
    dashboard.preload()
    return app
