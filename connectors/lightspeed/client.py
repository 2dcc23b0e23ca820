"""Reading orders from the Lightspeed eCom (C-Series, formerly SEOshop) REST API.

`LightspeedClient` lists orders changed in a time window, page by page, and yields one *fetched
order document* per order: `{"order": {...}, "products": [...], "customer": {...}}`, the API's own
objects verbatim (JSON floats become `Decimal`, `false` stays `False`). It only ever sends GETs.

Credit invoices (invoices with `isCreditNote: true`) become *credit documents* (DESIGN.md,
"Credit documents"): the credited order's document plus `"invoice"` (GET invoices/{id}.json's
"invoice") and `"invoiceItems"` (GET invoices/{id}/items.json's "invoiceItems"), verbatim.

It keeps to the shop's rate limits: the `X-RateLimit-Remaining/Reset` headers ("5min/hour/day")
tell it to wait for the window to reset before the next call once a budget is spent, and a 429
makes it wait (Retry-After, else the reset header) and go on. 5xx answers, timeouts and broken
connections are retried with the given `RetryPolicy`. All waiting goes through the policy's
`sleep`, so tests pass one that does not wait.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import httpx

from ..errors import (
    NotFoundError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    TransientError,
)
from ..http import HttpClient, json_answer, status_error, tls_context
from ..retry import RetryPolicy, call_with_retry

SYSTEM = "lightspeed"
DEFAULT_BASE_URL = "https://api.webshopapp.com"  # the EU cluster ("live"/eu1)
MAX_PAGE_SIZE = 250
# Reset headers count whole seconds; a little slack keeps us from arriving a moment too early.
RESET_MARGIN = 1.0
FALLBACK_429_WAIT = 60.0

log = logging.getLogger(__name__)

FetchedOrder = dict[str, Any]


class LightspeedClient(HttpClient):
    """A read-only client of one shop's Lightspeed eCom API (basic auth key:secret).

    `base_url` is the cluster (`DEFAULT_BASE_URL` for EU shops); `clock` measures how long a
    rate-limit pause still has to run; a pause longer than `max_wait` seconds (a spent hour or
    day budget) raises QuotaExceededError instead; `max_rate_limit_waits` 429s in a row on one
    request raise RateLimitedError. `requests_made` counts HTTP requests sent.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        language: str = "nl",
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_wait: float = 3600.0,
        max_rate_limit_waits: int = 10,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.language = language
        self.requests_made = 0
        self.rate_limit_waits: list[float] = []
        self.last_rate_limit: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        self._retry = retry or RetryPolicy()
        self._sleep = self._retry.sleep
        self._clock = clock
        self._max_wait = max_wait
        self._max_rate_limit_waits = max_rate_limit_waits
        self._resume_at: float | None = None
        # The secret lives only inside httpx's auth object, never on this instance.
        self._http = httpx.Client(
            auth=httpx.BasicAuth(api_key, api_secret),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json"},
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return (
            f"LightspeedClient(base_url={self.base_url!r}, language={self.language!r}, "
            f"requests_made={self.requests_made})"
        )

    # -- public API ---------------------------------------------------------------------
    def count_orders(
        self, updated_min: datetime | str | None = None, updated_max: datetime | str | None = None
    ) -> int:
        """How many orders changed in [updated_min, updated_max] (`orders/count.json`)."""
        document = self._get("orders/count", _window(updated_min, updated_max))
        count = _unwrap(document, "count")
        if not isinstance(count, int):
            raise ProtocolError(SYSTEM, f"orders/count: 'count' is not a number: {count!r}")
        return count

    def iter_orders_changed(
        self,
        updated_min: datetime | str | None,
        updated_max: datetime | str | None = None,
        *,
        limit: int = MAX_PAGE_SIZE,
    ) -> Iterator[FetchedOrder]:
        """Fetched order documents of the orders changed in the window, streamed page by page.

        Each listed order is read again by its single-order GET, which embeds its products
        and customer (`fetch_orders`): one request an order, where the list's own objects
        (which embed nothing) would need one for the products and one for each customer. An
        order deleted between the list and its GET is left out, with a warning.

        Orders that change while the pass runs may leave the window and shift later pages;
        they are picked up by the next pass, whose window starts where this one ended.
        """
        customers: dict[int, dict[str, Any] | None] = {}
        for listed in self._changed("orders", updated_min, updated_max, limit):
            if not isinstance(listed, dict) or "id" not in listed:
                raise ProtocolError(SYSTEM, "an order without an id")
            try:
                document = self._order_document(listed["id"], customers)
            except NotFoundError:
                log.warning("lightspeed: order %s deleted while listing; skipped", listed["id"])
                continue
            yield document

    def fetch_orders(self, ids: Iterable[int | str]) -> Iterator[FetchedOrder]:
        """Fetched order documents of the given order ids: one request each.

        The single-order GET (`orders/{id}.json`) embeds the related resources in its links:
        the order's products and its customer are taken from there, not asked for again. The
        embedded copies are then dropped, so the document is the same as one from
        `iter_orders_changed`. A products list as long as a page (it may be cut short) or a
        link without `embedded` is read from its own resource.
        """
        customers: dict[int, dict[str, Any] | None] = {}
        for order_id in ids:
            yield self._order_document(order_id, customers)

    def _order_document(
        self, order_id: int | str, customers: dict[int, dict[str, Any] | None]
    ) -> FetchedOrder:
        """The document of one order, read by its single-order GET (`_embedded_document`)."""
        order = _unwrap(self._get(f"orders/{int(order_id)}"), "order")
        return self._embedded_document(order, customers)

    def _embedded_document(
        self, order: Any, customers: dict[int, dict[str, Any] | None]
    ) -> FetchedOrder:
        """The document of a single-order GET's answer, from what it embeds where it can."""
        if not isinstance(order, dict) or "id" not in order:
            raise ProtocolError(SYSTEM, "an order without an id")
        products = _embedded(order.get("products"))
        customer_id = _resource_id(order.get("customer"))
        customer = _embedded(order.get("customer"))
        if customer_id is not None and isinstance(customer, dict):
            customers.setdefault(customer_id, customer)
        elif customer_id is not None and customer is False:
            customers.setdefault(customer_id, None)  # embedded `false`: no such customer
        return self._document(_without_embedded(order), customers, products=(
            products if isinstance(products, list) and len(products) < MAX_PAGE_SIZE else None
        ))

    # -- credit invoices ----------------------------------------------------------------
    def iter_credit_invoices_changed(
        self,
        updated_min: datetime | str | None,
        updated_max: datetime | str | None = None,
        *,
        limit: int = MAX_PAGE_SIZE,
    ) -> Iterator[FetchedOrder]:
        """Credit documents of the credit invoices changed in the window: `invoices.json`
        takes the same `updated_at_min/max` filters as orders; the list holds every invoice,
        so the credit notes (`isCreditNote`) are picked out here."""
        customers: dict[int, dict[str, Any] | None] = {}
        for invoice in self._changed("invoices", updated_min, updated_max, limit):
            if _is_credit_note(invoice):
                credit = self._credit_document(invoice, customers)
                if credit is not None:
                    yield credit

    def _changed(
        self,
        resource: str,
        updated_min: datetime | str | None,
        updated_max: datetime | str | None,
        limit: int,
    ) -> Iterator[Any]:
        """The items of `resource` changed in the window, page by page (a short page is the
        last)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}")
        params = _window(updated_min, updated_max)
        page = 1
        while True:
            document = self._get(resource, {**params, "page": page, "limit": limit})
            items = _unwrap(document, resource)
            if not isinstance(items, list):
                raise ProtocolError(SYSTEM, f"{resource}: '{resource}' is not a list")
            yield from items
            if len(items) < limit:
                return
            page += 1

    def fetch_credit_invoices(self, ids: Iterable[int | str]) -> Iterator[FetchedOrder]:
        """Credit documents of the given credit invoice ids (`invoices/{id}.json` each); an
        id the shop does not have, or that is no credit note, is skipped."""
        customers: dict[int, dict[str, Any] | None] = {}
        for invoice_id in dict.fromkeys(int(i) for i in ids):
            try:
                invoice = _unwrap(self._get(f"invoices/{invoice_id}"), "invoice")
            except NotFoundError:
                log.warning("lightspeed: credit invoice %s not found; skipped", invoice_id)
                continue
            if not _is_credit_note(invoice):
                log.warning("lightspeed: invoice %s is not a credit note; skipped", invoice_id)
                continue
            credit = self._credit_document(_without_embedded(invoice), customers)
            if credit is not None:
                yield credit

    def _credit_document(
        self, invoice: dict[str, Any], customers: dict[int, dict[str, Any] | None]
    ) -> FetchedOrder | None:
        """The credited order's document plus the credit invoice and its items; None (with a
        warning) when the order is gone from the shop."""
        order_id = _resource_id(invoice.get("order"))
        if order_id is None:
            raise ProtocolError(SYSTEM, f"credit invoice {invoice.get('id')}: no order link")
        try:
            document = self._order_document(order_id, customers)
        except NotFoundError:
            log.warning("lightspeed: credit invoice %s: its order is not in the shop; skipped",
                        invoice.get("id"))
            return None
        items = self._paged_list(f"invoices/{invoice['id']}/items", "invoiceItems")
        return {**document, "invoice": invoice, "invoiceItems": items}

    # -- documents ----------------------------------------------------------------------
    def _document(
        self,
        order: Any,
        customers: dict[int, dict[str, Any] | None],
        products: list[dict[str, Any]] | None = None,
    ) -> FetchedOrder:
        if not isinstance(order, dict) or "id" not in order:
            raise ProtocolError(SYSTEM, "an order without an id")
        customer_id = _resource_id(order.get("customer"))
        customer = None
        if customer_id is not None:
            if customer_id not in customers:
                customers[customer_id] = self._customer(customer_id)
            customer = customers[customer_id]
        if products is None:
            products = self._products(order["id"])
        return {"order": order, "products": products, "customer": customer}

    def _products(self, order_id: int) -> list[dict[str, Any]]:
        products: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"page": page, "limit": MAX_PAGE_SIZE}
            batch = _unwrap(self._get(f"orders/{order_id}/products", params), "orderProducts")
            if not isinstance(batch, list):
                raise ProtocolError(SYSTEM, f"orders/{order_id}/products: not a list")
            products.extend(batch)
            if len(batch) < MAX_PAGE_SIZE:
                return products
            page += 1

    def _paged_list(self, resource: str, key: str) -> list[dict[str, Any]]:
        """Every object of a list resource wrapped in `key`, page by page."""
        objects: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = _unwrap(self._get(resource, {"page": page, "limit": MAX_PAGE_SIZE}), key)
            if not isinstance(batch, list):
                raise ProtocolError(SYSTEM, f"{resource}: not a list")
            objects.extend(batch)
            if len(batch) < MAX_PAGE_SIZE:
                return objects
            page += 1

    def _customer(self, customer_id: int) -> dict[str, Any] | None:
        try:
            customer = _unwrap(self._get(f"customers/{customer_id}"), "customer")
        except NotFoundError:
            # A customer deleted from the shop: the order still carries name and addresses.
            log.warning("lightspeed: customer %s not found; order kept without it", customer_id)
            return None
        if not isinstance(customer, dict):
            raise ProtocolError(SYSTEM, f"customers/{customer_id}: not an object")
        return customer

    # -- HTTP ---------------------------------------------------------------------------
    def _get(self, resource: str, params: dict[str, Any] | None = None) -> Any:
        return call_with_retry(lambda: self._get_within_limits(resource, params), self._retry)

    def _get_within_limits(self, resource: str, params: dict[str, Any] | None) -> Any:
        waits = 0
        while True:
            self._pause_if_spent()
            response = self._send(resource, params)
            self._note_rate_limit(response)
            if response.status_code != 429:
                return _decode(response, resource)
            waits += 1
            if waits > self._max_rate_limit_waits:
                raise RateLimitedError(SYSTEM, f"{resource}: still rate limited after "
                                       f"{self._max_rate_limit_waits} waits")
            self._wait(_wait_after_429(response), resource)

    def _send(self, resource: str, params: dict[str, Any] | None) -> httpx.Response:
        url = f"{self.base_url}/{self.language}/{resource}.json"
        self.requests_made += 1
        try:
            response = self._http.get(url, params=params)
        except httpx.TimeoutException as error:
            raise TransientError(
                SYSTEM, f"{resource}: timed out ({type(error).__name__})"
            ) from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{resource}: connection failed: {error}") from None
        log.debug("lightspeed GET %s -> %s", resource, response.status_code)
        return response

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = _triple(response.headers.get("X-RateLimit-Remaining"))
        reset = _triple(response.headers.get("X-RateLimit-Reset"))
        if remaining is None or reset is None:
            return
        self.last_rate_limit = (remaining, reset)
        spent = [r for left, r in zip(remaining, reset, strict=False) if left <= 0]
        if spent:
            self._resume_at = self._clock() + max(spent) + RESET_MARGIN

    def _pause_if_spent(self) -> None:
        if self._resume_at is None:
            return
        wait = self._resume_at - self._clock()
        self._resume_at = None
        if wait > 0:
            self._wait(wait, "rate limit budget spent")

    def _wait(self, seconds: float, reason: str) -> None:
        if seconds > self._max_wait + RESET_MARGIN:
            raise QuotaExceededError(
                SYSTEM, f"{reason}: the API asks to wait {seconds:.0f}s, more than the "
                f"{self._max_wait:.0f}s allowed; try again later"
            )
        log.info("lightspeed: waiting %.1fs (%s)", seconds, reason)
        self.rate_limit_waits.append(seconds)
        self._sleep(seconds)


# -- helpers ---------------------------------------------------------------------------------
def _moment(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M:%S")  # shop-local time, as the API reads it
    return value.isoformat(timespec="seconds")


def _window(low: datetime | str | None, high: datetime | str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if low is not None:
        params["updated_at_min"] = _moment(low)
    if high is not None:
        params["updated_at_max"] = _moment(high)
    return params


def _triple(header: str | None) -> tuple[int, ...] | None:
    """"300/3000/12000" → (300, 3000, 12000); anything else → None (headers are advisory)."""
    if not header:
        return None
    try:
        return tuple(int(part) for part in header.split("/"))
    except ValueError:
        return None


def _wait_after_429(response: httpx.Response) -> float:
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass  # an HTTP date: fall back to the reset header
    remaining = _triple(response.headers.get("X-RateLimit-Remaining"))
    reset = _triple(response.headers.get("X-RateLimit-Reset"))
    if reset:
        spent = [r for left, r in zip(remaining or (), reset, strict=False) if left <= 0]
        return float(max(spent) if spent else reset[0]) + RESET_MARGIN
    return FALLBACK_429_WAIT


def _decode(response: httpx.Response, resource: str) -> Any:
    status = response.status_code
    if status >= 400:
        message = f"{resource}: HTTP {status}: {_error_message(response)}"
        raise status_error(SYSTEM, status, message, refused="API key/secret refused")
    return json_answer(response, SYSTEM, f"{resource}: not JSON", shown=80)


def _error_message(response: httpx.Response) -> str:
    """The message of `{"error": {"message", "code"}}`, or the start of whatever came."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        code = error.get("code")
        return f"{error['message']}" + (f" (code {code})" if code not in (None, "") else "")
    return json.dumps(body)[:200]


