"""A local Lightspeed eCom (C-Series, formerly SEOshop) API: the order resources a sync reads.

Serves `/{lang}/orders.json`, `/{lang}/orders/count.json`, `/{lang}/orders/{id}.json`,
`/{lang}/orders/{id}/products.json`, `/{lang}/customers/{id}.json`, the invoices (`invoices.json`
with the same window filters and `order=`, `invoices/count.json`, `invoices/{id}.json`,
`invoices/{id}/items.json`: an invoice per paid order, and the credit invoices —
`isCreditNote: true`, `invoice` linking the invoice it credits — that `add_credit_note` makes)
and `/{lang}/account/ratelimit.json` with HTTP basic auth (key:secret), responses wrapped in one key
as the real API does, `{"error": {"message", "code"}}` bodies on failure, and the rate-limit
headers `X-RateLimit-Limit|Remaining|Reset` as "5min/hour/day" triples. When the 5-minute budget
is spent it answers 429 until the window resets. Time comes from an injectable clock so tests can
move it forward instead of waiting.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..simulation import Faults, Reply, Request, Simulator
from .simulator_data import (
    FIRST_CREDIT_ID,
    LANGUAGES,
    SHOP_TIMEZONE,
    CreditNote,
    OrderLine,
    ShopData,
    build_credit_note,
    country_object,
    demo_shop,
    generated_shop,
    invoice_id_of,
    invoice_items,
    timestamp,
)

DEMO_KEY = "demo-lightspeed-key"
DEMO_SECRET = "demo-lightspeed-secret"
MAX_LIMIT = 250
DEFAULT_LIMIT = 50
WINDOWS = (300, 3600, 86400)  # seconds of the 5-minute, hour and day windows

_PATH = re.compile(r"^/(?P<lang>[a-z]{2})/(?P<resource>[a-z0-9/]+)\.json$")


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json_value(value: object) -> object:
    """JSON numbers the way PHP prints them: 7 for whole amounts, 6.2475 otherwise."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _encode(document: object) -> bytes:
    return json.dumps(document, default=_json_value, ensure_ascii=False).encode()


