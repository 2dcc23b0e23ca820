"""Booking invoices in FactuurSturen.nl through its REST API v1.

`FactuursturenClient.post(payload)` takes the payload the Factuursturen rules produce,
`{"client": {... "clientnr"}, "invoice": {... "clientnr", "action", "lines"}}`, makes sure the
client exists (the shop's customer number is the client number, so one person's orders land on
one client), then creates the invoice (`action` "send", or "save" for a concept with `savename`).

Creating is not idempotent, so a create whose answer was lost (timeout, cut-off body, 5xx) is
never simply sent again: the client or invoice is looked up first and only re-created when it is
not there. Requests that surely never arrived (connection refused, 429) are retried directly.
Money goes out exactly as given: `Decimal` values are written as JSON numbers digit for digit.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx

from ..errors import (
    NotFoundError,
    NotSentError,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ..http import HttpClient, json_answer, status_error, tls_context
from ..retry import RetryPolicy, call_with_retry, create_once

SYSTEM = "factuursturen"
DEFAULT_BASE_URL = "https://www.factuursturen.nl/api/v1"
API_PATH = "/api/v1"
# Invoices asked per GET invoices page. The API pages with `count` and `offset` (as the JVM
# client jfactuursturen sends them, default count 20; the official field tables are not
# public, nor is a cap on count): paged until an empty page.
PAGE_SIZE = 100

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PostResult:
    """What `post` booked. For `action` "save" `invoicenr` is the saved concept's id."""

    invoicenr: str
    clientnr: str
    action: str
    client_created: bool = False
    recovered: bool = False  # found after a lost answer instead of created again


