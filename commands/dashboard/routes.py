"""The pages and actions. Every shop page and action first finds the logged-in person and the
shop among the shops they were given: anything else is a 404, the same answer as for a shop
that does not exist. Every POST carries the session's CSRF token (403 without)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ...engine.errors import MapperError
from ...engine.ledger import OrderRecord, OrderState
from ...engine.ledger.accounts import Account
from ...engine.sync.config import ShopConfig
from ...engine.sync.lists import when
from ...engine.sync.schedule import next_recheck
from .actions import connection_dots, process_order, report_problem
from .app import Dashboard
from .pages import read_page
from .sessions import new_token, same_token

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


async def tab(request: Request) -> Response:
    dashboard = _dashboard(request)
    user = _user(request)
    if user is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    shop = _shop_for(request, user)
    name = request.path_params["tab"]
    if shop is None or name not in TABS:
        return error_page(request, 404)
    session = _session(request)
    context: dict[str, Any] = {
        "user": user,
        "shop": shop.name,
        "shops": _shops_of(dashboard, user),
        "tab": name,
        "tabs": TAB_TITLES,
        "csrf": _csrf(request, session),
        "flash": session.pop("flash", ""),
    }
    if name in ("reporting", "errors", "open"):
        search = request.query_params.get("q", "")
        page = await run_in_threadpool(
            read_page,
            dashboard.ledger,
            shop.name,
            name,
            after=request.query_params.get("after", ""),
            search=search,
        )
        context.update(page=page, search=search, first=not request.query_params.get("after"))
        if name == "open":
            context["next_check"] = when(next_recheck(datetime.now(UTC), shop.recheck_at))
    elif name == "connections":
        dots, problem = await run_in_threadpool(
            connection_dots, dashboard.checker, dashboard.config, shop.name
        )
        context.update(dots=dots, problem=problem)
    else:
        context.update(mapping=shop.mapping, source=shop.source["type"], target=shop.target["type"])
    response = dashboard.render(f"{name}.html", **context)
    return _finish(request, response, session)


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


async def report(request: Request) -> Response:
    """Report problem: the order's number, error and rule version kept for support."""
    found = await _order_action(request)
    if isinstance(found, Response):
        return found
    shop, record, user = found
    dashboard = _dashboard(request)
    try:
        message = await run_in_threadpool(
            report_problem, dashboard.reports_folder, record, user.email
        )
    except MapperError as error:
        message = f"The problem could not be reported: {error}"
    return _back(request, shop.name, message)
