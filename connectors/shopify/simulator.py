"""A local Shopify Admin REST API: the resources a sync reads.

Serves `GET /admin/api/{version}/orders.json` (filters `status` — default `open` —,
`updated_at_min|max`, `created_at_min|max`, `ids`, `since_id`, `fields`, `limit` 1–250,
cursor paging with `page_info` and the lower-case `link` header, absent on the only page),
`orders/{id}.json`, `orders/count.json`, an order's refunds (`orders/{id}/refunds.json`,
`orders/{id}/refunds/{refund_id}.json`; every order also carries them in `refunds[]`) and
`GET /admin/oauth/access_scopes.json`. `refund()` refunds as the shop's admin does: lines,
shipping or an amount (simulator_data.build_refund); the order's `updated_at` moves.

Authentication: the `X-Shopify-Access-Token` header; an unknown token is 401, a token
without `read_orders` is 403. Errors are `{"errors": "…"}` (or `{"errors": {field: […]}}`).
Rate limit: a leaky bucket (40 calls, 2 leak out a second; `clock` is injectable so tests need
not wait) reported on every API answer in `X-Shopify-Shop-Api-Call-Limit: used/40`; a call
over the bucket is 429 with `Retry-After: 2.0`. Orders are listed by id, oldest first (the
order of a cursor walk is not documented; mapper does not depend on it).

Not verified against a live shop (no licensed capture exists, reference SOURCES.md): the
exact texts of 400/403 bodies and of the page_info misuse error.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ..simulation import Faults, Reply, Request, Simulator
from .simulator_data import ShopData, build_refund, demo_shop, generated_shop, stamp

DEMO_TOKEN = "shpat_demo0read000000000000000000000"
DEMO_WRITE_TOKEN = "shpat_demo0write00000000000000000000"
VERSIONS = ("2024-01", "2024-04", "2024-07", "2024-10", "2025-01")
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
BUCKET_SIZE = 40
LEAK_PER_SECOND = 2.0
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = ("Exceeded 2 calls per second for api client. Reduce request rates to resume "
             "uninterrupted service.")
FIRST_REFUND_ID = 912000001
PAGE_INFO_KEEPS = frozenset({"limit", "fields", "page_info"})


class _ApiError(Exception):
    def __init__(self, status: int, errors: object) -> None:
        super().__init__(str(errors))
        self.status, self.errors = status, errors


def _json_value(value: object) -> object:
    """Decimals as JSON numbers (`tax_lines[].rate` 0.21)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _encode(document: object) -> bytes:
    return json.dumps(document, default=_json_value, ensure_ascii=False).encode()


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, _encode(body),
                 {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def _moment(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise _ApiError(400, {name: ["is invalid"]}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class Bucket:
    """Shopify's leaky bucket: `size` calls, `leak` a second."""

    size: int = BUCKET_SIZE
    leak: float = LEAK_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    level: float = 0.0
    _last: float | None = field(default=None, repr=False)

    def take(self) -> bool:
        """One call in; False (and nothing added) when the bucket is full."""
        now = self.clock()
        if self._last is not None:
            self.level = max(0.0, self.level - (now - self._last) * self.leak)
        self._last = now
        if self.level + 1 > self.size:
            return False
        self.level += 1
        return True

    def header(self) -> str:
        return f"{int(round(self.level))}/{self.size}"


class ShopifySimulator(Simulator):
    """Shopify over real HTTP, seeded with a Dutch demo shop (or your own `ShopData`)."""

    name = "shopify"

    def __init__(
        self,
        shop: ShopData | None = None,
        *,
        tokens: dict[str, tuple[str, ...]] | None = None,
        bucket: Bucket | None = None,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.shop = shop if shop is not None else demo_shop()
        self.tokens = tokens if tokens is not None else {
            DEMO_TOKEN: ("read_orders", "read_all_orders", "read_customers"),
            DEMO_WRITE_TOKEN: ("read_orders", "write_orders", "read_all_orders"),
        }
        self.bucket = bucket or Bucket()
        self._lock = threading.RLock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, query

    def __repr__(self) -> str:
        return f"ShopifySimulator(orders={len(self.shop.orders)}, port={self.port})"


    # -- test helpers -------------------------------------------------------------------
    def set_financial_status(self, order_id: int, status: str, at: datetime | None = None) -> None:
        """Change an order's financial_status (a payment captured); `updated_at` moves."""
        moment = at or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            order = self.shop.orders[order_id]
            order["financial_status"] = status
            order["updated_at"] = stamp(moment)
            if status in ("paid", "partially_refunded"):
                order["total_outstanding"] = "0.00"

    def refund(
        self,
        order_id: int,
        quantities: dict[int, int] | None = None,
        *,
        shipping: bool = False,
        amount: Decimal | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Refund as the shop's admin does (Orders > the order > Refund): `quantities` of its
        lines (line item id → quantity), its shipping with `shipping`, and/or an `amount`
        beyond them. Returns the refund as `GET orders/{id}/refunds/{rid}.json` gives it;
        the order's `updated_at` becomes `at` (default now)."""
        moment = at or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            order = self.shop.orders[order_id]
            if order["financial_status"] not in ("paid", "partially_refunded"):
                raise ValueError(f"order {order_id} is {order['financial_status']}: only a paid "
                                 "order can be refunded")
            taken = [int(r["id"]) for o in self.shop.orders.values() for r in o["refunds"]]
            refund = build_refund(order, max([*taken, FIRST_REFUND_ID - 1]) + 1, moment,
                                  quantities or {}, shipping=shipping, amount=amount, note=note)
            self.shop.add_refund(order_id, refund, moment)
            wire: dict[str, Any] = json.loads(_encode(refund), parse_float=Decimal)
            return wire

    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        if kind == "429":
            return _json(429, {"errors": THROTTLED},
                         {"Retry-After": f"{self.faults.retry_after:.1f}",
                          "X-Shopify-Shop-Api-Call-Limit": f"{self.bucket.size}/{self.bucket.size}"})
        return _json(500, {"errors": "Internal Server Error"})

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append((request.method, request.path, dict(request.query)))
            try:
                scopes = self._authenticate(request)
                if not self.bucket.take():
                    return _json(429, {"errors": THROTTLED},
                                 {"Retry-After": "2.0",
                                  "X-Shopify-Shop-Api-Call-Limit": self.bucket.header()})
                reply = self._route(request, scopes)
            except _ApiError as error:
                reply = _json(error.status, {"errors": error.errors})
            reply.headers["X-Shopify-Shop-Api-Call-Limit"] = self.bucket.header()
            return reply

    def _authenticate(self, request: Request) -> tuple[str, ...]:
        token = request.headers.get("x-shopify-access-token", "")
        scopes = self.tokens.get(token)
        if scopes is None:
            raise _ApiError(401, INVALID_TOKEN)
        return scopes

    def _route(self, request: Request, scopes: tuple[str, ...]) -> Reply:
        if request.method != "GET":
            raise _ApiError(404, "Not Found")
        if request.path == "/admin/oauth/access_scopes.json":
            return _json(200, {"access_scopes": [{"handle": s} for s in scopes]})
        parts = request.path.strip("/").split("/")
        if len(parts) < 4 or parts[:2] != ["admin", "api"] or parts[2] not in VERSIONS:
            raise _ApiError(404, "Not Found")
        resource = "/".join(parts[3:])
        if not resource.startswith("orders"):
            raise _ApiError(404, "Not Found")
        if "read_orders" not in scopes:
            raise _ApiError(403, "[API] This action requires merchant approval for read_orders scope.")
        if resource == "orders.json":
            return self._list(request, parts[2])
        if resource == "orders/count.json":
            return _json(200, {"count": len(self._filtered(request.query))})
        path = resource.removeprefix("orders/").removesuffix(".json").split("/")
        if not path[0].isdigit() or int(path[0]) not in self.shop.orders:
            raise _ApiError(404, "Not Found")
        order = self.shop.orders[int(path[0])]
        if len(path) == 1:
            return _json(200, {"order": order})
        if path == [path[0], "refunds"]:
            return _json(200, {"refunds": order["refunds"]})
        if len(path) == 3 and path[1] == "refunds" and path[2].isdigit():
            for refund in order["refunds"]:
                if refund["id"] == int(path[2]):
                    return _json(200, {"refund": refund})
        raise _ApiError(404, "Not Found")

    # -- listing ------------------------------------------------------------------------
    def _filtered(self, query: dict[str, str]) -> list[dict[str, Any]]:
        status = query.get("status", "open")
        if status not in ("open", "closed", "cancelled", "any"):
            raise _ApiError(400, {"status": ["is invalid"]})
        bounds: dict[str, datetime] = {name: _moment(query[name], name) for name in
                  ("updated_at_min", "updated_at_max", "created_at_min", "created_at_max")
                  if name in query}
        ids = {int(i) for i in query.get("ids", "").split(",") if i.strip().isdigit()}
        since = int(query["since_id"]) if query.get("since_id", "").isdigit() else None
        found = []
        for order_id in sorted(self.shop.orders):
            order = self.shop.orders[order_id]
            if ids and order_id not in ids or since is not None and order_id <= since:
                continue
            if not _status_matches(order, status) or not _within(order, bounds):
                continue
            found.append(order)
        return found

    def _list(self, request: Request, version: str) -> Reply:
        query = dict(request.query)
        limit_text = query.get("limit", str(DEFAULT_LIMIT))
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            raise _ApiError(400, {"limit": [f"must be between 1 and {MAX_LIMIT}"]})
        limit = int(limit_text)
        start = 0
        if "page_info" in query:
            extra = sorted(set(query) - PAGE_INFO_KEEPS)
            if extra:
                raise _ApiError(400, {"page_info": [
                    f"cannot be combined with {', '.join(extra)}: only limit and fields may "
                    "accompany page_info"]})
            filters, start = _read_cursor(query["page_info"])
        else:
            filters = {k: v for k, v in query.items() if k not in PAGE_INFO_KEEPS}
        found = self._filtered(filters)
        page = found[start: start + limit]
        fields = [f for f in query.get("fields", "").split(",") if f]
        body = [{k: v for k, v in o.items() if k in fields} if fields else o for o in page]
        links = []
        base = f"https://{request.headers.get('host', 'localhost')}/admin/api/{version}/orders.json"
        if start + limit < len(found):
            links.append(_link(base, limit, query, _cursor(filters, start + limit), "next"))
        if start > 0:
            links.append(_link(base, limit, query, _cursor(filters, max(0, start - limit)),
                               "previous"))
        headers = {"link": ", ".join(links)} if links else {}
        return _json(200, {"orders": body}, headers)


def _status_matches(order: dict[str, Any], status: str) -> bool:
    if status == "any":
        return True
    if status == "cancelled":
        return order.get("cancelled_at") is not None
    if status == "closed":
        return order.get("closed_at") is not None
    return order.get("closed_at") is None and order.get("cancelled_at") is None


def _within(order: dict[str, Any], bounds: dict[str, datetime]) -> bool:
    for name, bound in bounds.items():
        moment = datetime.fromisoformat(order[name.rsplit("_", 1)[0]])
        if name.endswith("_min") and moment < bound or name.endswith("_max") and moment > bound:
            return False
    return True


def _cursor(filters: dict[str, str], start: int) -> str:
    raw = json.dumps({"f": filters, "s": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[dict[str, str], int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return dict(data["f"]), int(data["s"])
    except (ValueError, KeyError, TypeError):
        raise _ApiError(400, {"page_info": ["is invalid"]}) from None


def _link(base: str, limit: int, query: dict[str, str], cursor: str, rel: str) -> str:
    params = {"limit": limit, **({"fields": query["fields"]} if "fields" in query else {}),
              "page_info": cursor}
    return f'<{base}?{urlencode(params)}>; rel="{rel}"'


def cli_simulator(*, port: int, latency: float, faults: Faults) -> ShopifySimulator:
    """`mapper simulate shopify`: the demo shop plus 200 generated orders."""
    shop = demo_shop().merge(generated_shop(200, seed=1))
    return ShopifySimulator(shop, port=port, latency=latency, faults=faults)


__all__ = ["DEMO_TOKEN", "DEMO_WRITE_TOKEN", "Bucket", "ShopifySimulator", "cli_simulator"]