class FactuursturenClient(HttpClient):
    """A client of one Factuursturen account (basic auth account name : API key)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        self.base_url = root if root.endswith(API_PATH) else root + API_PATH
        self.username = username
        self.requests_made = 0
        self.rate_limit_remaining: int | None = None
        self._retry = retry or RetryPolicy()
        # The API key lives only inside httpx's auth object, never on this instance.
        self._http = httpx.Client(
            auth=httpx.BasicAuth(username, api_key),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json"},
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return (f"FactuursturenClient(base_url={self.base_url!r}, username={self.username!r}, "
                f"requests_made={self.requests_made})")

    # -- clients --------------------------------------------------------------------------
    def get_client(self, clientnr: str | int) -> dict[str, Any] | None:
        """The client with this number, or None when Factuursturen has none."""
        return self._retried(lambda: self._get_client_once(str(clientnr)))

    def create_client(self, client: dict[str, Any]) -> str:
        """POST clients; the answer is the client number as plain text."""
        return self._create_once_retried("clients", client)

    def ensure_client(self, client: dict[str, Any]) -> str:
        """The client number of `client`, creating it only when no client has that number."""
        return self._ensure_client(client)[0]

    # -- invoices -------------------------------------------------------------------------
    def create_invoice(self, invoice: dict[str, Any]) -> str:
        """POST invoices; the answer is the invoice number (or a concept's id) as plain text.

        Raises OutcomeUnknownError when the answer was lost: use `post` (which looks the
        invoice up before sending again) or `find_invoice` before trying again.
        """
        return self._create_once_retried("invoices", invoice)

    def get_invoice(self, invoicenr: str | int) -> dict[str, Any]:
        document = self._retried(lambda: self._get_json(f"invoices/{invoicenr}"))
        return _unwrap(document, "invoice")

    def list_invoices(
        self,
        filter: str | None = None,  # noqa: A002 - the API's own parameter name
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        count: int | None = None,
        offset: int | None = None,
    ) -> list[dict[str, Any]]:
        """GET invoices: a bare array. `filter` is open|overdue|sent|partly|paid|... ."""
        params = {
            key: str(value)
            for key, value in (("filter", filter), ("since", since), ("until", until),
                               ("count", count), ("offset", offset))
            if value is not None
        }
        return _array(self._retried(lambda: self._get_json("invoices", params)), "invoices")

    def iter_invoices(
        self,
        filter: str | None = None,  # noqa: A002 - the API's own parameter name
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every invoice of GET invoices that fits, page by page (`count`, `offset`) until a
        page comes back empty — not merely short: the server may answer fewer than asked
        for (its own page cap). Each invoice once (by id), even when one booked meanwhile
        shifts the pages."""
        seen: set[str] = set()
        offset = 0
        while True:
            page = self.list_invoices(filter, since=since, until=until, count=page_size,
                                      offset=offset)
            for invoice in page:
                key = str(invoice.get("id") or invoice.get("invoicenr") or "")
                if key not in seen:
                    seen.add(key)
                    yield invoice
            if not page:
                return
            offset += len(page)

    def list_saved_invoices(self) -> list[dict[str, Any]]:
        """GET invoices_saved: the concepts (action "save")."""
        return _array(self._retried(lambda: self._get_json("invoices_saved")), "invoices_saved")

    def find_invoice(self, invoice: dict[str, Any]) -> str | None:
        """The number (or concept id) of an invoice already booked from this same request.

        Sent invoices match on client number, reference lines and lines (description,
        quantity, price, VAT rate); concepts on their `savename`. Put the order number in the
        reference so that two identical orders of one customer cannot be mistaken.
        """
        if invoice.get("action") in ("save", "repeat"):
            name = str(invoice.get("savename", "")).strip()
            for saved in self.list_saved_invoices():
                if str(saved.get("savename", "")).strip() == name:
                    return str(saved["id"])
            return None
        clientnr = str(invoice.get("clientnr", ""))
        wanted = (_reference_key(invoice.get("reference")), _lines_key(invoice.get("lines")))
        # Sent today (a day of slack for clocks on either side of midnight).
        since = (datetime.now() - timedelta(days=1)).date()
        matches = [
            found for found in self.iter_invoices(since=since)
            if str(found.get("clientnr", "")) == clientnr
            and (_reference_key(found.get("reference")), _lines_key(found.get("lines"))) == wanted
        ]
        if not matches:
            return None
        newest = max(matches, key=lambda found: int(str(found.get("id") or 0)))
        return str(newest.get("invoicenr"))

    def countrylist(self, lang: str = "nl") -> dict[str, str]:
        """Country name → Factuursturen's numeric country id (both strings)."""
        rows = _array(self._retried(lambda: self._get_json(f"countrylist/{lang}")), "countrylist")
        try:
            return {str(row["name"]): str(row["id"]) for row in rows}
        except (KeyError, TypeError):
            raise ProtocolError(SYSTEM, "countrylist: rows without id and name") from None

    # -- the payload of the rules -----------------------------------------------------------
    def post(
        self, payload: dict[str, Any], *, check_first: bool = False, recover: bool = True
    ) -> PostResult:
        """Ensure the client, then create the invoice; return what was booked.

        `check_first` looks for the invoice before the first create too: for an order whose
        earlier attempt ended in OutcomeUnknownError. With `recover` False a create whose
        answer was lost is not looked up and tried again here: OutcomeUnknownError is raised
        at once, for a caller that waits until Factuursturen can have booked it (the sync
        pipeline's settle time) before it looks.
        """
        client = payload.get("client")
        invoice = payload.get("invoice")
        if not isinstance(client, dict) or not isinstance(invoice, dict):
            raise RejectedError(SYSTEM, "payload needs a 'client' and an 'invoice' object")
        clientnr, created = self._ensure_client(client)
        invoice = dict(invoice)
        given = str(invoice.setdefault("clientnr", clientnr))
        if given != clientnr:
            raise RejectedError(
                SYSTEM, f"payload: invoice.clientnr {given!r} is not client.clientnr {clientnr!r}"
            )
        action = str(invoice.get("action", ""))
        number, recovered = create_once(
            lambda: self._create_once("invoices", invoice),
            lambda: self.find_invoice(invoice),
            self._retry,
            check_first=check_first,
            recover=recover,
        )
        if recovered:
            log.info("factuursturen: invoice %s found after a lost answer", number)
        return PostResult(number, clientnr, action, client_created=created, recovered=recovered)

    # -- internals ------------------------------------------------------------------------
    def _ensure_client(self, client: dict[str, Any]) -> tuple[str, bool]:
        raw = client.get("clientnr")
        if raw in (None, ""):
            raise RejectedError(SYSTEM, "client without clientnr: cannot look it up")
        clientnr = str(raw)
        posted = False  # a create whose answer was lost may still have made the client

        def attempt() -> tuple[str, bool]:
            nonlocal posted
            # Looking up on every attempt is what keeps a lost POST answer from duplicating.
            if self._get_client_once(clientnr) is not None:
                return clientnr, posted
            try:
                return self._create_once("clients", client), True
            except OutcomeUnknownError:
                posted = True
                raise

        return call_with_retry(attempt, self._retry)

    def _get_client_once(self, clientnr: str) -> dict[str, Any] | None:
        try:
            document = self._get_json(f"clients/{clientnr}")
        except NotFoundError:
            return None
        return _unwrap(document, "client")

    def _retried(self, operation: Callable[[], T]) -> T:
        return call_with_retry(operation, self._retry)

    def _create_once_retried(self, resource: str, body: dict[str, Any]) -> str:
        """Retry what surely did not arrive; a lost answer ends the retrying (see post)."""
        created, _ = create_once(
            lambda: self._create_once(resource, body), lambda: None, self._retry, recover=False
        )
        return created

    def _create_once(self, resource: str, body: dict[str, Any]) -> str:
        try:
            response = self._request("POST", resource, content=dumps(body))
        except (NotSentError, RateLimitedError):
            raise
        except TransientError as error:
            raise OutcomeUnknownError(
                SYSTEM, f"POST {resource}: answer lost ({error.message}); it may have been "
                "created", status=error.status) from None
        number = response.text.strip().strip('"')
        if not number:
            raise ProtocolError(SYSTEM, f"POST {resource}: empty answer, expected a number")
        return number

    def _get_json(self, resource: str, params: dict[str, str] | None = None) -> Any:
        response = self._request("GET", resource, params=params)
        return json_answer(response, SYSTEM, f"{resource}: not JSON", shown=80)

    def _request(
        self,
        method: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        url = f"{self.base_url}/{resource}"
        headers = {"Content-Type": "application/json"} if content is not None else None
        self.requests_made += 1
        try:
            response = self._http.request(method, url, params=params, content=content,
                                          headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotSentError(SYSTEM, f"{method} {resource}: could not connect "
                               f"({type(error).__name__})") from None
        except httpx.TimeoutException as error:
            raise TransientError(SYSTEM, f"{method} {resource}: timed out "
                                 f"({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{method} {resource}: connection failed: "
                                 f"{error}") from None
        log.debug("factuursturen %s %s -> %s", method, resource, response.status_code)
        header = response.headers.get("x-ratelimit-remaining", "").strip()
        remaining = int(header) if header.isdigit() else None
        if remaining is not None:
            self.rate_limit_remaining = remaining
        if response.is_success:
            return response
        raise _error(method, resource, response, remaining)


# -- helpers ---------------------------------------------------------------------------------
def dumps(document: Any) -> bytes:
    """JSON with `Decimal` written digit for digit as a number (json.dumps cannot)."""
    return _encode(document).encode()


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _error(method: str, resource: str, response: httpx.Response,
           remaining: int | None) -> Exception:
    status = response.status_code
    message = f"{method} {resource}: HTTP {status}: {_message(response)}"
    if status == 429 or (remaining == 0 and status != 401):
        return RateLimitedError(SYSTEM, message, status=status,
                                retry_after=_seconds(response.headers.get("Retry-After")))
    return status_error(
        SYSTEM, status, message, refused="username/API key refused", forbidden=None
    )


def _message(response: httpx.Response) -> str:
    """Factuursturen's message: plain text, or JSON with a message in it."""
    text = response.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "error", "errors"):
            if body.get(key):
                found = body[key]
                return found if isinstance(found, str) else json.dumps(found)[:300]
    return text[:300]


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _unwrap(document: Any, key: str) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get(key), dict):
        raise ProtocolError(SYSTEM, f"expected an answer wrapped in {key!r}")
    inner: dict[str, Any] = document[key]
    return inner


def _array(document: Any, resource: str) -> list[dict[str, Any]]:
    if not isinstance(document, list):
        raise ProtocolError(SYSTEM, f"{resource}: expected a JSON array")
    return document


def _decimal(value: Any) -> Decimal | str:
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)


def _lines_key(lines: Any) -> Counter[tuple[str, Decimal | str, Decimal | str, Decimal | str]]:
    items = lines.values() if isinstance(lines, dict) else lines if isinstance(lines, list) else []
    return Counter(
        (str(line.get("description", "")).strip(), _decimal(line.get("amount")),
         _decimal(line.get("price")), _decimal(line.get("tax_rate")))
        for line in items if isinstance(line, dict)
    )


def _reference_key(reference: Any) -> tuple[str, str, str]:
    if isinstance(reference, dict):
        line1, line2, line3 = (str(reference.get(f"line{i}", "")).strip() for i in (1, 2, 3))
        return line1, line2, line3
    return ("" if reference is None else str(reference).strip(), "", "")