def _parse_moment(text: str) -> datetime:
    """`updated_at_min` & co.: ISO 8601 or "YYYY-MM-DD HH:MM:SS"; no offset = shop time."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        # A "+" in an unencoded query string arrives as a space.
        try:
            moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
        except ValueError:
            raise _ApiError(400, f"Invalid date format: {text}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHOP_TIMEZONE)


class RateLimiter:
    """Fixed 5-minute, hour and day windows, as the real headers describe them."""

    def __init__(self, limits: tuple[int, int, int], clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._used = [0, 0, 0]
        self._window = [-1, -1, -1]
        self._lock = threading.Lock()

    def _roll(self, now: float) -> None:
        for i, size in enumerate(WINDOWS):
            window = int(now // size)
            if window != self._window[i]:
                self._window[i], self._used[i] = window, 0

    def take(self) -> bool:
        """Spend one call; False (nothing spent) when a window's budget is gone."""
        with self._lock:
            self._roll(self._clock())
            if any(used >= limit for used, limit in zip(self._used, self.limits, strict=True)):
                return False
            self._used = [used + 1 for used in self._used]
            return True

    def state(self) -> list[tuple[int, int, int]]:
        """(limit, remaining, seconds until reset) per window."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            return [
                (limit, max(0, limit - used), max(1, math.ceil((n + 1) * size - now)))
                for limit, used, n, size in zip(
                    self.limits, self._used, self._window, WINDOWS, strict=True
                )
            ]

    def headers(self) -> dict[str, str]:
        state = self.state()
        return {
            "X-RateLimit-Limit": "/".join(str(s[0]) for s in state),
            "X-RateLimit-Remaining": "/".join(str(s[1]) for s in state),
            "X-RateLimit-Reset": "/".join(str(s[2]) for s in state),
        }


class LightspeedSimulator(Simulator):
    """Lightspeed eCom over real HTTP, seeded with a Dutch demo shop (or your own `ShopData`)."""

    name = "lightspeed"

    def __init__(
        self,
        shop: ShopData | None = None,
        *,
        api_key: str = DEMO_KEY,
        api_secret: str = DEMO_SECRET,
        rate_limits: tuple[int, int, int] = (1000, 12000, 288000),  # as the real example
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.shop = shop if shop is not None else demo_shop()
        self.rate = RateLimiter(rate_limits, clock)
        self._expected_auth = "Basic " + base64.b64encode(
            f"{api_key}:{api_secret}".encode()
        ).decode()
        self._lock = threading.RLock()
        self.paths_served: list[str] = []

    def __repr__(self) -> str:
        return f"LightspeedSimulator(orders={len(self.shop.orders)}, port={self.port})"


    # -- test helpers -------------------------------------------------------------------
    def set_order_status(
        self,
        order_id: int,
        status: str | None = None,
        *,
        payment_status: str | None = None,
        shipment_status: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Change an order as the shop owner would; its `updatedAt` moves to `at` (or now)."""
        with self._lock:
            fields = self.shop.orders[order_id].fields
            if status is not None:
                fields["status"] = status
            if payment_status is not None:
                fields["paymentStatus"] = payment_status
            if shipment_status is not None:
                fields["shipmentStatus"] = shipment_status
            fields["updatedAt"] = timestamp(at or datetime.now(UTC))

    def add_credit_note(
        self,
        order_id: int,
        quantities: dict[int, int],
        *,
        shipping: bool = False,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Credit the order as the shop owner does (Orders > order > Credit): `quantities` of
        its lines (order product id → quantity) and, with `shipping`, its shipment; the order's
        `updatedAt` moves too. Returns the credit invoice as `invoices/{id}.json` gives it."""
        with self._lock:
            order = self.shop.orders[order_id]
            credit_id = max(self.shop.credit_notes, default=FIRST_CREDIT_ID - 1) + 1
            number = f"INV9{credit_id - FIRST_CREDIT_ID + 1:04d}"
            credit = build_credit_note(
                order, credit_id, number, quantities, shipping=shipping,
                at=at or datetime.now(UTC),
            )
            self.shop.credit_notes[credit_id] = credit
            line_fields = {int(line.fields["id"]): line.fields for line in order.lines}
            for line_id, quantity in quantities.items():
                line_fields[line_id]["quantityRefunded"] += quantity
            order.fields["updatedAt"] = credit.fields["updatedAt"]
            return self._credit_invoice(credit, "nl")

    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        headers = {"Content-Type": "application/json", **self.rate.headers()}
        if kind == "429":
            headers["Retry-After"] = f"{self.faults.retry_after:g}"
            return Reply(429, _error_body(429, "Too many requests"), headers)
        return Reply(500, _error_body(500, "Internal server error"), headers)

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != self._expected_auth:
            return Reply(401, _error_body(401, "Unauthorized: invalid API key or secret"),
                         {"Content-Type": "application/json"})
        if not self.rate.take():
            headers = {"Content-Type": "application/json", **self.rate.headers()}
            return Reply(429, _error_body(429, "Too many requests, rate limit exceeded"), headers)
        headers = {"Content-Type": "application/json", **self.rate.headers()}
        with self._lock:
            self.paths_served.append(request.path)
        try:
            if request.method != "GET":
                raise _ApiError(405, f"Method {request.method} not allowed (read-only access)")
            match = _PATH.match(request.path)
            if match is None or match["lang"] not in LANGUAGES:
                raise _ApiError(404, "Not found")
            with self._lock:
                document = self._route(match["lang"], match["resource"], request.query)
        except _ApiError as error:
            return Reply(error.status, _error_body(error.status, error.message), headers)
        return Reply(200, _encode(document), headers)

    def _route(self, lang: str, resource: str, query: dict[str, str]) -> dict[str, Any]:
        parts = resource.split("/")
        if parts == ["orders"]:
            return {"orders": [self._order(o, lang) for o in self._page(query)]}
        if parts == ["orders", "count"]:
            return {"count": len(self._filtered(query))}
        if parts == ["account", "ratelimit"]:
            return {"accountRatelimit": self._ratelimit_document()}
        if len(parts) in (2, 3) and parts[0] == "orders" and parts[1].isdigit():
            order = self.shop.orders.get(int(parts[1]))
            if order is None:
                raise _ApiError(404, f"Order {parts[1]} not found")
            if len(parts) == 2:
                return {"order": self._order(order.id, lang, embed=True)}
            if parts[2] == "products":
                lines = _paged(list(order.lines), query)
                return {"orderProducts": [self._line(order.id, line, lang) for line in lines]}
        if parts[0] == "invoices":
            return self._route_invoices(lang, parts[1:], query)
        if len(parts) == 2 and parts[0] == "customers" and parts[1].isdigit():
            customer = self.shop.customers.get(int(parts[1]))
            if customer is None:
                raise _ApiError(404, f"Customer {parts[1]} not found")
            return {"customer": self._customer(customer, lang)}
        raise _ApiError(404, "Not found")

    def _route_invoices(
        self, lang: str, parts: list[str], query: dict[str, str]
    ) -> dict[str, Any]:
        invoices = self._all_invoices(lang)
        if not parts:
            return {"invoices": _paged(_within(invoices, query), query)}
        if parts == ["count"]:
            return {"count": len(_within(invoices, query))}
        if parts[0].isdigit() and len(parts) <= 2:
            found = [i for i in invoices if i["id"] == int(parts[0])]
            if not found:
                raise _ApiError(404, f"Invoice {parts[0]} not found")
            if len(parts) == 1:
                return {"invoice": found[0]}
            if parts[1] == "items":
                return {"invoiceItems": _paged(self._items(int(parts[0])), query)}
        raise _ApiError(404, "Not found")

    def _all_invoices(self, lang: str) -> list[dict[str, Any]]:
        """Every invoice of the shop, oldest id first: the paid orders' and the credits."""
        invoices = [
            invoice for order_id in sorted(self.shop.orders)
            for invoice in self._order_invoices(order_id, lang)
        ]
        invoices += [
            self._credit_invoice(self.shop.credit_notes[i], lang)
            for i in sorted(self.shop.credit_notes)
        ]
        return invoices

    def _items(self, invoice_id: int) -> list[dict[str, Any]]:
        credit = self.shop.credit_notes.get(invoice_id)
        if credit is not None:
            return credit.items
        order_id = invoice_id - invoice_id_of(0)
        return invoice_items(self.shop.orders[order_id], invoice_id, None, shipping=True)

    # -- queries ------------------------------------------------------------------------
    def _filtered(self, query: dict[str, str]) -> list[int]:
        found = _within([self.shop.orders[i].fields for i in sorted(self.shop.orders)], query)
        return [int(fields["id"]) for fields in found]

    def _page(self, query: dict[str, str]) -> list[int]:
        return _paged(self._filtered(query), query)

    # -- rendering ----------------------------------------------------------------------
    def _link(self, lang: str, url: str, resource_id: int | bool = False) -> dict[str, Any]:
        path, _, params = url.partition("?")
        link = f"{self.url}/{lang}/{path}.json" + (f"?{params}" if params else "")
        return {"resource": {"id": resource_id, "url": url, "link": link}}

    def _order(self, order_id: int, lang: str, *, embed: bool = False) -> dict[str, Any]:
        order = self.shop.orders[order_id]
        document = dict(order.fields)
        for key in ("addressBillingCountry", "addressShippingCountry"):
            document[key] = country_object(document[key]["code"], lang)
        cid = order.customer_id
        links = {
            "customer": self._link(lang, f"customers/{cid}", cid),
            "invoices": self._link(lang, f"invoices?order={order_id}"),
            "shipments": self._link(lang, f"shipments?order={order_id}"),
            "products": self._link(lang, f"orders/{order_id}/products"),
            "metafields": self._link(lang, f"orders/{order_id}/metafields"),
            "quote": self._link(lang, f"quotes/{order_id + 5000000}", order_id + 5000000),
            "events": self._link(lang, f"orders/events?order={order_id}"),
        }
        if embed:
            # Single-order GETs embed the related resources, as the real API does.
            customer = self.shop.customers.get(cid)
            links["customer"]["resource"]["embedded"] = (
                self._customer(customer, lang) if customer else False
            )
            links["invoices"]["resource"]["embedded"] = self._invoices(order_id, lang)
            links["shipments"]["resource"]["embedded"] = []
            links["products"]["resource"]["embedded"] = [
                self._line(order_id, line, lang) for line in order.lines
            ]
            links["metafields"]["resource"]["embedded"] = []
            links["events"]["resource"]["embedded"] = []
        document.update(links)
        return document

    def _invoices(self, order_id: int, lang: str) -> list[dict[str, Any]]:
        """The order's invoices as its `invoices` link embeds them: its own and its credits."""
        credits = [
            self._credit_invoice(credit, lang)
            for _, credit in sorted(self.shop.credit_notes.items()) if credit.order_id == order_id
        ]
        return self._order_invoices(order_id, lang) + credits

    def _credit_invoice(self, credit: CreditNote, lang: str) -> dict[str, Any]:
        document = dict(credit.fields)
        document.update({
            "invoice": self._link(lang, f"invoices/{credit.original_invoice_id}",
                                  credit.original_invoice_id),
            "order": self._link(lang, f"orders/{credit.order_id}", credit.order_id),
            "customer": self._link(lang, f"customers/{credit.customer_id}", credit.customer_id),
            "items": self._link(lang, f"invoices/{credit.id}/items"),
            "metafields": self._link(lang, f"invoices/{credit.id}/metafields"),
            "events": self._link(lang, f"orders/events?invoice={credit.id}"),
        })
        return document

    def _order_invoices(self, order_id: int, lang: str) -> list[dict[str, Any]]:
        fields = self.shop.orders[order_id].fields
        if fields["paymentStatus"] != "paid":
            return []
        invoice_id = invoice_id_of(order_id)
        return [{
            "id": invoice_id,
            "createdAt": fields["createdAt"],
            "updatedAt": fields["updatedAt"],
            "number": "INV" + fields["number"][3:],
            "status": "paid",
            "isVatShifted": fields["taxRates"][0]["rate"] == 0 if fields["taxRates"] else False,
            "priceExcl": fields["priceExcl"],
            "priceIncl": fields["priceIncl"],
            "doNotifyNew": False,
            "doNotifyPaid": False,
            "invoice": False,
            "isCreditNote": False,
            "creditNote": False,
            "order": self._link(lang, f"orders/{order_id}", order_id),
            "customer": self._link(lang, f"customers/{self.shop.orders[order_id].customer_id}",
                                   self.shop.orders[order_id].customer_id),
            "items": self._link(lang, f"invoices/{invoice_id}/items"),
        }]

    def _line(self, order_id: int, line: OrderLine, lang: str) -> dict[str, Any]:
        document = dict(line.fields)
        document["product"] = self._link(lang, f"products/{line.product_id}", line.product_id)
        document["variant"] = self._link(lang, f"variants/{line.variant_id}", line.variant_id)
        return document

    def _customer(self, customer: dict[str, Any], lang: str) -> dict[str, Any]:
        document = dict(customer)
        for key in ("addressBillingCountry", "addressShippingCountry"):
            document[key] = country_object(document[key]["code"], lang)
        cid = customer["id"]
        document.update({
            "groups": self._link(lang, f"groups/customers?customer={cid}"),
            "invoices": self._link(lang, f"invoices?customer={cid}"),
            "orders": self._link(lang, f"orders?customer={cid}"),
            "reviews": self._link(lang, f"reviews?customer={cid}"),
            "shipments": self._link(lang, f"shipments?customer={cid}"),
            "tickets": self._link(lang, f"tickets?customer={cid}"),
            "metafields": self._link(lang, f"customers/{cid}/metafields"),
            "login": self._link(lang, f"customers/{cid}/login"),
        })
        return document

    def _ratelimit_document(self) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0)
        names = ("limit5Min", "limitHour", "limitDay")
        return {
            name: {
                "limit": limit,
                "remaining": remaining,
                "reset": reset,
                "resetTime": (now + timedelta(seconds=reset)).isoformat(),
            }
            for name, (limit, remaining, reset) in zip(names, self.rate.state(), strict=True)
        }

    # -- CLI ------------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        return [
            f"API key: {DEMO_KEY}   API secret: {DEMO_SECRET}   "
            f"(demo credentials of this simulator only)",
            f"orders: {len(self.shop.orders)}, customers: {len(self.shop.customers)}, "
            f"rate limit {'/'.join(map(str, self.rate.limits))} per 5min/hour/day",
            f"try: curl -u {DEMO_KEY}:{DEMO_SECRET} '{self.url}/nl/orders.json?limit=2'",
        ]


