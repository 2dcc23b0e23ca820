"""The pages and actions. Every shop page and action first finds the logged-in person and the
shop among the shops they were given: anything else is a 404, the same answer as for a shop
that does not exist. Every POST carries the session's CSRF token (403 without)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ...engine.errors import MapperError
from ...engine.ledger import OrderRecord, OrderState
from ...engine.ledger.accounts import Account
from ...engine.ledger.tenant_settings import SettingsVersions
from ...engine.sync.config import ShopConfig, with_stored
from ...engine.sync.lists import when
from ...engine.sync.schedule import next_recheck
from . import configuration
from .actions import connection_dots, process_order, report_problem
from .app import Dashboard
from .charts import day_chart, invoices_per_day, reason_chart
from .keys import key_fields, store_keys
from .more_info import more_info
from .pages import parse_day, read_page
from .sessions import new_token, same_token
from .settings_form import refill

TABS = ("reporting", "errors", "open", "connections", "configuration")
TAB_TITLES = {
    "reporting": "Reporting",
    "errors": "Errors",
    "open": "Open",
    "connections": "Connections",
    "configuration": "Configuration",
}
MESSAGES = {
    403: "This form has expired or did not come from this dashboard. Go back, reload the page "
    "and try again.",
    404: "There is no such page.",
    405: "There is no such page.",
    429: "Too many failed logins. Wait a quarter of an hour, then try again.",
}


def _dashboard(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def _session(request: Request) -> dict[str, Any]:
    if "mapper.session" not in request.scope:
        request.scope["mapper.session"] = _dashboard(request).sessions.load(request)
    data: dict[str, Any] = request.scope["mapper.session"]
    return data


def _finish(request: Request, response: Response, session: dict[str, Any]) -> Response:
    _dashboard(request).sessions.save(request, response, session)
    return response


def _csrf(request: Request, session: dict[str, Any]) -> str:
    if not session.get("csrf"):
        session["csrf"] = new_token()
    token: str = session["csrf"]
    return token


def _user(request: Request) -> Account | None:
    email = _session(request).get("email")
    return _dashboard(request).accounts.get(email) if isinstance(email, str) else None


def _shops_of(dashboard: Dashboard, user: Account) -> list[str]:
    return [name for name in dashboard.shop_names() if user.may_see(name)]


def error_page(request: Request, status: int, message: str = "") -> Response:
    session = _session(request)
    response = _dashboard(request).render(
        "error.html",
        status,
        status=status,
        message=message or MESSAGES.get(status, "Something went wrong."),
        user=None,
        csrf=_csrf(request, session),
    )
    return _finish(request, response, session)


async def _form_checked(request: Request) -> tuple[dict[str, str], Response | None]:
    """The POSTed form, or the 403 answer when its CSRF token is not the session's."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not same_token(fields.get("csrf_token"), _session(request).get("csrf")):
        return fields, error_page(request, 403)
    return fields, None


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    shops = _shops_of(_dashboard(request), user)
    if len(shops) == 1:
        return RedirectResponse(f"/shops/{quote(shops[0])}/reporting", status_code=303)
    session = _session(request)
    response = _dashboard(request).render(
        "home.html", user=user, shops=shops, csrf=_csrf(request, session)
    )
    return _finish(request, response, session)


def _login_page(request: Request, status: int = 200, message: str = "") -> Response:
    session = _session(request)
    response = _dashboard(request).render(
        "login.html",
        status,
        user=None,
        message=message,
        next=_safe_next(request.query_params.get("next", "")),
        csrf=_csrf(request, session),
    )
    return _finish(request, response, session)


