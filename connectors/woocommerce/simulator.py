"""A local WooCommerce REST API (`/wp-json/wc/v3`): the resources a sync reads.

Serves `GET orders` (filters `status`, `modified_after|before`, `after|before`, `dates_are_gmt`,
`include`, `orderby`, `order`, paging with `page`/`per_page` and the `X-WP-Total`,
`X-WP-TotalPages` and `Link` headers), `GET orders/{id}`, `GET orders/{id}/refunds[/{rid}]`,
`GET taxes[/{id}]` and `POST orders/batch` (only to tell read keys from write keys).

Authentication as WooCommerce's `class-wc-rest-authentication.php` does it: consumer key and
secret as HTTP Basic or as the query parameters `consumer_key`/`consumer_secret` (the query
wins); a wrong secret is 401 `woocommerce_rest_authentication_error`, an unknown key leaves the
request anonymous (401 `woocommerce_rest_cannot_view`), a key whose user may not read orders is
403, a read-only key on a write is 401. Errors are `{"code", "message", "data": {"status"}}`.
WooCommerce itself has no rate limit; the injected 429s (and 500s) are the host's.
"""

from __future__ import annotations

import base64
import json
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ..simulation import Faults, Reply, Request, Simulator
from .simulator_data import (
    PAID_STATUSES,
    SHOP_TIMEZONE,
    ShopData,
    build_refund,
    demo_shop,
    generated_shop,
    gmt,
    local,
)

DEMO_KEY = "ck_demo0read0000000000000000000000000000"
DEMO_SECRET = "cs_demo0read0000000000000000000000000000"
DEMO_WRITE_KEY = "ck_demo0write000000000000000000000000000"
DEMO_WRITE_SECRET = "cs_demo0write000000000000000000000000000"
PREFIX = "/wp-json/wc/v3/"
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
            "trash", "checkout-draft")
REALM = ('Basic realm="WooCommerce API. Use a consumer key in the username field and a '
         'consumer secret in the password field."')


@dataclass(frozen=True)
class ApiKey:
    """A key of WooCommerce → Settings → Advanced → REST API."""

    secret: str
    permissions: str = "read"  # read | write | read_write
    can_view_orders: bool = True  # the key's user has the shop manager's capabilities


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _json_value(value: object) -> object:
    """Decimals as PHP prints numbers: `rate_percent` 21, line `price` 10.7024793388."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _encode(document: object) -> bytes:
    return json.dumps(document, default=_json_value, ensure_ascii=False).encode()


def _error(status: int, code: str, message: str, **extra: Any) -> Reply:
    body = {"code": code, "message": message, "data": {"status": status, **extra}}
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    if code == "woocommerce_rest_authentication_error":
        headers["WWW-Authenticate"] = REALM
    return Reply(status, _encode(body), headers)


def _moment(text: str, name: str, gmt_dates: bool) -> datetime:
    """An ISO 8601 filter value; without an offset it is site-local, or UTC with
    `dates_are_gmt` (quirk 3)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise _ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                        params={name: f"Invalid date: {text}"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if gmt_dates else SHOP_TIMEZONE)
    return moment


def _order_moment(order: dict[str, Any], field: str) -> datetime:
    return datetime.fromisoformat(order[f"{field}_gmt"]).replace(tzinfo=UTC)


def _integer(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name, str(default))
    if not text.isdigit() or not low <= int(text) <= high:
        message = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        raise _ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                        params={name: message})
    return int(text)