def _within(objects: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """The objects (orders or invoices) the list filters keep: the `updated_at_*` and
    `created_at_*` windows (inclusive), `since_id`, and for invoices `order`."""
    bounds = {
        key: _parse_moment(query[key])
        for key in ("updated_at_min", "updated_at_max", "created_at_min", "created_at_max")
        if query.get(key)
    }
    since_id = int(query["since_id"]) if query.get("since_id", "").isdigit() else 0
    order = int(query["order"]) if query.get("order", "").isdigit() else None
    kept = []
    for fields in objects:
        updated = datetime.fromisoformat(fields["updatedAt"])
        created = datetime.fromisoformat(fields["createdAt"])
        if int(fields["id"]) <= since_id:
            continue
        if order is not None and _resource_id(fields.get("order")) != order:
            continue
        if "updated_at_min" in bounds and updated < bounds["updated_at_min"]:
            continue
        if "updated_at_max" in bounds and updated > bounds["updated_at_max"]:
            continue
        if "created_at_min" in bounds and created < bounds["created_at_min"]:
            continue
        if "created_at_max" in bounds and created > bounds["created_at_max"]:
            continue
        kept.append(fields)
    return kept


def _resource_id(link: Any) -> int | None:
    resource = link.get("resource") if isinstance(link, dict) else None
    value = resource.get("id") if isinstance(resource, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _paged(items: list[Any], query: dict[str, str]) -> list[Any]:
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
        page = int(query.get("page", 1))
    except ValueError:
        raise _ApiError(400, "Invalid value for limit or page") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _ApiError(400, f"Invalid limit {limit}: must be between 1 and {MAX_LIMIT}")
    if page < 1:
        raise _ApiError(400, f"Invalid page {page}: pages start at 1")
    return items[(page - 1) * limit: page * limit]


def _error_body(code: int, message: str) -> bytes:
    return _encode({"error": {"message": message, "code": code}})


def cli_simulator(*, port: int, latency: float, faults: Faults) -> LightspeedSimulator:
    """`mapper simulate lightspeed`: the demo shop plus 200 generated orders."""
    shop = demo_shop().merge(generated_shop(200, seed=1))
    return LightspeedSimulator(shop, port=port, latency=latency, faults=faults)


__all__ = ["DEMO_KEY", "DEMO_SECRET", "LightspeedSimulator", "cli_simulator"]