def _unwrap(document: Any, key: str) -> Any:
    """The API wraps every answer in one key: {"order": {...}}, {"count": 3}."""
    if not isinstance(document, dict) or key not in document:
        raise ProtocolError(SYSTEM, f"expected an answer wrapped in {key!r}")
    return document[key]


def _resource_id(link: Any) -> int | None:
    """The id in a `{"resource": {"id": ...}}` link; `false` (no single resource) → None."""
    if not isinstance(link, dict) or not isinstance(link.get("resource"), dict):
        return None
    value = link["resource"].get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_credit_note(invoice: Any) -> bool:
    return isinstance(invoice, dict) and invoice.get("isCreditNote") is True and "id" in invoice


def _embedded(link: Any) -> Any:
    """What a link of a single-resource GET embeds; None when it embeds nothing."""
    if not isinstance(link, dict) or not isinstance(link.get("resource"), dict):
        return None
    return link["resource"].get("embedded")


def _without_embedded(order: dict[str, Any]) -> dict[str, Any]:
    result = dict(order)
    for key, value in order.items():
        resource = value.get("resource") if isinstance(value, dict) else None
        if isinstance(resource, dict) and "embedded" in resource:
            trimmed = {k: v for k, v in resource.items() if k != "embedded"}
            result[key] = {**value, "resource": trimmed}
    return result
