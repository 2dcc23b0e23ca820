"""Booking sales entries in Exact Online through its REST API (`{host}/api/v1/{division}/…`).

Every request carries `Authorization: Bearer <access token>` (from the TokenKeeper, which
refreshes the rotating tokens once for all workers) and `Accept: application/json` (without
it Exact answers Atom XML). The division comes from the configuration or from
`GET current/Me`. Lists are followed through `__next` to the end, with `$select` always.

`post(account, entry)` makes sure the customer's account exists — found by its padded `Code`
before every create, so an answer lost on a create never makes a second account — then
creates the sales entry. A create whose answer was lost is looked up by `YourRef` before it is
sent again. Requests that surely never arrived (no connection, 429) are retried directly.

Rate limits: Exact allows 60 calls a minute and 5000 a day per company; every answer says how
many are left (`X-RateLimit-Minutely-Remaining`, `X-RateLimit-Remaining`) and when they refill
(`X-RateLimit-Minutely-Reset`, `X-RateLimit-Reset`, epoch milliseconds). A 429 waits until the
minutely reset (bounded by the retry policy); with the day's budget spent it stops for today
(QuotaExceededError). Whether a 429 also carries `Retry-After` is not confirmed; it is used
when present.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import httpx

from ..errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    NotSentError,
    OutcomeUnknownError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ..http import HttpClient, json_answer, tls_context
from ..retry import RetryPolicy, call_with_retry, create_once
from . import odata
from .errors import error_text
from .tokens import TokenKeeper, TokenStore

SYSTEM = "exact"
DEFAULT_URL = "https://start.exactonline.nl"
ACCOUNT_FIELDS = "ID,Code,Name"
ENTRY_FIELDS = "EntryID,YourRef,EntryDate,InvoiceNumber,AmountDC"

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PostResult:
    entry_id: str
    account_id: str
    account_created: bool = False
    recovered: bool = False  # found by YourRef after a lost answer instead of created again


@dataclass
class RateLimits:
    """What the last answer said of the budgets (None until an answer said it)."""

    minutely_remaining: int | None = None
    minutely_reset: float | None = None  # epoch seconds
    daily_remaining: int | None = None
    daily_reset: float | None = None


class ExactClient(HttpClient):
    """A client of one Exact Online division, on behalf of one authorized user."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenStore,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        division: int | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        root = base_url.rstrip("/")
        if not root.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, not {base_url!r}")
        self.base_url = root.removesuffix("/api/v1")
        self.api = self.base_url + "/api/v1"
        self.requests_made = 0
        self.limits = RateLimits()
        self._division = division
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), transport=transport,
                                  headers={"Accept": "application/json"}, verify=tls_context())
        self.keeper = TokenKeeper(tokens, self.base_url + "/api/oauth2/token", client_id,
                                  client_secret, refresh_token, self._http, clock=clock)

    def __repr__(self) -> str:
        return (f"ExactClient(base_url={self.base_url!r}, division={self._division!r}, "
                f"requests_made={self.requests_made})")

    # -- the division ---------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        """GET current/Me: the user and the division the API uses for them."""
        found, _ = odata.rows(self._retried(lambda: self._get(
            "current/Me", {"$select": "CurrentDivision,FullName,DivisionCustomerName"},
            scoped=False)))
        if not found:
            raise ProtocolError(SYSTEM, "current/Me answered no user")
        return found[0]

    @property
    def division(self) -> int:
        if self._division is None:
            value = self.me().get("CurrentDivision")
            if not isinstance(value, int | str) or not str(value).isdigit():
                raise ProtocolError(SYSTEM, "current/Me gave no CurrentDivision")
            self._division = int(value)
        return self._division

    def vat_codes(self) -> list[dict[str, Any]]:
        return self.listed("vat/VATCodes", {
            "$select": "Code,Description,Percentage,Type,VATTransactionType,IsBlocked"})

    def gl_accounts(self) -> list[dict[str, Any]]:
        return self.listed("financial/GLAccounts", {
            "$select": "ID,Code,Description,BalanceType,IsBlocked"})

    def journals(self) -> list[dict[str, Any]]:
        return self.listed("financial/Journals", {"$select": "Code,Description,Type"})

    def listed(self, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every record, following `__next` verbatim until it is absent."""
        found, following = odata.rows(self._retried(lambda: self._get(resource, params)))
        while following:
            page, following = odata.rows(self._retried(partial(self._get, following)))
            found += page
        return found

    # -- accounts -------------------------------------------------------------------------
    def account_by_code(self, code: str) -> dict[str, Any] | None:
        return self._retried(lambda: self._account_once(code))

    def ensure_account(self, account: dict[str, Any]) -> tuple[str, bool]:
        """The ID of the account with this Code, creating it only when there is none."""
        code = str(account.get("Code") or "").strip()
        if not code:
            raise RejectedError(SYSTEM, "account without Code: cannot look it up")
        body = {**account, "Code": odata.account_code(code)}

        def attempt() -> tuple[str, bool]:
            # Looked up on every attempt: a create whose answer was lost is found here.
            found = self._account_once(code)
            if found is not None:
                return _guid(found, "ID", "account"), False
            return _guid(self._create_once("crm/Accounts", body), "ID", "account"), True

        return call_with_retry(attempt, self._retry)

    # -- sales entries --------------------------------------------------------------------
    def find_entry(self, your_ref: str) -> dict[str, Any] | None:
        return self._retried(lambda: self._entry_once(your_ref))

    def booked(self, since: dt.date, until: dt.date) -> dict[str, str]:
        """YourRef → EntryID of the sales entries dated since..until."""
        found = self.listed("salesentry/SalesEntries", {
            "$filter": f"EntryDate ge datetime'{since.isoformat()}T00:00:00' and "
                       f"EntryDate le datetime'{until.isoformat()}T23:59:59'",
            "$select": "EntryID,YourRef"})
        return {str(r.get("YourRef")): str(r.get("EntryID")) for r in found if r.get("YourRef")}

    def post(self, account: dict[str, Any], entry: dict[str, Any], *,
             check_first: bool = False) -> PostResult:
        """Ensure the account, then create the sales entry with `Customer` filled in."""
        your_ref = str(entry.get("YourRef") or "")
        if not your_ref:
            raise RejectedError(SYSTEM, "sales entry without YourRef: it could not be found "
                                "again after a lost answer")
        account_id, created = self.ensure_account(account)
        body = {**entry, "Customer": account_id}
        entry_id, recovered = create_once(
            lambda: _guid(self._create_once("salesentry/SalesEntries", body), "EntryID",
                          "sales entry"),
            lambda: _found_guid(self._entry_once(your_ref), "EntryID", "sales entry"),
            self._retry,
            check_first=check_first,
        )
        if recovered:
            log.info("exact: sales entry %s found after a lost answer", entry_id)
        return PostResult(entry_id, account_id, account_created=created, recovered=recovered)

    # -- internals ------------------------------------------------------------------------
    def _account_once(self, code: str) -> dict[str, Any] | None:
        found, _ = odata.rows(self._get("crm/Accounts", {
            "$filter": f"Code eq {odata.quoted(odata.account_code(code))}",
            "$select": ACCOUNT_FIELDS}))
        return found[0] if found else None

    def _entry_once(self, your_ref: str) -> dict[str, Any] | None:
        found, _ = odata.rows(self._get("salesentry/SalesEntries", {
            "$filter": f"YourRef eq {odata.quoted(your_ref)}", "$select": ENTRY_FIELDS}))
        if len(found) > 1:
            raise ProtocolError(SYSTEM, f"{len(found)} sales entries have the same YourRef")
        return found[0] if found else None

    def _retried(self, operation: Callable[[], T]) -> T:
        return call_with_retry(operation, self._retry)

    def _create_once(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        content = odata.dumps(body).encode()
        try:
            response = self._request("POST", resource, content=content)
        except (NotSentError, RateLimitedError):
            raise
        except TransientError as error:
            raise OutcomeUnknownError(
                SYSTEM, f"POST {resource}: answer lost ({error.message}); it may have been "
                "created", status=error.status) from None
        try:
            return odata.entity(_loads(response))
        except ProtocolError as error:  # a 201 cut short: created, but unreadable
            raise OutcomeUnknownError(SYSTEM, f"POST {resource}: {error.message}",
                                      status=response.status_code) from None

    def _get(self, resource: str, params: dict[str, str] | None = None, *,
             scoped: bool = True) -> Any:
        return _loads(self._request("GET", resource, params=params, scoped=scoped))

    def _url(self, resource: str, scoped: bool) -> str:
        if resource.startswith(("http://", "https://")):
            return resource  # a `__next` link, followed verbatim
        return f"{self.api}/{self.division}/{resource}" if scoped else f"{self.api}/{resource}"

    def _request(self, method: str, resource: str, *, params: dict[str, str] | None = None,
                 content: bytes | None = None, scoped: bool = True) -> httpx.Response:
        url = self._url(resource, scoped)
        what = f"{method} {_entity_name(resource)}"  # never a filter value or code
        token = self.keeper.access_token()
        response = self._send(method, url, what, token, params, content)
        if response.status_code == 401:  # expired early or revoked: one new token, once
            response = self._send(method, url, what, self.keeper.refused(token), params, content)
        self._note_limits(response.headers)
        log.debug("exact %s -> %s", what, response.status_code)
        if response.is_success:
            return response
        raise self._error(what, response)

    def _send(self, method: str, url: str, what: str, token: str,
              params: dict[str, str] | None, content: bytes | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        self.requests_made += 1
        try:
            return self._http.request(method, url, params=params, content=content,
                                      headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotSentError(SYSTEM, f"{what}: could not connect "
                               f"({type(error).__name__})") from None
        except httpx.TimeoutException as error:
            raise TransientError(SYSTEM, f"{what}: timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{what}: connection failed "
                                 f"({type(error).__name__})") from None

    def _note_limits(self, headers: httpx.Headers) -> None:
        limits = self.limits
        limits.minutely_remaining = _int(headers, "X-RateLimit-Minutely-Remaining",
                                         limits.minutely_remaining)
        limits.daily_remaining = _int(headers, "X-RateLimit-Remaining", limits.daily_remaining)
        minutely = _int(headers, "X-RateLimit-Minutely-Reset", None)
        daily = _int(headers, "X-RateLimit-Reset", None)
        if minutely is not None:
            limits.minutely_reset = minutely / 1000  # epoch milliseconds
        if daily is not None:
            limits.daily_reset = daily / 1000

    def _error(self, what: str, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        text = error_text(response.content, response.reason_phrase)
        reason = response.headers.get("Reason", "").strip()
        message = f"{what}: HTTP {status}: {text}" + (f" ({reason})" if reason else "")
        if status == 401:
            return AuthenticationError(SYSTEM, f"access token refused ({message})", status=status)
        if status == 403:
            return AuthenticationError(SYSTEM, f"access refused ({message}); check the "
                                       "target's division and the user's rights", status=status)
        if status == 429:
            if self.limits.daily_remaining == 0:
                return QuotaExceededError(SYSTEM, f"{message}: the day's calls are used up "
                                          "(X-RateLimit-Remaining 0)", status=status)
            return RateLimitedError(SYSTEM, message, status=status,
                                    retry_after=self._retry_after(response.headers))
        if status == 404:
            return NotFoundError(SYSTEM, message, status=status)
        if status >= 500 and not _odata_error(response.content):
            return TransientError(SYSTEM, message, status=status)
        # Exact answers business-rule refusals ("Verplicht: Serie") as 500 with an error body.
        return RejectedError(SYSTEM, message, status=status)

    def _retry_after(self, headers: httpx.Headers) -> float | None:
        seconds = _int(headers, "Retry-After", None)
        if seconds is not None:
            return float(seconds)
        if self.limits.minutely_reset is not None:
            return max(0.0, self.limits.minutely_reset - self._clock())
        return None


def _entity_name(resource: str) -> str:
    path = resource.split("?")[0]
    return path.rsplit("/api/v1/", 1)[-1].split("/", 1)[-1] if "://" in path else path


def _int(headers: httpx.Headers, name: str, default: int | None) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else default


def _odata_error(content: bytes) -> bool:
    return content.lstrip().startswith(b"{") and b'"error"' in content


def _loads(response: httpx.Response) -> Any:
    return json_answer(response, SYSTEM, "answer is not JSON (cut short, or Atom XML?)")


def _found_guid(record: dict[str, Any] | None, key: str, what: str) -> str | None:
    return None if record is None else _guid(record, key, what)


def _guid(record: dict[str, Any], key: str, what: str) -> str:
    value = record.get(key)
    if value in (None, ""):
        raise ProtocolError(SYSTEM, f"{what} without {key}")
    return str(value)
