"""Reading orders from the WooCommerce REST API v3 (`{site}/wp-json/wc/v3`).

`WooCommerceClient` lists the orders modified in a time window (`modified_after` /
`modified_before` with `dates_are_gmt=true`, oldest id first), page by page until
`X-WP-TotalPages`, and yields one *fetched order document* per order:
`{"order": <GET orders/{id}>, "tax_rates": [<GET taxes/{rate_id}>, …]}` — the API's own objects
verbatim (JSON numbers become `Decimal`). `tax_rates` holds the rates of the order's
`tax_lines` that carry no `rate_percent` (WooCommerce before 3.7 / 5.x leaves it out), so the
rules always find a line's VAT percentage; it is empty for current shops.

Refunds become *credit documents* (DESIGN.md, "Credit documents"): the order's document plus
`"refund"`, the refund as `GET orders/{id}/refunds/{rid}` gives it. The API has no list of
refunds across orders and no refund modification date (a refund is never edited, only
deleted), so the refunds made in a window are found through their orders: a refund saves its
order, so the orders modified since the window's start (`modified_after`, no upper bound: an
order modified again later still counts), those whose `refunds[]` summary is not empty, then
their refunds whose `date_created_gmt` lies in the window. A refund is addressed under its
order only (`orders/{id}/refunds/{rid}`), so its ledger id carries both ids.

Authentication is the consumer key and secret: HTTP Basic (default) or the query parameters
`consumer_key`/`consumer_secret` (`auth="query"`, for servers that strip `Authorization`).
WooCommerce only reads them over HTTPS; over plain HTTP it wants OAuth 1.0a, which this client
does not speak, so plain HTTP is refused except on loopback (the simulator).

WooCommerce has no rate limit of its own; a host's 429 makes the client wait (Retry-After, else
a minute) and go on. 5xx answers, timeouts and broken connections are retried with the given
`RetryPolicy`. All waiting goes through the policy's `sleep`. Only GETs are sent, except the
empty `POST orders/batch` of `write_access()` (it asks nothing to change).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    TransientError,
)
from ..http import HttpClient, json_answer, status_error, tls_context
from ..retry import RetryPolicy, call_with_retry

SYSTEM = "woocommerce"
API_PATH = "/wp-json/wc/v3/"
MAX_PER_PAGE = 100
FALLBACK_429_WAIT = 60.0
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

log = logging.getLogger(__name__)

FetchedOrder = dict[str, Any]


class WooCommerceClient(HttpClient):
    """A read-only client of one WooCommerce shop.

    `site` is the WordPress address (`https://shop.example.nl`); `max_rate_limit_waits` 429s
    in a row on one request raise RateLimitedError; `requests_made` counts HTTP requests.
    """

    def __init__(
        self,
        site: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        auth: str = "basic",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_rate_limit_waits: int = 10,
    ) -> None:
        self.site = site.rstrip("/")
        parts = urlsplit(self.site)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"woocommerce: url must be the shop's https:// address, "
                                     f"not {self.site!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise ConfigurationError(
                "woocommerce: the shop's url must use https: WooCommerce accepts consumer keys "
                "over plain HTTP only with OAuth 1.0a signatures, which mapper does not send"
            )
        if auth not in ("basic", "query"):
            raise ConfigurationError(f"woocommerce: auth must be basic or query, not {auth!r}")
        self.requests_made = 0
        self.rate_limit_waits: list[float] = []
        self._retry = retry or RetryPolicy()
        self._max_rate_limit_waits = max_rate_limit_waits
        self._tax_rates: dict[int, dict[str, Any]] = {}
        # The secret lives only inside httpx's auth object or default params, never on self.
        credentials: dict[str, Any] = (
            {"auth": httpx.BasicAuth(consumer_key, consumer_secret)} if auth == "basic"
            else {"params": {"consumer_key": consumer_key, "consumer_secret": consumer_secret}}
        )
        self._http = httpx.Client(
            base_url=self.site + API_PATH,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json"},
            verify=tls_context(),
            **credentials,
        )

    def __repr__(self) -> str:
        return f"WooCommerceClient(site={self.site!r}, requests_made={self.requests_made})"

    # -- public API ---------------------------------------------------------------------
    def count_orders(self) -> int:
        """How many orders the shop holds (`X-WP-Total` of a one-order page)."""
        response = self._get("orders", {"per_page": 1, "_fields": "id"})
        return _header_int(response, "X-WP-Total")

    def write_access(self) -> bool:
        """Whether the key may write: an empty `POST orders/batch` (it creates, changes and
        deletes nothing) is refused for a read-only key with "does not have write
        permissions"."""
        try:
            self._request("POST", "orders/batch", None, body={})
        except AuthenticationError as error:
            if "write permission" in error.message:
                return False
            raise
        return True

    def iter_orders_modified(
        self,
        after: datetime | None,
        before: datetime | None = None,
        *,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[FetchedOrder]:
        """Documents of the orders modified in [after, before], oldest id first.

        WordPress's date filters are exclusive and count whole seconds, so the window is
        widened by a second on each side; a naive datetime is taken as UTC.
        """
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        params: dict[str, Any] = {"dates_are_gmt": "true", "orderby": "id", "order": "asc",
                                  "per_page": per_page}
        if after is not None:
            params["modified_after"] = _gmt(after - timedelta(seconds=1))
        if before is not None:
            params["modified_before"] = _gmt(before + timedelta(seconds=1))
        yield from self._documents(self._pages("orders", params))

    def fetch_orders(self, ids: Iterable[int | str]) -> Iterator[FetchedOrder]:
        """Documents of the given order ids, 100 at a time (`include=`); ids the shop does not
        have (deleted, in the trash) are left out."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        for start in range(0, len(wanted), MAX_PER_PAGE):
            batch = wanted[start: start + MAX_PER_PAGE]
            params = {"include": ",".join(map(str, batch)), "per_page": len(batch),
                      "orderby": "include", "order": "asc"}
            yield from self._documents(self._pages("orders", params))

    def refunds(self, order_id: int | str) -> list[dict[str, Any]]:
        """`GET orders/{id}/refunds`: the order's refunds, newest first."""
        return list(self._pages(f"orders/{int(order_id)}/refunds", {"per_page": MAX_PER_PAGE}))

    def iter_refunds_created(
        self, after: datetime, before: datetime, *, per_page: int = MAX_PER_PAGE
    ) -> Iterator[FetchedOrder]:
        """Credit documents of the refunds created in [after, before] (whole seconds), found
        through the orders modified since `after` (see the module's docstring)."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        low = _gmt(after - timedelta(seconds=1))
        high = _gmt(before + timedelta(seconds=1))
        params: dict[str, Any] = {"dates_are_gmt": "true", "orderby": "id", "order": "asc",
                                  "per_page": per_page, "modified_after": low}
        refunded = (o for o in self._pages("orders", params) if _has_refunds(o))
        for document in self._documents(refunded):
            order = document["order"]
            for refund in reversed(self.refunds(order["id"])):  # oldest first
                created = str(refund.get("date_created_gmt") or "")
                if low < created < high:
                    yield {**document, "refund": refund}

    def fetch_refunds(self, ids: Iterable[tuple[int, int]]) -> Iterator[FetchedOrder]:
        """Credit documents of the given (order id, refund id) pairs; a pair the shop does not
        have (order or refund deleted) is skipped."""
        pairs = list(dict.fromkeys((int(o), int(r)) for o, r in ids))
        documents = {int(d["order"]["id"]): d for d in self.fetch_orders(o for o, _ in pairs)}
        for order_id, refund_id in pairs:
            document = documents.get(order_id)
            if document is None:
                log.warning("woocommerce: refund %s: order %s not found; skipped",
                            refund_id, order_id)
                continue
            try:
                refund = self._get_json(f"orders/{order_id}/refunds/{refund_id}")
            except NotFoundError:
                log.warning("woocommerce: refund %s of order %s not found; skipped",
                            refund_id, order_id)
                continue
            if not isinstance(refund, dict) or "id" not in refund:
                raise ProtocolError(SYSTEM, f"orders/{order_id}/refunds/{refund_id}: not a refund")
            yield {**document, "refund": refund}

    def tax_rate(self, rate_id: int) -> dict[str, Any]:
        """`GET taxes/{id}`, once per client."""
        if rate_id not in self._tax_rates:
            rate = self._get_json(f"taxes/{rate_id}")
            if not isinstance(rate, dict):
                raise ProtocolError(SYSTEM, f"taxes/{rate_id}: not an object")
            self._tax_rates[rate_id] = rate
        return self._tax_rates[rate_id]

    # -- documents ----------------------------------------------------------------------
    def _documents(self, orders: Iterable[Any]) -> Iterator[FetchedOrder]:
        for order in orders:
            if not isinstance(order, dict) or "id" not in order:
                raise ProtocolError(SYSTEM, "orders: an order without an id")
            yield {"order": order, "tax_rates": self._missing_rates(order)}

    def _missing_rates(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        ids = [
            line["rate_id"] for line in order.get("tax_lines") or []
            if isinstance(line, dict) and "rate_percent" not in line and "rate_id" in line
        ]
        rates = []
        for rate_id in dict.fromkeys(ids):
            try:
                rates.append(self.tax_rate(int(rate_id)))
            except NotFoundError:
                log.warning("woocommerce: tax rate %s no longer exists", rate_id)
        return rates

    def _pages(self, resource: str, params: dict[str, Any]) -> Iterator[Any]:
        """Every item of a list resource, page after page until `X-WP-TotalPages` (or an
        empty page, should a proxy drop the header)."""
        page = 1
        while True:
            response = self._get(resource, {**params, "page": page})
            items = _decode(response, resource)
            if not isinstance(items, list):
                raise ProtocolError(SYSTEM, f"{resource}: expected a list")
            yield from items
            pages = response.headers.get("X-WP-TotalPages")
            last = int(pages) if pages and pages.isdigit() else None
            if not items or (last is not None and page >= last):
                return
            page += 1

    # -- HTTP ---------------------------------------------------------------------------
    def _get_json(self, resource: str, params: dict[str, Any] | None = None) -> Any:
        return _decode(self._get(resource, params), resource)

    def _get(self, resource: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return self._request("GET", resource, params)

    def _request(
        self, method: str, resource: str, params: dict[str, Any] | None,
        body: Any = None,
    ) -> httpx.Response:
        def attempt() -> httpx.Response:
            waits = 0
            while True:
                response = self._send(method, resource, params, body)
                if response.status_code != 429:
                    _raise_for_status(response, resource)
                    return response
                waits += 1
                if waits > self._max_rate_limit_waits:
                    raise RateLimitedError(SYSTEM, f"{resource}: still rate limited after "
                                           f"{self._max_rate_limit_waits} waits")
                wait = _retry_after(response)
                log.info("woocommerce: HTTP 429, waiting %.1fs", wait)
                self.rate_limit_waits.append(wait)
                self._retry.sleep(wait)

        return call_with_retry(attempt, self._retry)

    def _send(
        self, method: str, resource: str, params: dict[str, Any] | None, body: Any
    ) -> httpx.Response:
        self.requests_made += 1
        try:
            response = self._http.request(
                method, resource, params=params, json=body if method != "GET" else None
            )
        except httpx.TimeoutException as error:
            raise TransientError(SYSTEM, f"{resource}: timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{resource}: connection failed: {error}") from None
        log.debug("woocommerce %s %s -> %s", method, resource, response.status_code)
        return response


# -- helpers ---------------------------------------------------------------------------------
def _has_refunds(order: Any) -> bool:
    """Whether an order's `refunds[]` summary names a refund (a deleted one shows as id 0)."""
    refunds = order.get("refunds") if isinstance(order, dict) else None
    return isinstance(refunds, list) and any(
        isinstance(r, dict) and r.get("id") for r in refunds
    )


def _gmt(moment: datetime) -> str:
    """A filter value for `dates_are_gmt=true`: naive UTC, whole seconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _header_int(response: httpx.Response, name: str) -> int:
    value = response.headers.get(name, "")
    if not value.isdigit():
        raise ProtocolError(SYSTEM, f"the answer has no {name} header")
    return int(value)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return FALLBACK_429_WAIT


def _raise_for_status(response: httpx.Response, resource: str) -> None:
    status = response.status_code
    if status < 400:
        return
    code, text = _error_parts(response)
    message = f"{resource}: HTTP {status}: {text}" + (f" ({code})" if code else "")
    raise status_error(SYSTEM, status, message, refused="consumer key/secret refused")


def _error_parts(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of `{"code", "message", "data"}`; a host's HTML page (WAF, proxy) is
    named by its status only — its text is not ours to show."""
    if "json" not in response.headers.get("Content-Type", ""):
        return "", response.reason_phrase or "not a WooCommerce answer"
    try:
        body = response.json()
    except ValueError:
        return "", response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body.get("code") or ""), _plain(body["message"])[:200]
    return "", json.dumps(body)[:200]


def _plain(text: str) -> str:
    """WordPress puts HTML in some messages (`<p>There has been a critical error…</p>`)."""
    out, inside = [], False
    for char in text:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif not inside:
            out.append(char)
    return "".join(out).strip()


def _decode(response: httpx.Response, resource: str) -> Any:
    return json_answer(response, SYSTEM, f"{resource}: not JSON (a host's page?)", shown=60)
