"""Reading orders from the Shopify Admin REST API (`{shop}/admin/api/{version}`).

`ShopifyClient` lists the orders updated in a time window (`orders.json` with `status=any`,
`updated_at_min` / `updated_at_max`, `limit` up to 250), page by page along the `Link` header's
`rel="next"` cursor (`page_info`: a follow-up request carries only `limit`, the filters live in
the cursor), and yields one *fetched order document* per order: `{"order": <the order>}` — the
API's own object verbatim (JSON numbers become `Decimal`).

Authentication is the Admin API access token (`shpat_…`) of a custom app, in the
`X-Shopify-Access-Token` header; it lives only in the httpx client's headers, never on `self`,
in a message or a log line. Plain HTTP is refused except on loopback (the simulator).

Rate limits: a leaky bucket (40 calls, 2 a second) reported in `X-Shopify-Shop-Api-Call-Limit`
("32/40"). When the bucket is nearly full the client waits for one call to leak out before the
next request; a 429 makes it wait `Retry-After` (float seconds; else 2 s) and go on. 5xx
answers, timeouts and broken connections are retried with the given `RetryPolicy`. All waiting
goes through the policy's `sleep`. Only GETs are sent.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from ..errors import (
    ConfigurationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    TransientError,
)
from ..http import HttpClient, json_answer, status_error, tls_context
from ..retry import RetryPolicy, call_with_retry

SYSTEM = "shopify"
API_VERSION = "2024-07"
MAX_LIMIT = 250
FALLBACK_429_WAIT = 2.0
LEAK_PER_SECOND = 2.0
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
READ_SCOPES = ("read_orders",)
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

log = logging.getLogger(__name__)

FetchedOrder = dict[str, Any]


class ShopifyClient(HttpClient):
    """A read-only client of one Shopify shop.

    `shop` is `https://{name}.myshopify.com` (or just `{name}.myshopify.com`); more than
    `max_rate_limit_waits` 429s in a row on one request raise RateLimitedError;
    `requests_made` counts HTTP requests, `rate_limit_waits` the seconds waited for the
    bucket, `call_limit` the last (used, size) the shop reported.
    """

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_rate_limit_waits: int = 10,
    ) -> None:
        site = shop.rstrip("/")
        if "://" not in site:
            site = "https://" + site
        parts = urlsplit(site)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"shopify: shop must be the shop's https:// address, "
                                     f"not {shop!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise ConfigurationError("shopify: the shop's address must use https")
        if not re.fullmatch(r"\d{4}-\d{2}", api_version):
            raise ConfigurationError(f"shopify: api_version must look like 2024-07, "
                                     f"not {api_version!r}")
        if not access_token:
            raise ConfigurationError("shopify: the access token is empty")
        self.site = site
        self.api_version = api_version
        self.requests_made = 0
        self.rate_limit_waits: list[float] = []
        self.call_limit: tuple[int, int] | None = None
        self._retry = retry or RetryPolicy()
        self._max_rate_limit_waits = max_rate_limit_waits
        # The token lives only in the httpx client's default headers, never on self.
        self._http = httpx.Client(
            base_url=site,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json", "X-Shopify-Access-Token": access_token},
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return f"ShopifyClient(site={self.site!r}, requests_made={self.requests_made})"

    # -- public API ---------------------------------------------------------------------
    def access_scopes(self) -> list[str]:
        """`GET /admin/oauth/access_scopes.json`: the scopes the token was granted."""
        body = _decode(self._get("/admin/oauth/access_scopes.json"), "access_scopes")
        scopes = body.get("access_scopes") if isinstance(body, dict) else None
        if not isinstance(scopes, list):
            raise ProtocolError(SYSTEM, "access_scopes: expected a list of scopes")
        return [str(s.get("handle")) for s in scopes if isinstance(s, dict)]

    def count_orders(self) -> int:
        """`GET orders/count.json?status=any`: how many orders the shop holds."""
        body = _decode(self._get(self._api("orders/count.json"), {"status": "any"}), "orders/count")
        if not isinstance(body, dict) or not isinstance(body.get("count"), int):
            raise ProtocolError(SYSTEM, "orders/count: no count in the answer")
        return int(body["count"])

    def iter_orders_updated(
        self, after: datetime | None, before: datetime | None = None, *, limit: int = MAX_LIMIT
    ) -> Iterator[FetchedOrder]:
        """Documents of every order (any status) updated in [after, before]; a naive datetime
        is taken as UTC. `status=any`: without it Shopify leaves closed and cancelled orders
        out."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        params: dict[str, Any] = {"status": "any", "limit": limit}
        if after is not None:
            params["updated_at_min"] = _iso(after)
        if before is not None:
            params["updated_at_max"] = _iso(before)
        yield from self._documents(self._pages(params))

    def fetch_orders(self, ids: Iterable[int | str]) -> Iterator[FetchedOrder]:
        """Documents of the given order ids, 250 at a time (`ids=`); ids the shop does not
        have (deleted) are left out."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        for start in range(0, len(wanted), MAX_LIMIT):
            batch = wanted[start: start + MAX_LIMIT]
            params = {"ids": ",".join(map(str, batch)), "status": "any", "limit": len(batch)}
            yield from self._documents(self._pages(params))

    def refunds(self, order_id: int | str) -> list[dict[str, Any]]:
        """`GET orders/{id}/refunds.json`: the order's refunds (at most 250, oldest first)."""
        resource = f"orders/{int(order_id)}/refunds"
        body = _decode(self._get(self._api(f"{resource}.json"), {"limit": MAX_LIMIT}), resource)
        refunds = body.get("refunds") if isinstance(body, dict) else None
        if not isinstance(refunds, list):
            raise ProtocolError(SYSTEM, f"{resource}: expected {{\"refunds\": [...]}}")
        return [r for r in refunds if isinstance(r, dict)]

    def iter_refunds_changed(
        self, after: datetime, before: datetime, *, limit: int = MAX_LIMIT
    ) -> Iterator[FetchedOrder]:
        """Credit documents of the refunds created in [after, before], found through the
        orders updated since `after` (see the module's docstring), oldest refund of an order
        first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        low = _aware(after).replace(microsecond=0) - timedelta(seconds=1)
        high = _aware(before).replace(microsecond=0) + timedelta(seconds=2)
        params: dict[str, Any] = {"status": "any", "limit": limit, "updated_at_min": _iso(low)}
        for document in self._documents(self._pages(params)):
            refunds = document["order"].get("refunds")
            if not isinstance(refunds, list):
                continue
            made = [(_created(r), r) for r in refunds if isinstance(r, dict) and "id" in r]
            for created, refund in sorted(made, key=lambda pair: (pair[0], pair[1]["id"])):
                if low <= created < high:
                    yield {**document, "refund": refund}

    def fetch_refunds(self, ids: Iterable[tuple[int, int]]) -> Iterator[FetchedOrder]:
        """Credit documents of the given (order id, refund id) pairs; a pair the shop does not
        have (order deleted, or no such refund of it) is skipped."""
        pairs = list(dict.fromkeys((int(o), int(r)) for o, r in ids))
        documents = {int(d["order"]["id"]): d for d in self.fetch_orders(o for o, _ in pairs)}
        for order_id, refund_id in pairs:
            document = documents.get(order_id)
            if document is None:
                log.warning("shopify: refund %s: order %s not found; skipped", refund_id, order_id)
                continue
            resource = f"orders/{order_id}/refunds/{refund_id}"
            try:
                body = _decode(self._get(self._api(f"{resource}.json")), resource)
            except NotFoundError:
                log.warning("shopify: refund %s of order %s not found; skipped",
                            refund_id, order_id)
                continue
            refund = body.get("refund") if isinstance(body, dict) else None
            if not isinstance(refund, dict) or "id" not in refund:
                raise ProtocolError(SYSTEM, f"{resource}: expected {{\"refund\": {{...}}}}")
            yield {**document, "refund": refund}

    # -- documents and pages ------------------------------------------------------------
    def _documents(self, orders: Iterable[Any]) -> Iterator[FetchedOrder]:
        for order in orders:
            if not isinstance(order, dict) or "id" not in order:
                raise ProtocolError(SYSTEM, "orders: an order without an id")
            yield {"order": order}

    def _pages(self, params: dict[str, Any]) -> Iterator[Any]:
        """Every order of a listing, following `Link: <…page_info=…>; rel="next"` until a page
        has none (the header is absent on the last or only page)."""
        query: dict[str, Any] = params
        while True:
            response = self._get(self._api("orders.json"), query)
            body = _decode(response, "orders")
            orders = body.get("orders") if isinstance(body, dict) else None
            if not isinstance(orders, list):
                raise ProtocolError(SYSTEM, "orders: expected {\"orders\": [...]}")
            yield from orders
            cursor = _next_page_info(response.headers.get("link", ""))
            if cursor is None or not orders:
                return
            query = {"limit": params["limit"], "page_info": cursor}

    def _api(self, resource: str) -> str:
        return f"/admin/api/{self.api_version}/{resource}"

    # -- HTTP ---------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        resource = path.rsplit("/admin/", 1)[-1].removeprefix(f"api/{self.api_version}/")

        def attempt() -> httpx.Response:
            waits = 0
            while True:
                self._pace()
                response = self._send(path, resource, params)
                self._note_call_limit(response)
                if response.status_code != 429:
                    _raise_for_status(response, resource)
                    return response
                waits += 1
                if waits > self._max_rate_limit_waits:
                    raise RateLimitedError(SYSTEM, f"{resource}: still rate limited after "
                                           f"{self._max_rate_limit_waits} waits")
                self._wait(_retry_after(response), "HTTP 429")
                self.call_limit = None  # Retry-After already covers the bucket's leak

        return call_with_retry(attempt, self._retry)

    def _pace(self) -> None:
        """Before a request: with the bucket one call from full, wait for a call to leak."""
        if self.call_limit is not None:
            used, size = self.call_limit
            if used >= size - 1:
                self._wait(1 / LEAK_PER_SECOND, f"call limit {used}/{size}")
                self.call_limit = (used - 1, size)

    def _wait(self, seconds: float, why: str) -> None:
        log.info("shopify: %s, waiting %.1fs", why, seconds)
        self.rate_limit_waits.append(seconds)
        self._retry.sleep(seconds)

    def _note_call_limit(self, response: httpx.Response) -> None:
        used, _, size = response.headers.get("X-Shopify-Shop-Api-Call-Limit", "").partition("/")
        if used.isdigit() and size.isdigit():
            self.call_limit = (int(used), int(size))

    def _send(self, path: str, resource: str, params: dict[str, Any] | None) -> httpx.Response:
        self.requests_made += 1
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as error:
            raise TransientError(SYSTEM, f"{resource}: timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{resource}: connection failed: {error}") from None
        log.debug("shopify GET %s -> %s", resource, response.status_code)
        return response


# -- helpers ---------------------------------------------------------------------------------
def _aware(moment: datetime) -> datetime:
    """A naive datetime taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _iso(moment: datetime) -> str:
    """A filter value: ISO 8601 with offset, whole seconds."""
    return _aware(moment).replace(microsecond=0).isoformat()