def _safe_next(target: str) -> str:
    """Only a path of this site: never `//elsewhere` or `https://elsewhere`."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    dashboard = _dashboard(request)
    fields, refused = await _form_checked(request)
    if refused is not None:
        return refused
    email = fields.get("email", "").strip().lower()
    client = request.client.host if request.client else "unknown"
    keys = (f"email:{email}", f"client:{client}")
    if dashboard.throttle.blocked(*keys):
        return error_page(request, 429)
    user = await run_in_threadpool(
        dashboard.accounts.authenticate, email, fields.get("password", "")
    )
    if user is None:
        dashboard.throttle.failed(*keys)
        return _login_page(request, 401, "Wrong e-mail address or password.")
    dashboard.throttle.succeeded(*keys)
    # A new session (and CSRF token) at login: a token seen before logging in is worth nothing.
    session = {"email": user.email, "csrf": new_token()}
    request.scope["mapper.session"] = session
    target = _safe_next(fields.get("next", "/"))
    return _finish(request, RedirectResponse(target, status_code=303), session)


async def logout(request: Request) -> Response:
    _fields, refused = await _form_checked(request)
    if refused is not None:
        return refused
    return _finish(request, RedirectResponse("/login", status_code=303), {})


def _shop_for(request: Request, user: Account) -> ShopConfig | None:
    """The shop of the URL when this person may see it; None (→ 404) otherwise."""
    dashboard = _dashboard(request)
    name = request.path_params["shop"]
    if not user.may_see(name) or name not in dashboard.shop_names():
        return None
    return dashboard.config.shop(name)


def _context(request: Request, user: Account, shop: ShopConfig, name: str) -> dict[str, Any]:
    session = _session(request)
    return {
        "user": user,
        "shop": shop.name,
        "shops": _shops_of(_dashboard(request), user),
        "tab": name,
        "tabs": TAB_TITLES,
        "csrf": _csrf(request, session),
        "flash": session.pop("flash", ""),
    }


def _list_context(request: Request, shop: ShopConfig, name: str) -> dict[str, Any]:
    dashboard = _dashboard(request)
    params = request.query_params
    search = params.get("q", "")
    since, until = parse_day(params.get("from", "")), parse_day(params.get("to", ""))
    page = read_page(
        dashboard.ledger,
        shop.name,
        name,
        after=params.get("after", ""),
        search=search,
        since=since,
        until=until,
    )
    filters = {
        key: value
        for key, value in (
            ("q", search),
            ("from", since.isoformat() if since else ""),
            ("to", until.isoformat() if until else ""),
        )
        if value
    }
    context: dict[str, Any] = {
        "page": page,
        "search": search,
        "since": filters.get("from", ""),
        "until": filters.get("to", ""),
        "filters": urlencode(filters),
        "first": not params.get("after"),
    }
    if name == "reporting":
        counts = invoices_per_day(dashboard.ledger, shop.name, datetime.now(UTC).date())
        context["chart"] = day_chart(counts)
    elif name == "errors":
        context["chart"] = reason_chart(dashboard.reasons(dashboard.ledger, shop.name))
    elif name == "open":
        context["next_check"] = when(next_recheck(datetime.now(UTC), shop.recheck_at))
    return context


def _configuration_context(
    request: Request, shop: ShopConfig, form: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The Configuration tab: the form (or the one just refused, its problems shown), the
    versions, and the difference of the one asked for (`?version=N`, else the newest)."""
    dashboard = _dashboard(request)
    versions = SettingsVersions(dashboard.ledger)
    newest = versions.newest(shop.name)
    choices, note = dashboard.choices(shop, dashboard.ledger)
    shown = newest
    asked = request.query_params.get("version", "")
    if asked.isdigit():
        shown = versions.get(shop.name, int(asked)) or newest
    return {
        "mapping": shop.mapping,
        "source": shop.source["type"],
        "target": shop.target["type"],
        "sections": configuration.sections(shop, newest, choices),
        "choices_note": note,
        "newest": newest,
        "history": versions.history(shop.name),
        "shown": shown,
        "changes": configuration.difference(shop, dashboard.ledger, shown) if shown else [],
        "based_on": newest.version if newest else 0,
    }


def _connections_context(request: Request, shop: ShopConfig) -> dict[str, Any]:
    dashboard = _dashboard(request)
    effective = dataclasses.replace(
        dashboard.config,
        shops=[
            with_stored(entry, dashboard.ledger) if entry.name == shop.name else entry
            for entry in dashboard.config.shops
        ],
    )
    dots, problem = connection_dots(dashboard.checker, effective, shop.name)
    return {"dots": dots, "problem": problem, "keys": key_fields(shop, dashboard.ledger)}


def _tab_context(request: Request, shop: ShopConfig, name: str) -> dict[str, Any]:
    """What the tab `name` shows; a MapperError (the ledger, a bad secret key) ends as a line."""
    try:
        if name in ("reporting", "errors", "open"):
            return _list_context(request, shop, name)
        if name == "connections":
            return _connections_context(request, shop)
        return _configuration_context(request, shop)
    except MapperError as error:
        return {"problem": str(error), "broken": True}


async def tab(request: Request) -> Response:
    dashboard = _dashboard(request)
    user = _user(request)
    if user is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    shop = _shop_for(request, user)
    name = request.path_params["tab"]
    if shop is None or name not in TABS:
        return error_page(request, 404)
    context = _context(request, user, shop, name)
    context.update(await run_in_threadpool(_tab_context, request, shop, name))
    template = "broken.html" if context.get("broken") else f"{name}.html"
    response = dashboard.render(template, **context)
    return _finish(request, response, _session(request))


async def _shop_form(request: Request) -> tuple[ShopConfig, Account, dict[str, str]] | Response:
    """The checks every shop form makes, in order: CSRF (403), logged in and given the shop
    (404). Every person given a shop may change its settings and keys, as the manual has the
    shop owner do; administrators may for every shop."""
    fields, refused = await _form_checked(request)
    if refused is not None:
        return refused
    user = _user(request)
    shop = _shop_for(request, user) if user is not None else None
    if user is None or shop is None:
        return error_page(request, 404)
    return shop, user, fields