class WooCommerceSimulator(Simulator):
    """WooCommerce over real HTTP, seeded with a Dutch demo shop (or your own `ShopData`)."""

    name = "woocommerce"

    def __init__(
        self,
        shop: ShopData | None = None,
        *,
        keys: dict[str, ApiKey] | None = None,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.shop = shop if shop is not None else demo_shop()
        self.keys = keys if keys is not None else {
            DEMO_KEY: ApiKey(DEMO_SECRET, "read"),
            DEMO_WRITE_KEY: ApiKey(DEMO_WRITE_SECRET, "read_write"),
        }
        self._lock = threading.RLock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, query w/o keys

    def __repr__(self) -> str:
        return f"WooCommerceSimulator(orders={len(self.shop.orders)}, port={self.port})"


    # -- test helpers -------------------------------------------------------------------
    def set_status(self, order_id: int, status: str, at: datetime | None = None) -> None:
        """Change an order's status as the shop manager would; `date_modified` moves to `at`
        (or now), `date_paid` is set when it becomes paid, `date_completed` when completed."""
        moment = at or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            order = self.shop.orders[order_id]
            order["status"] = status
            order["date_modified"], order["date_modified_gmt"] = local(moment), gmt(moment)
            if status in PAID_STATUSES and order["date_paid"] is None:
                order["date_paid"], order["date_paid_gmt"] = local(moment), gmt(moment)
                order["transaction_id"] = f"tr_{order_id:08d}"
            if status == "completed":
                order["date_completed"], order["date_completed_gmt"] = local(moment), gmt(moment)

    def refund(
        self,
        order_id: int,
        quantities: dict[int, int] | None = None,
        *,
        shipping: bool = False,
        amount: Decimal | None = None,
        reason: str = "Retour ontvangen",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Refund as the shop manager does (Order > Refund): `quantities` of its lines (line
        id → quantity; None: none), its shipping with `shipping`, or just an `amount`. Returns
        the refund as `GET orders/{id}/refunds/{rid}` gives it."""
        moment = at or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            order = self.shop.orders[order_id]
            taken = [r["id"] for refunds in self.shop.refunds.values() for r in refunds]
            refund_id = max([*taken, *self.shop.orders, 0]) + 1  # one id sequence: WP posts
            refund = build_refund(order, refund_id, moment, reason, quantities or {},
                                  shipping=shipping, amount=amount)
            self.shop.add_refund(order_id, refund, moment)
            return refund

    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        """The host's answers, not WooCommerce's: a proxy's HTML 429, WordPress's JSON for a
        PHP fatal error."""
        if kind == "429":
            return Reply(429, b"<html><body><h1>429 Too Many Requests</h1></body></html>",
                         {"Content-Type": "text/html", "Retry-After": f"{self.faults.retry_after:g}"})
        return _error(500, "internal_server_error",
                      "<p>There has been a critical error on this website.</p>")

    def handle(self, request: Request) -> Reply:
        query = {k: v for k, v in request.query.items()
                 if k not in ("consumer_key", "consumer_secret")}
        with self._lock:
            self.requests.append((request.method, request.path, query))
        if not request.path.startswith(PREFIX):
            return _error(404, "rest_no_route", "No route was found matching the URL and request method.")
        try:
            key = self._authenticate(request)
            resource = request.path[len(PREFIX):].strip("/")
            with self._lock:
                return self._route(request.method, resource, query, key)
        except _ApiError as error:
            return _error(error.status, error.code, error.message, **error.extra)

    def _authenticate(self, request: Request) -> ApiKey | None:
        """The key in the query (wins) or the Basic header; None = anonymous."""
        ck, cs = request.query.get("consumer_key"), request.query.get("consumer_secret")
        if ck is None:
            header = request.headers.get("authorization", "")
            if header.startswith("Basic "):
                try:
                    ck, _, cs = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    ck = None
        if not ck:
            return None
        key = self.keys.get(ck)
        if key is None:
            return None  # an unknown key in Basic auth is silently anonymous
        if cs != key.secret:
            raise _ApiError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return key

    def _route(
        self, method: str, resource: str, query: dict[str, str], key: ApiKey | None
    ) -> Reply:
        parts = resource.split("/")
        if method == "POST" and parts == ["orders", "batch"]:
            self._may_write(key)
            return self._json({})  # nothing asked: nothing done
        if method != "GET":
            if key is not None and key.permissions == "read":
                raise _ApiError(401, "woocommerce_rest_authentication_error",
                                "The API key provided does not have write permissions.")
            raise _ApiError(404, "rest_no_route",
                            "No route was found matching the URL and request method.")
        if parts == ["orders"]:
            self._may_view(key, "list resources")
            return self._listing(resource, self._order_ids(query), query,
                                 lambda i: self.shop.orders[i])
        if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
            self._may_view(key, "view this resource")
            order = self.shop.orders.get(int(parts[1]))
            if order is None or (order["status"] == "trash" and len(parts) > 2):
                raise _ApiError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if len(parts) == 2:
                return self._json(self._with_links(order))
            refunds = self.shop.refunds.get(order["id"], [])
            if parts[2:] == ["refunds"]:
                return self._listing(resource, list(range(len(refunds))), query,
                                     lambda i: refunds[i])
            if len(parts) == 4 and parts[2] == "refunds" and parts[3].isdigit():
                for refund in refunds:
                    if refund["id"] == int(parts[3]):
                        return self._json(refund)
                raise _ApiError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        if parts == ["taxes"]:
            self._may_view(key, "list resources")
            rates = sorted(self.shop.tax_rates)
            return self._listing(resource, rates, query,
                                 lambda i: self.shop.tax_rates[i].resource())
        if len(parts) == 2 and parts[0] == "taxes" and parts[1].isdigit():
            self._may_view(key, "view this resource")
            rate = self.shop.tax_rates.get(int(parts[1]))
            if rate is None:
                raise _ApiError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
            return self._json(rate.resource())
        raise _ApiError(404, "rest_no_route", "No route was found matching the URL and request method.")

    @staticmethod
    def _may_view(key: ApiKey | None, what: str) -> None:
        if key is None:
            raise _ApiError(401, "woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.")
        if not key.can_view_orders:
            raise _ApiError(403, "woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.")

    @staticmethod
    def _may_write(key: ApiKey | None) -> None:
        if key is None:
            raise _ApiError(401, "woocommerce_rest_cannot_batch",
                            "Sorry, you are not allowed to batch manipulate this resource.")
        if key.permissions == "read":
            raise _ApiError(401, "woocommerce_rest_authentication_error",
                            "The API key provided does not have write permissions.")

    # -- queries ------------------------------------------------------------------------
    def _order_ids(self, query: dict[str, str]) -> list[int]:
        gmt_dates = query.get("dates_are_gmt", "").lower() in ("1", "true")
        wanted = [s for s in query.get("status", "any").split(",") if s]
        for status in wanted:
            if status not in (*STATUSES, "any"):
                raise _ApiError(400, "rest_invalid_param", "Invalid parameter(s): status",
                                params={"status": f"status[0] is not one of {', '.join(STATUSES)}."})
        bounds = {
            name: _moment(query[name], name, gmt_dates)
            for name in ("after", "before", "modified_after", "modified_before") if query.get(name)
        }
        listed = [int(i) for i in query.get("include", "").split(",") if i.strip().isdigit()]
        include = set(listed)
        ids = []
        for order_id, order in self.shop.orders.items():
            status = order["status"]
            if "any" in wanted and status == "trash" or "any" not in wanted and status not in wanted:
                continue
            if include and order_id not in include:
                continue
            created, modified = _order_moment(order, "date_created"), _order_moment(order, "date_modified")
            # WordPress's date_query: `after` and `before` are exclusive.
            if "after" in bounds and not created > bounds["after"]:
                continue
            if "before" in bounds and not created < bounds["before"]:
                continue
            if "modified_after" in bounds and not modified > bounds["modified_after"]:
                continue
            if "modified_before" in bounds and not modified < bounds["modified_before"]:
                continue
            ids.append(order_id)
        orderby, descending = query.get("orderby", "date"), query.get("order", "desc") == "desc"
        if orderby not in ("date", "id", "include", "title", "slug", "modified"):
            raise _ApiError(400, "rest_invalid_param", "Invalid parameter(s): orderby",
                            params={"orderby": "orderby is not one of date, id, include, title, slug."})
        if orderby == "date":
            ids.sort(key=lambda i: (self.shop.orders[i]["date_created_gmt"], i), reverse=descending)
        elif orderby == "include" and listed:
            ids.sort(key=listed.index)
        elif orderby == "modified":
            ids.sort(key=lambda i: (self.shop.orders[i]["date_modified_gmt"], i), reverse=descending)
        else:
            ids.sort(reverse=descending)
        return ids

    def _listing(self, resource: str, ids: list[Any], query: dict[str, str], render: Any) -> Reply:
        per_page = _integer(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        page = _integer(query, "page", 1, 1, 10**6)
        total = len(ids)
        pages = math.ceil(total / per_page)
        chosen = ids[(page - 1) * per_page: page * per_page]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []

        def link(number: int, rel: str) -> str:
            params = urlencode({**query, "page": number})
            return f'<{self.url}{PREFIX}{resource}?{params}>; rel="{rel}"'

        if page > 1 and pages:
            links.append(link(min(page - 1, pages), "prev"))
        if page < pages:
            links.append(link(page + 1, "next"))
        if links:
            headers["Link"] = ", ".join(links)
        rendered = [self._with_links(render(i)) if resource == "orders" else render(i)
                    for i in chosen]
        return self._json(rendered, headers)

    # -- rendering ----------------------------------------------------------------------
    def _with_links(self, order: dict[str, Any]) -> dict[str, Any]:
        links: dict[str, Any] = {
            "self": [{"href": f"{self.url}{PREFIX}orders/{order['id']}"}],
            "collection": [{"href": f"{self.url}{PREFIX}orders"}],
        }
        if order["customer_id"]:
            links["customer"] = [{"href": f"{self.url}{PREFIX}customers/{order['customer_id']}"}]
        return {**order, "_links": links}

    @staticmethod
    def _json(document: Any, headers: dict[str, str] | None = None) -> Reply:
        return Reply(200, _encode(document),
                     {"Content-Type": "application/json; charset=UTF-8", **(headers or {})})

    # -- CLI ------------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        return [
            f"read key: {DEMO_KEY}   secret: {DEMO_SECRET}   (demo credentials of this "
            "simulator only)",
            f"orders: {len(self.shop.orders)}; Basic auth or ?consumer_key=…&consumer_secret=…",
            f"try: curl -u {DEMO_KEY}:{DEMO_SECRET} '{self.url}{PREFIX}orders?per_page=2'",
        ]


def cli_simulator(*, port: int, latency: float, faults: Faults) -> WooCommerceSimulator:
    """`mapper simulate woocommerce`: the demo shop plus 200 generated orders."""
    shop = demo_shop().merge(generated_shop(200, seed=1))
    return WooCommerceSimulator(shop, port=port, latency=latency, faults=faults)


__all__ = [
    "DEMO_KEY", "DEMO_SECRET", "DEMO_WRITE_KEY", "DEMO_WRITE_SECRET", "ApiKey",
    "WooCommerceSimulator", "cli_simulator",
]