def _created(refund: dict[str, Any]) -> datetime:
    """A refund's `created_at` (ISO 8601 with the shop's offset)."""
    text = str(refund.get("created_at") or "")
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ProtocolError(SYSTEM, f"refund {refund.get('id')}: created_at {text!r} is not "
                            "a date") from None


def _next_page_info(link: str) -> str | None:
    """The `page_info` of the `rel="next"` URL of a `Link` header, or None."""
    for part in link.split(","):
        match = _NEXT.search(part)
        if match:
            cursor = dict(parse_qsl(urlsplit(match.group(1)).query)).get("page_info")
            if cursor:
                return cursor
    return None


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return FALLBACK_429_WAIT


def _raise_for_status(response: httpx.Response, resource: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{resource}: HTTP {status}: {_error_text(response)}"
    raise status_error(SYSTEM, status, message, refused="access token refused")


def _error_text(response: httpx.Response) -> str:
    """The text of `{"errors": "…"}` or `{"errors": {"field": ["…"]}}`; a proxy's HTML page is
    named by its status only."""
    if "json" not in response.headers.get("Content-Type", ""):
        return response.reason_phrase or "not a Shopify answer"
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    errors = body.get("errors", body.get("error")) if isinstance(body, dict) else body
    if isinstance(errors, str):
        return errors[:200]
    if isinstance(errors, dict):
        return "; ".join(
            f"{field} {', '.join(map(str, texts)) if isinstance(texts, list) else texts}"
            for field, texts in errors.items()
        )[:200]
    return json.dumps(errors)[:200]


def _decode(response: httpx.Response, resource: str) -> Any:
    return json_answer(response, SYSTEM, f"{resource}: not JSON (a proxy's page?)", shown=60)
