"""Reads orders from a PrestaShop shop's webservice and assembles fetched order documents.

`PrestaShopClient` only ever sends GET requests (the shop is never written to), always with
`output_format=JSON`, authenticating with the webservice key as the HTTP Basic user name and an
empty password. It yields one *fetched order document* per order (DESIGN.md):

    {"order": {...}, "customer": {...}, "addresses": [...], "countries": {"13": {...}},
     "products": {"14": {...}}}

holding PrestaShop's objects verbatim: `order` is the value of "order" in GET
/api/orders/{id}?output_format=JSON; `addresses` are all the customer's addresses plus the order's
invoice / delivery address when it is not among them; `countries` has every address's country by
id; `products` only the products of rows whose `product_reference` is empty. `customer` is None if
the shop no longer has the customer.

A page of orders is assembled in a few requests — customers by `filter[id]`, their addresses by
`filter[id_customer]`, countries and products by `filter[id]` — and countries and products are
cached for as long as the client lives (one sync pass). The customers and addresses of a page
are asked for at once, and the next page of orders while the page is assembled
(`connectors/ahead.py`): a page costs the shop's latency about once, not four times. Failures
become the connector errors of `connectors.errors`, with messages a shop owner can act on;
neither the key nor a customer's data (names, e-mail, addresses, VAT numbers) ever appears in
them.

What differs between PrestaShop versions, and how the client copes:

- 1.6.1.x: the webservice speaks XML by default; JSON (`output_format=JSON`) exists since 1.6.0.9
  with the layout of 1.7. Only the XML is confirmed by recordings (PSWS-Version 1.6.1.6–1.6.1.23).
- 1.7.x: JSON with `id` an integer and every other scalar a string (`"id_customer": "1"`,
  `"total_paid": "71.510000"`); an empty list is a bare `[]`.
- 8.0.x–8.1.x on PHP ≥ 8.1: integer and tinyint columns come as JSON numbers (`"id_customer": 1`,
  `"deleted": 0`, `"current_state": 2`; PrestaShop issue #31244) — so every id, flag and state is
  read with `_id` / compared as text, never by its JSON type. `GET /api/?output_format=JSON`
  answers HTTP 500 on 8.0.3–8.1.7 (issues #32179, #34794): `check_access` reads the key's
  rights from the XML root and logs in on `orders` instead.
- 8.2 and later: strings again, as 1.7.
- Any version: amounts are parsed as Decimal whether they come as strings or JSON numbers
  (`parse_float=Decimal`; an integer amount such as `12` stays an int, which Decimal takes
  exactly), never as float.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import re
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..ahead import Ahead
from ..errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ..http import HttpClient, tls_context
from ..retry import RetryPolicy, call_with_retry
from ..secret import Secret

SYSTEM = "PrestaShop"
KEY_ADVICE = "check the key in Advanced parameters > Webservice and that the webservice is enabled"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
ID_BATCH = 100  # ids per filter[id]=[..|..] request: keeps URLs far below server limits
# Requests under way at once: the next page, and a page's customers and addresses.
REQUESTS_AHEAD = 3

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]


class WebserviceDisabledError(AuthenticationError):
    """The shop answered that its webservice is switched off (503, PrestaShop error code 22)."""


# The resources a fetched order document is assembled from: the key must be able to GET them.
NEEDED_RESOURCES = ("orders", "customers", "addresses", "countries", "products")
WRITE_METHODS = ("PUT", "POST", "PATCH", "DELETE")


@dataclass(frozen=True)
class ConnectionInfo:
    """What `check_access` learnt: the webservice version (the `PSWS-Version` header), and the
    key's rights by resource from `GET /api/` in XML — `rights` is None when /api/ did not answer
    (then `rights_problem` says how it failed), so nobody guesses them."""

    version: str | None
    rights: dict[str, frozenset[str]] | None
    rights_problem: str = ""

    @property
    def resources(self) -> list[str]:
        """The resources the key may read (GET); [] when the rights are unknown."""
        return sorted(r for r, methods in (self.rights or {}).items() if "GET" in methods)

    def unreadable(self) -> list[str]:
        """Resources the client needs that the key may not read ([] when the rights are unknown)."""
        if self.rights is None:
            return []
        return [r for r in NEEDED_RESOURCES if "GET" not in self.rights.get(r, frozenset())]

    def writable(self) -> dict[str, list[str]]:
        """Write methods the key has, by resource ({} when the rights are unknown)."""
        found = {}
        for resource, methods in sorted((self.rights or {}).items()):
            writes = [m for m in WRITE_METHODS if m in methods]
            if writes:
                found[resource] = writes
        return found


@dataclass
class ReferenceCache:
    """Countries and products fetched during one pass, by id (as strings, like the document)."""

    countries: dict[str, JsonObject] = field(default_factory=dict)
    products: dict[str, JsonObject] = field(default_factory=dict)


class OrderFetch(Iterator[JsonObject]):
    """The documents of `fetch_orders`, streamed; `missing_ids` lists the requested ids the shop
    does not have, filled in batch by batch (complete once the iterator is exhausted)."""

    def __init__(self, documents: Iterator[JsonObject], missing_ids: list[int]) -> None:
        self._documents = documents
        self.missing_ids = missing_ids

    def __next__(self) -> JsonObject:
        return next(self._documents)


class PrestaShopClient(HttpClient):
    """A read-only client of one shop's webservice.

    `base_url` is the shop's address, with or without the trailing `/api/`. `retry` (default
    `RetryPolicy()`) governs how transient failures (timeouts, connection errors, 5xx, 429) are
    retried. `shop_timezone`, if given, is used to convert timezone-aware datetimes to the shop's
    local time (PrestaShop stores and filters dates in shop-local time, without a zone).
    """

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        shop_timezone: tzinfo | None = None,
    ) -> None:
        if not key:
            raise ValueError("a PrestaShop webservice key is required")
        self.base_url = _api_url(base_url)
        self._key = Secret(key)
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self.shop_timezone = shop_timezone
        self.requests_made = 0
        self._counting = threading.Lock()  # requests are made from the `Ahead` threads too
        self._ahead = Ahead(REQUESTS_AHEAD, "mapper-prestashop")
        self.cache = ReferenceCache()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(key, ""),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json"},
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return f"PrestaShopClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._ahead.close()
        super().close()

    def reset_cache(self) -> None:
        """Forget cached countries and products (start of a new pass with the same client)."""
        self.cache = ReferenceCache()

    # -- public API -----------------------------------------------------------------------
    def check_access(self) -> ConnectionInfo:
        """Log in and read what the key may do, without depending on `GET /api/` in JSON.

        Logs in with `GET orders?limit=1&display=[id]` (raises AuthenticationError if the key is
        refused or may not read orders, TransientError if the shop cannot be reached), takes the
        version from its `PSWS-Version` header, then reads the key's permissions from `GET /api/`
        in XML, whose resource elements carry `get="true" put="false" …`. When /api/ fails
        (HTTP 500 on some versions, a proxy, not XML) the rights are reported as unknown.
        """
        _, headers = self._get(
            "orders", {"limit": "1", "display": "[id]"}, what="orders (limit=1)"
        )
        version = headers.get("psws-version")
        try:
            response = self._http.get("", headers={"Accept": "text/xml"})
        except httpx.HTTPError as error:
            problem = "no answer" if isinstance(error, httpx.TimeoutException) else "no connection"
            return ConnectionInfo(version, None, f"GET /api/ got {problem}")
        self.requests_made += 1
        if response.status_code != 200:
            return ConnectionInfo(
                version or response.headers.get("psws-version"),
                None,
                f"GET /api/ answered HTTP {response.status_code}",
            )
        rights = _rights(response.text)
        if rights is None:
            return ConnectionInfo(version, None, "GET /api/ did not answer PrestaShop's XML")
        return ConnectionInfo(version, rights)

    def check_connection(self) -> ConnectionInfo:
        """`check_access`, raising AuthenticationError when the key may not read every resource
        an order document needs."""
        info = self.check_access()
        lacking = info.unreadable()
        if lacking:
            raise AuthenticationError(
                SYSTEM,
                "the webservice key may not read " + ", ".join(lacking) + ": tick View (GET) "
                "for them in Advanced parameters > Webservice",
            )
        return info

    def order_states(self) -> list[JsonObject]:
        """Every order state (GET order_states?display=full), with its `paid`/`invoice` flags."""
        return self._list("order_states", {"display": "full"})

    def iter_orders_changed(
        self, since: datetime, until: datetime, *, page_size: int = 100
    ) -> Iterator[JsonObject]:
        """Fetched order documents of the orders whose `date_upd` is in [since, until], oldest
        change first (ties by id), streamed page by page.

        Pages are keyed on the last `date_upd` seen rather than on a growing offset, so that an
        order changing while we page (and leaving the window) cannot make us skip another one:
        each request repeats the last order seen and, if it is no longer where it was, that
        group of equal `date_upd` is read again from its start, skipping the ids already given.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        low, high = self._shop_time(since), self._shop_time(until)
        seen_at_low: list[int] = []  # ids already yielded whose date_upd == low, in order
        overlap, count = 0, page_size
        page = self._ahead.start(self._changed_page, low, high, 0, count)
        while True:
            rows = page.result()
            more = len(rows) == count
            if overlap:
                first = rows[0] if rows else None
                if (
                    first is not None
                    and _id(first["id"]) == seen_at_low[-1]
                    and (first["date_upd"] == low)
                ):
                    rows = rows[1:]
                else:
                    log.info("orders changed at %s while paging; re-reading from there", low)
                    count = len(seen_at_low) + page_size
                    rows = self._changed_page(low, high, 0, count)
                    more = len(rows) == count
                    given = set(seen_at_low)
                    # Only the ids still at `low` count for the offset of the next page.
                    seen_at_low = [
                        _id(r["id"]) for r in rows
                        if r["date_upd"] == low and _id(r["id"]) in given
                    ]
                    rows = [
                        r for r in rows if not (r["date_upd"] == low and _id(r["id"]) in given)
                    ]
            for row in rows:
                if row["date_upd"] < low:
                    raise self._protocol("orders", "orders sorted by date_upd", row["date_upd"])
                if row["date_upd"] != low:
                    low, seen_at_low = row["date_upd"], []
                seen_at_low.append(_id(row["id"]))
            if more:  # the next page is asked for while this one is assembled
                overlap = 1 if seen_at_low else 0
                count = page_size + overlap
                offset = len(seen_at_low) - overlap
                page = self._ahead.start(self._changed_page, low, high, offset, count)
            yield from self._documents(rows)
            if not more:
                return

    def fetch_orders(self, ids: Iterable[int], *, batch_size: int = 100) -> OrderFetch:
        """Fetched order documents for `ids` (duplicates dropped), in the order given, fetched
        `batch_size` at a time with `filter[id]=[1|2|3]`. Ids the shop does not have are skipped
        and listed in the returned iterator's `missing_ids`."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        wanted = list(dict.fromkeys(int(i) for i in ids))
        missing: list[int] = []

        def documents() -> Iterator[JsonObject]:
            chunks = [wanted[at : at + batch_size] for at in range(0, len(wanted), batch_size)]
            # Each batch's orders are asked for while the batch before is assembled.
            answers = self._ahead.in_turn(self._orders_by_ids, chunks)
            for batch, rows in zip(chunks, answers, strict=True):
                found = {}
                for row in rows:
                    self._check_order(row)
                    found[_id(row["id"])] = row
                missing.extend(i for i in batch if i not in found)
                yield from self._documents([found[i] for i in batch if i in found])

        return OrderFetch(documents(), missing)

    def _orders_by_ids(self, ids: list[int]) -> list[JsonObject]:
        return self._list(
            "orders", {"filter[id]": _any_of(ids), "display": "full", "sort": "[id_ASC]"}
        )

    # -- credit slips ---------------------------------------------------------------------
    def iter_slips_changed(
        self, since: datetime, until: datetime, *, page_size: int = 100
    ) -> Iterator[JsonObject]:
        """Credit documents (DESIGN.md, "Credit documents") of the credit slips whose
        `date_upd` is in [since, until]: each slip's order document plus `order_slip`, the
        slip as GET order_slip gives it (display=full: with its order_slip_details). Paged by
        offset, oldest change first: a slip is written once when the refund is made, so the
        re-reading that `iter_orders_changed` needs for orders changing while paging is not."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        low, high = self._shop_time(since), self._shop_time(until)
        offset = 0
        while True:
            slips = self._list(
                "order_slip",
                {
                    "filter[date_upd]": f"[{low},{high}]",
                    "date": "1",
                    "sort": "[date_upd_ASC,id_ASC]",
                    "limit": f"{offset},{page_size}",
                    "display": "full",
                },
                key="order_slips",
            )
            yield from self._credit_documents(slips, page_size)
            if len(slips) < page_size:
                return
            offset += page_size

    def fetch_slips(self, ids: Iterable[int], *, batch_size: int = 100) -> Iterator[JsonObject]:
        """Credit documents for the slips `ids` (duplicates dropped; ids the shop does not
        have are skipped), `batch_size` at a time with filter[id]=[1|2|3]."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        for start in range(0, len(wanted), batch_size):
            batch = wanted[start : start + batch_size]
            slips = self._list(
                "order_slip",
                {"filter[id]": _any_of(batch), "display": "full", "sort": "[id_ASC]"},
                key="order_slips",
            )
            yield from self._credit_documents(slips, batch_size)

    def slip_ids_of(self, order_id: int) -> list[int]:
        """The ids of the credit slips the shop made for order `order_id`, oldest first."""
        slips = self._list(
            "order_slip",
            {"filter[id_order]": f"[{int(order_id)}]", "display": "[id]", "sort": "[id_ASC]"},
            key="order_slips",
        )
        return [_id(slip["id"]) for slip in slips]

    def _credit_documents(
        self, slips: Sequence[JsonObject], batch_size: int
    ) -> Iterator[JsonObject]:
        """Each slip with its order's document; a slip whose order is gone is skipped."""
        if not slips:
            return
        orders = {
            _id(document["order"]["id"]): document
            for document in self.fetch_orders(
                [_id(s.get("id_order"), default=0) for s in slips], batch_size=batch_size
            )
        }
        for slip in slips:
            document = orders.get(_id(slip.get("id_order"), default=0))
            if document is None:
                log.warning("credit slip %s: its order is not in the shop; skipped", slip["id"])
                continue
            yield {**document, "order_slip": slip}

    # -- assembling documents -------------------------------------------------------------
    def _changed_page(self, low: str, high: str, offset: int, count: int) -> list[JsonObject]:
        rows = self._list(
            "orders",
            {
                "filter[date_upd]": f"[{low},{high}]",
                "date": "1",
                "sort": "[date_upd_ASC,id_ASC]",
                "limit": f"{offset},{count}",
                "display": "full",
            },
        )
        for row in rows:
            self._check_order(row)
        return rows

    def _documents(self, orders: Sequence[JsonObject]) -> Iterator[JsonObject]:
        if not orders:
            return
        customer_ids = sorted({_id(o["id_customer"]) for o in orders} - {0})
        # The customers and their addresses, asked for at once.
        asked = self._ahead.start(self._by_ids, "customers", customer_ids)
        owned: dict[int, list[JsonObject]] = {}
        known: dict[int, JsonObject] = {}
        for address in self._by_ids("addresses", customer_ids, field="id_customer"):
            owner = _id(address.get("id_customer"), default=0)
            owned.setdefault(owner, []).append(address)
            known[_id(address["id"])] = address
        customers = {_id(c["id"]): c for c in asked.result()}
        extra = sorted(
            {_id(o[f]) for o in orders for f in ("id_address_invoice", "id_address_delivery")}
            - set(known)
            - {0}
        )
        for address in self._by_ids("addresses", extra):
            known[_id(address["id"])] = address
        self._cache_countries({str(a.get("id_country", "")) for a in known.values()})
        self._cache_products(
            {
                str(row.get("product_id", ""))
                for o in orders
                for row in _order_rows(o)
                if not row.get("product_reference")
            }
        )
        for order in orders:
            yield self._document(order, customers, owned, known)

    def _document(
        self,
        order: JsonObject,
        customers: dict[int, JsonObject],
        owned: dict[int, list[JsonObject]],
        known: dict[int, JsonObject],
    ) -> JsonObject:
        customer_id = _id(order["id_customer"])
        addresses = sorted(owned.get(customer_id, []), key=lambda a: _id(a["id"]))
        present = {_id(a["id"]) for a in addresses}
        for name in ("id_address_invoice", "id_address_delivery"):
            address_id = _id(order[name])
            if address_id not in present and address_id in known:
                addresses.append(known[address_id])
                present.add(address_id)
        countries = {}
        for address in addresses:
            country_id = str(address.get("id_country", ""))
            if country_id in self.cache.countries:
                countries[country_id] = self.cache.countries[country_id]
        products = {}
        for row in _order_rows(order):
            product_id = str(row.get("product_id", ""))
            if not row.get("product_reference") and product_id in self.cache.products:
                products[product_id] = self.cache.products[product_id]
        return {
            "order": order,
            "customer": customers.get(customer_id),
            "addresses": addresses,
            "countries": countries,
            "products": products,
        }

    def _cache_countries(self, ids: set[str]) -> None:
        wanted = sorted(int(i) for i in ids if i.isdigit() and i not in self.cache.countries)
        for country in self._by_ids("countries", wanted):
            self.cache.countries[str(_id(country["id"]))] = country

    def _cache_products(self, ids: set[str]) -> None:
        wanted = sorted(int(i) for i in ids if i.isdigit() and i not in self.cache.products)
        for product in self._by_ids("products", wanted):
            self.cache.products[str(_id(product["id"]))] = product

    def _by_ids(
        self, resource: str, ids: Sequence[int], *, field: str = "id"
    ) -> list[JsonObject]:
        """The objects whose `field` is one of `ids`, `ID_BATCH` ids a request."""
        found: list[JsonObject] = []
        for chunk in _chunks(list(ids), ID_BATCH):
            found += self._list(
                resource, {f"filter[{field}]": _any_of(chunk), "display": "full"}
            )
        return found

    # -- HTTP -----------------------------------------------------------------------------
    def _list(
        self, resource: str, params: dict[str, str], *, key: str | None = None
    ) -> list[JsonObject]:
        """A list resource's objects; PrestaShop answers `[]` when nothing matched. `key`:
        the list's node name where it is not the resource's (order_slip → order_slips)."""
        described = _describe(params)
        what = f"{resource} ({described})" if described else resource
        key = key or resource
        body, _ = self._get(resource, params, what=what)
        if body == []:
            return []
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise self._protocol(what, f'{{"{key}": [...]}} or []', body)
        rows: list[JsonObject] = body[key]
        for row in rows:
            if not isinstance(row, dict) or _id(row.get("id"), default=-1) < 1:
                raise self._protocol(what, f"{resource} objects with an integer id", row)
        return rows

    def _get(self, path: str, params: dict[str, str], *, what: str) -> tuple[Any, httpx.Headers]:
        query = {**params, "output_format": "JSON"}

        def attempt() -> tuple[Any, httpx.Headers]:
            with self._counting:
                self.requests_made += 1
            started = time.perf_counter()
            try:
                response = self._http.get(path, params=query)
            except httpx.TimeoutException:
                raise TransientError(
                    SYSTEM, f"no answer within {self.timeout:g} s to the request for {what}"
                ) from None
            except httpx.TransportError as error:
                raise TransientError(
                    SYSTEM, self._scrub(f"the connection failed while fetching {what}: {error}")
                ) from None
            log.debug(
                "GET %s%s -> %s in %.3f s",
                self.base_url,
                path,
                response.status_code,
                time.perf_counter() - started,
            )
            return self._parse(response, what), response.headers

        return call_with_retry(attempt, self.retry)

    def _parse(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        if status == 200:
            return self._json(response, what)
        detail = self._error_detail(response)
        suffix = f" (PrestaShop says: {detail})" if detail else ""
        if status in (301, 302, 303, 307, 308):
            location = self._scrub(response.headers.get("location", "?"))
            raise ProtocolError(
                SYSTEM,
                f"the shop redirected the request for {what} to {location}: use the shop's "
                "own address (https, with or without www) as its URL",
                status=status,
            )
        if status == 401:
            raise AuthenticationError(
                SYSTEM, f"the webservice key was refused: {KEY_ADVICE}{suffix}", status=status
            )
        if status in (403, 405):
            raise AuthenticationError(
                SYSTEM,
                f"the webservice key may not read {what}: tick GET for it in Advanced "
                f"parameters > Webservice{suffix}",
                status=status,
            )
        if status == 404:
            raise NotFoundError(SYSTEM, f"{what} does not exist in the shop", status=status)
        if status == 429:
            raise RateLimitedError(
                SYSTEM,
                f"the shop asked us to slow down while fetching {what}{suffix}",
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        if status == 503 and any(code == "22" for code, _ in _errors(response.text)):
            raise WebserviceDisabledError(
                SYSTEM,
                "the shop's webservice is disabled: enable it in Advanced parameters > Webservice",
                status=status,
            )
        if status >= 500:
            raise TransientError(
                SYSTEM,
                f"the shop failed to answer the request for {what} (HTTP {status}){suffix}",
                status=status,
            )
        if status == 400:
            raise RejectedError(
                SYSTEM, f"the shop refused the request for {what}{suffix}", status=status
            )
        raise ProtocolError(SYSTEM, f"unexpected HTTP {status} for {what}{suffix}", status=status)

    def _json(self, response: httpx.Response, what: str) -> Any:
        text = response.text
        start = text.lstrip()[:1]
        content_type = response.headers.get("content-type", "").lower()
        if start == "<" or "html" in content_type:
            kind = (
                "an HTML page" if "<html" in text[:500].lower() or "html" in content_type else "XML"
            )
            raise ProtocolError(
                SYSTEM,
                f"expected PrestaShop's JSON for {what} but got {kind}: check that the shop URL "
                "points at the shop (its webservice answers at /api/) and that no login page, "
                "maintenance page or firewall stands in front of it",
                status=response.status_code,
            )
        try:
            return json.loads(text, parse_float=Decimal)
        except ValueError:
            raise ProtocolError(
                SYSTEM,
                f"expected PrestaShop's JSON for {what} but the answer is not valid JSON "
                f"({len(text)} characters; cut short?)",
                status=response.status_code,
            ) from None

    def _error_detail(self, response: httpx.Response) -> str:
        """PrestaShop's own error messages, from its JSON or XML error document."""
        messages = [f"{message} (code {code})" for code, message in _errors(response.text)]
        return self._scrub("; ".join(messages)[:500])

    def _check_order(self, row: JsonObject) -> None:
        """The fields paging and assembling rely on: `date_upd` a string, the ids a whole number
        — a string of digits (1.7, 8.2+) or a JSON number (8.0–8.1 on PHP ≥ 8.1)."""
        for name in ("date_upd", "id_customer", "id_address_invoice", "id_address_delivery"):
            value = row.get(name)
            if name == "date_upd":
                if not isinstance(value, str):
                    raise self._protocol(
                        "orders", f'orders with "{name}" as a string', {"id": row["id"], name: value}
                    )
            elif _id(value, default=-1) < 0:
                raise self._protocol(
                    "orders",
                    f'orders with "{name}" as a whole number (1 or "1")',
                    {"id": row["id"], name: value},
                )

    def _protocol(self, what: str, expected: str, got: Any) -> ProtocolError:
        """What was expected and the shape of what came instead: numbers, dates and ids as
        they are, other text only by its length (it may be a customer's name or address)."""
        shown = self._scrub(json.dumps(_shape(got), default=str)[:200])
        return ProtocolError(SYSTEM, f"expected {expected} for {what}, got {shown}")

    def _scrub(self, text: str) -> str:
        """`text` without the key, plain or as the Basic auth credentials it travels in."""
        key = self._key.reveal()
        encoded = base64.b64encode(f"{key}:".encode()).decode("ascii")
        return text.replace(key, "[key]").replace(encoded, "[key]")

    def _shop_time(self, moment: datetime) -> str:
        if moment.tzinfo is not None:
            if self.shop_timezone is None:
                raise ValueError(
                    "PrestaShop filters on shop-local time: pass naive datetimes or set "
                    "shop_timezone"
                )
            moment = moment.astimezone(self.shop_timezone).replace(tzinfo=None)
        return moment.strftime(DATE_FORMAT)


def _api_url(base_url: str) -> str:
    """The webservice root `…/api/`; user:password@ in the URL is dropped (the key goes in a
    header, never in a URL that could end up in a log)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the shop URL must start with http:// or https://")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path += "/api"
    return urlunsplit((parts.scheme, netloc, path + "/", "", ""))


def _id(value: Any, *, default: int | None = None) -> int:
    """An id, flag or count as a whole number, however the version sent it: `5` (8.0–8.1 on
    PHP ≥ 8.1), `"5"` (1.7, 8.2+), or "" / null for none (`default`, else ValueError)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if default is not None:
        return default
    raise ValueError(f"not a whole number: {type(value).__name__}")


_PLAIN = re.compile(r"[\d\s:.,+\-]*")


def _shape(value: Any) -> Any:
    """`value` with every text that is not a number, id or date replaced by its length."""
    if isinstance(value, dict):
        return {str(k): _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:5]]
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        return f"<text of {len(value)} characters>"
    return value


def _rights(text: str) -> dict[str, frozenset[str]] | None:
    """The key's methods by resource from `GET /api/` in XML: `<api><orders get="true"
    put="false" …>`; None when `text` is not that document."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    api = root.find("api")
    if api is None:
        return None
    rights = {}
    for element in api:
        methods = frozenset(
            method
            for method in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
            if element.get(method.lower(), "").lower() == "true"
        )
        rights[element.tag] = methods
    return rights


def _any_of(ids: Sequence[int]) -> str:
    return "[" + "|".join(str(i) for i in ids) + "]"


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _order_rows(order: JsonObject) -> list[JsonObject]:
    associations = order.get("associations")
    rows = associations.get("order_rows", []) if isinstance(associations, dict) else []
    return [row for row in rows if isinstance(row, dict)]


def _describe(params: dict[str, str]) -> str:
    shown = {k: v for k, v in params.items() if k != "display"}
    text = "&".join(f"{k}={v}" for k, v in shown.items())
    return text if len(text) <= 120 else text[:117] + "..."


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _errors(text: str) -> list[tuple[str, str]]:
    """(code, message) pairs of a PrestaShop error document, JSON or XML; [] for anything else."""
    try:
        body = json.loads(text)
    except ValueError:
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            return []
        return [
            ((e.findtext("code") or "").strip(), (e.findtext("message") or "").strip())
            for e in root.iter("error")
        ]
    errors = body.get("errors", []) if isinstance(body, dict) else []
    return [
        (str(e.get("code", "")), str(e.get("message", ""))) for e in errors if isinstance(e, dict)
    ]


__all__ = [
    "NEEDED_RESOURCES",
    "ConnectionInfo",
    "OrderFetch",
    "PrestaShopClient",
    "ReferenceCache",
    "WebserviceDisabledError",
]