async def save_configuration(request: Request) -> Response:
    """Save the Configuration form as a new settings version; refused: the form again, each
    problem at its field (400)."""
    found = await _shop_form(request)
    if isinstance(found, Response):
        return found
    shop, user, fields = found
    dashboard = _dashboard(request)
    based_on = int(fields["based_on"]) if fields.get("based_on", "").isdigit() else 0
    try:
        outcome = await run_in_threadpool(
            configuration.save, shop, dashboard.ledger, fields, user.email, based_on
        )
    except MapperError as error:  # someone saved meanwhile; the ledger unavailable
        return _back(request, shop.name, f"Not saved: {error}.", "configuration")
    if outcome.version is not None:
        return _back(request, shop.name, outcome.message, "configuration")
    context = _context(request, user, shop, "configuration")
    context.update(await run_in_threadpool(_configuration_context, request, shop))
    refill(context["sections"], fields, outcome.problems)
    context.update(flash=outcome.message, problems=outcome.problems, general=outcome.general)
    response = dashboard.render("configuration.html", 400, **context)
    return _finish(request, response, _session(request))


async def reset_vat(request: Request) -> Response:
    """Reset VAT settings: a new version without them; the file's VAT settings apply again."""
    found = await _shop_form(request)
    if isinstance(found, Response):
        return found
    shop, user, fields = found
    based_on = int(fields["based_on"]) if fields.get("based_on", "").isdigit() else 0
    try:
        message = await run_in_threadpool(
            configuration.reset_vat, shop, _dashboard(request).ledger, user.email, based_on
        )
    except MapperError as error:
        message = f"Not reset: {error}."
    return _back(request, shop.name, message, "configuration")


async def save_keys(request: Request) -> Response:
    """Store the keys typed in the Connections form, encrypted; never shown back."""
    found = await _shop_form(request)
    if isinstance(found, Response):
        return found
    shop, user, fields = found
    dashboard = _dashboard(request)
    try:
        stored, problems = await run_in_threadpool(
            store_keys, shop, dashboard.ledger, fields, user.email
        )
    except MapperError as error:  # no MAPPER_SECRET_KEY, the ledger unavailable
        return _back(request, shop.name, f"Not stored: {error}.", "connections")
    if problems:
        context = _context(request, user, shop, "connections")
        context.update(await run_in_threadpool(_connections_context, request, shop))
        count = len(problems)
        context.update(
            flash=f"Not stored: {count} problem{'s' * (count > 1)}.", key_problems=problems
        )
        response = dashboard.render("connections.html", 400, **context)
        return _finish(request, response, _session(request))
    dashboard.choices.forget(shop.name)
    message = (
        f"Stored: {', '.join(stored)}. The next pass uses {'them' if len(stored) > 1 else 'it'}."
        if stored
        else "No key was typed: nothing stored."
    )
    return _back(request, shop.name, message, "connections")


async def _order_action(request: Request) -> tuple[ShopConfig, OrderRecord, Account] | Response:
    """The checks every order action makes, in order: CSRF (403), logged in and given the
    shop (404), the order known in that shop (404)."""
    _fields, refused = await _form_checked(request)
    if refused is not None:
        return refused
    user = _user(request)
    shop = _shop_for(request, user) if user is not None else None
    if user is None or shop is None:
        return error_page(request, 404)
    record = _dashboard(request).ledger.get_order(shop.name, request.path_params["order_id"])
    if record is None:
        return error_page(request, 404)
    return shop, record, user


def _back(request: Request, shop: str, message: str, tab: str = "errors") -> Response:
    session = _session(request)
    session["flash"] = message
    response = RedirectResponse(f"/shops/{quote(shop)}/{tab}", status_code=303)
    return _finish(request, response, session)


async def process(request: Request) -> Response:
    """The Process button: the order sent again; back to Errors with where it stands now."""
    found = await _order_action(request)
    if isinstance(found, Response):
        return found
    shop, record, _user_ = found
    dashboard = _dashboard(request)
    message = await run_in_threadpool(
        process_order, dashboard.processor, shop, dashboard.ledger, record
    )
    after = dashboard.ledger.get_order(shop.name, record.order_id)
    tab = "reporting" if after is not None and after.state == OrderState.SENT else "errors"
    return _back(request, shop.name, message, tab)


async def order_info(request: Request) -> Response:
    """More info of an order in Errors: the checks kept for it and, fetched from the shop
    now, the values they read (more_info.py). Logged in and given the shop, else 404."""
    dashboard = _dashboard(request)
    user = _user(request)
    if user is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    shop = _shop_for(request, user)
    record = (
        dashboard.ledger.get_order(shop.name, request.path_params["order_id"]) if shop else None
    )
    if shop is None or record is None:
        return error_page(request, 404)
    info = await run_in_threadpool(more_info, shop, dashboard.ledger, record, dashboard.fetcher)
    context = _context(request, user, shop, "errors")
    context.update(order=record, info=info)
    response = dashboard.render("more_info.html", **context)
    return _finish(request, response, _session(request))


async def report(request: Request) -> Response:
    """Report problem: the order's number, error and rule version kept for support."""
    found = await _order_action(request)
    if isinstance(found, Response):
        return found
    shop, record, user = found
    dashboard = _dashboard(request)
    try:
        message = await run_in_threadpool(
            report_problem, dashboard.reports_folder, record, user.email, shop
        )
    except MapperError as error:
        message = f"The problem could not be reported: {error}"
    return _back(request, shop.name, message)
