"""Booking sales invoices in Moneybird through its REST API v2.

Every path is `/{administration_id}/{resource}.json`, authorised with `Authorization: Bearer
<token>`; bodies are wrapped in the singular resource name (`{"contact": {...}}`,
`{"sales_invoice": {...}}`) and ids are 18-digit numbers written as strings (they do not fit a
float). `MoneybirdClient.post(contact, sales_invoice)` makes sure the contact exists (the shop's
customer number is the contact's `customer_id`, so one person's orders land on one contact),
then creates the sales invoice as a draft.

Creating is not idempotent, so a create whose answer was lost (timeout, cut-off body, 5xx) is
never simply sent again: the contact is looked up by `customer_id`, the invoice by its
`reference`, and only created when it is not there. Requests that surely never arrived
(connection refused, 429) are retried directly.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from ..errors import (
    ConnectorError,
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
from .errors import error_text

SYSTEM = "moneybird"
DEFAULT_BASE_URL = "https://moneybird.com/api/v2"
API_PATH = "/api/v2"
PER_PAGE = 100
# A Retry-After above this is an epoch time (the OpenAPI describes it so), not seconds.
EPOCH_THRESHOLD = 1_000_000_000

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PostResult:
    """What `post` booked: the draft sales invoice's id and its contact's."""

    invoice_id: str
    contact_id: str
    contact_created: bool = False
    recovered: bool = False  # found after a lost answer instead of created again


class MoneybirdClient(HttpClient):
    """A client of one Moneybird administration (Bearer token: personal API token or OAuth)."""

    def __init__(
        self,
        base_url: str,
        administration_id: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        root = base_url.rstrip("/")
        if not root.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, not {base_url!r}")
        self.base_url = root if root.endswith(API_PATH) else root + API_PATH
        self.administration_id = str(administration_id)
        self.requests_made = 0
        self.rate_limit_remaining: int | None = None
        self._retry = retry or RetryPolicy()
        self._clock = clock
        # The token lives only in httpx's default headers, never on this instance's fields.
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return (f"MoneybirdClient(base_url={self.base_url!r}, "
                f"administration_id={self.administration_id!r}, requests_made={self.requests_made})")

    # -- the administration ---------------------------------------------------------------
    def administrations(self) -> list[dict[str, Any]]:
        """GET /administrations.json: those the token may see (not under an administration)."""
        return _array(self._retried(lambda: self._get_json("administrations", scoped=False)),
                      "administrations")

    def tax_rates(self) -> list[dict[str, Any]]:
        """GET tax_rates.json, every page."""
        return self._all_pages("tax_rates")

    def ledger_accounts(self) -> list[dict[str, Any]]:
        """GET ledger_accounts.json."""
        return _array(self._retried(lambda: self._get_json("ledger_accounts")), "ledger_accounts")

    # -- contacts -------------------------------------------------------------------------
    def contact_by_customer_id(self, customer_id: str) -> dict[str, Any] | None:
        """GET contacts/customer_id/{customer_id}.json, or None when there is none (404)."""
        return self._retried(lambda: self._contact_once(customer_id))

    def ensure_contact(self, contact: dict[str, Any]) -> tuple[str, bool]:
        """The id of the contact with this `customer_id`, creating it only when there is none;
        and whether it was created now."""
        customer_id = str(contact.get("customer_id") or "")
        if not customer_id:
            raise RejectedError(SYSTEM, "contact without customer_id: cannot look it up")
        posted = False  # a create whose answer was lost may still have made the contact

        def attempt() -> tuple[str, bool]:
            nonlocal posted
            # Looking up on every attempt is what keeps a lost POST answer from duplicating.
            found = self._contact_once(customer_id)
            if found is not None:
                return _id(found, "contact"), posted
            try:
                created = self._create_once("contacts", "contact", contact)
            except OutcomeUnknownError:
                posted = True
                raise
            except RejectedError as error:
                if "customer_id" in error.message and self._contact_once(customer_id):
                    raise TransientError(SYSTEM, "contact made meanwhile; looking again") from None
                raise
            return _id(created, "contact"), True

        return call_with_retry(attempt, self._retry)

    # -- sales invoices -------------------------------------------------------------------
    def find_by_reference(self, reference: str) -> dict[str, Any] | None:
        """GET sales_invoices/find_by_reference/{reference}.json, or None (404)."""
        return self._retried(lambda: self._find_once(reference))

    def post(self, contact: dict[str, Any], invoice: dict[str, Any], *,
             check_first: bool = False) -> PostResult:
        """Ensure the contact, then create the sales invoice (`contact_id` filled in).

        `check_first` looks the invoice up by reference before the first create too: for an
        order whose earlier attempt ended without an answer.
        """
        reference = str(invoice.get("reference") or "")
        if not reference:
            raise RejectedError(SYSTEM, "sales invoice without reference: it could not be "
                                "found again after a lost answer")
        contact_id, created = self.ensure_contact(contact)
        body = {"contact_id": contact_id, **{k: v for k, v in invoice.items()
                                             if k != "contact_id"}}
        invoice_id, recovered = create_once(
            lambda: _id(self._create_once("sales_invoices", "sales_invoice", body),
                        "sales invoice"),
            lambda: _found_id(self._find_once(reference), "sales invoice"),
            self._retry,
            check_first=check_first,
        )
        if recovered:
            log.info("moneybird: sales invoice %s found after a lost answer", invoice_id)
        return PostResult(invoice_id, contact_id, contact_created=created, recovered=recovered)

    # -- internals ------------------------------------------------------------------------
    def _contact_once(self, customer_id: str) -> dict[str, Any] | None:
        try:
            found = self._get_json(f"contacts/customer_id/{quote(customer_id, safe='')}")
        except NotFoundError:
            return None
        return _object(found, "contact")

    def _find_once(self, reference: str) -> dict[str, Any] | None:
        try:
            found = self._get_json(
                f"sales_invoices/find_by_reference/{quote(reference, safe='')}")
        except NotFoundError:
            return None
        return _object(found, "sales invoice")

    def _all_pages(self, resource: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = _array(self._retried(partial(self._get_json, resource, {
                "page": str(page), "per_page": str(PER_PAGE)})), resource)
            rows += batch
            if len(batch) < PER_PAGE:
                return rows
            page += 1

    def _retried(self, operation: Callable[[], T]) -> T:
        return call_with_retry(operation, self._retry)

    def _create_once(self, resource: str, wrapper: str, body: dict[str, Any]) -> dict[str, Any]:
        content = json.dumps({wrapper: body}, default=_json_default, ensure_ascii=False).encode()
        try:
            response = self._request("POST", resource, content=content)
        except (NotSentError, RateLimitedError):
            raise
        except TransientError as error:
            raise OutcomeUnknownError(
                SYSTEM, f"POST {resource}: answer lost ({error.message}); it may have been "
                "created", status=error.status) from None
        try:
            return _object(_loads(response), wrapper)
        except ProtocolError as error:
            # A 201 whose body was cut short: created, but we cannot read its id.
            raise OutcomeUnknownError(SYSTEM, f"POST {resource}: {error.message}",
                                      status=response.status_code) from None

    def _get_json(self, resource: str, params: dict[str, str] | None = None, *,
                  scoped: bool = True) -> Any:
        return _loads(self._request("GET", resource, params=params, scoped=scoped))

    def _request(
        self,
        method: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        scoped: bool = True,
    ) -> httpx.Response:
        prefix = f"{self.base_url}/{self.administration_id}" if scoped else self.base_url
        url = f"{prefix}/{resource}.json"
        headers = {"Content-Type": "application/json"} if content is not None else None
        what = f"{method} {resource.split('/')[0]}"  # never a customer id or reference
        self.requests_made += 1
        try:
            response = self._http.request(method, url, params=params, content=content,
                                          headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotSentError(SYSTEM, f"{what}: could not connect "
                               f"({type(error).__name__})") from None
        except httpx.TimeoutException as error:
            raise TransientError(SYSTEM, f"{what}: timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{what}: connection failed "
                                 f"({type(error).__name__})") from None
        log.debug("moneybird %s -> %s", what, response.status_code)
        remaining = response.headers.get("RateLimit-Remaining", "").strip()
        if remaining.isdigit():
            self.rate_limit_remaining = int(remaining)
        if response.is_success:
            return response
        raise self._error(what, response)

    def _error(self, what: str, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        message = f"{what}: HTTP {status}: {error_text(response.content, response.reason_phrase)}"
        if status == 429:
            return RateLimitedError(SYSTEM, message, status=status,
                                    retry_after=self._retry_after(response.headers))
        return status_error(SYSTEM, status, message, refused="API token refused", forbidden=None)

    def _retry_after(self, headers: httpx.Headers) -> float | None:
        """Seconds to wait: `Retry-After` (seconds, or an epoch time as the OpenAPI says),
        else until `RateLimit-Reset` (epoch seconds)."""
        for name in ("Retry-After", "RateLimit-Reset"):
            try:
                value = float(headers.get(name, ""))
            except ValueError:
                continue
            if value > EPOCH_THRESHOLD or name == "RateLimit-Reset":
                value -= self._clock()
            return max(0.0, value)
        return None


# -- helpers ---------------------------------------------------------------------------------
def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")  # money as a decimal string, digit for digit
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _loads(response: httpx.Response) -> Any:
    return json_answer(response, SYSTEM, "answer is not JSON (cut short?)")


def _object(document: Any, what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ProtocolError(SYSTEM, f"expected a {what} object")
    return document


def _array(document: Any, resource: str) -> list[dict[str, Any]]:
    if not isinstance(document, list):
        raise ProtocolError(SYSTEM, f"{resource}: expected a JSON array")
    return document


def _found_id(document: dict[str, Any] | None, what: str) -> str | None:
    return None if document is None else _id(document, what)


def _id(document: dict[str, Any], what: str) -> str:
    value = document.get("id")
    if value in (None, ""):
        raise ProtocolError(SYSTEM, f"{what} without an id")
    return str(value)
