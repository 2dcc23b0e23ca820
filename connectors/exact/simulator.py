"""A local Exact Online REST API: OAuth 2 with rotating refresh tokens, one division with its
journals, VAT codes and GL accounts, accounts and sales entries — as much as a sync needs.

Speaks the real wire format (reference FORMATS.md §10): `POST /api/oauth2/token` (form;
answers `expires_in` as a string, a NEW refresh token every time, the old one dead; OAuth
errors `{"error": "invalid_grant"}`), `GET /api/v1/current/Me`, every other path
`/api/v1/{division}/{service}/{Entity}` (service names case-insensitive; another division →
403). Bodies under `d`, lists as `{"d": {"results": [...], "__next": "<URL with
$skiptoken=guid'…'>"}}` of at most 60 records, `$filter` (`eq`, `ge`, `le`, `gt`, `lt` joined
by `and`, literals `'…'`, `guid'…'`, `datetime'…'`, numbers) and `$select`; dates as
`/Date(ms)/`; without `Accept: application/json` an Atom feed. Account Codes and VAT codes are
compared with their padding. Budgets of 60 calls a minute and 5000 a day, announced in
`X-RateLimit-Minutely-*` and `X-RateLimit-*` (resets in epoch ms); over them 429.

Not confirmed by a captured answer, so this project's choice: the text of error messages, the
401 and 429 bodies (OData error shape), and whether 429 carries Retry-After (it does not here).
What it accepted is kept in `simulator.accounts` and `simulator.entries`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote

from ..simulation import Faults, Reply, Request, Simulator
from . import odata
from .simulator_data import DIVISION, DIVISION_NAME, GL_ACCOUNTS, JOURNALS, VAT_CODES

DEMO_CLIENT_ID = "5e1f7c2a-demo-4f7b-exact-client"
DEMO_CLIENT_SECRET = "demo-exact-client-secret-Qm9v"
DEMO_REFRESH_TOKEN = "demo-exact-refresh-token-Zk1x"
# Every token the simulator issues starts with this, so the no-secrets guard catches them all.
ISSUED_PREFIX = "exactsim-7Hq2"
TOKEN_SECONDS = 600
PAGE_SIZE = 60
CENT = Decimal("0.01")
_CLAUSE = re.compile(r"^(\w+) (eq|ge|le|gt|lt) (.+)$")


class _Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _odata_error(status: int, message: str, headers: dict[str, str]) -> Reply:
    body = {"error": {"code": "", "message": {"lang": "", "value": message}}}
    return _json(status, body, headers)


def _json(status: int, document: object, headers: dict[str, str]) -> Reply:
    return Reply(status, odata.dumps(document).encode(),
                 {"Content-Type": "application/json; charset=utf-8", **headers})


class Budget:
    """Calls per fixed window: the minutely and the daily one."""

    def __init__(self, limit: int, seconds: int, clock: Callable[[], float]) -> None:
        self.limit, self.seconds, self._clock = limit, seconds, clock
        self._window, self.used = -1, 0

    def take(self) -> tuple[bool, int, int]:
        """(allowed, remaining, reset in epoch ms)."""
        window = int(self._clock() // self.seconds)
        if window != self._window:
            self._window, self.used = window, 0
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        return allowed, self.limit - self.used, (window + 1) * self.seconds * 1000


class ExactSimulator(Simulator):
    """Exact Online over real HTTP; keeps the accounts and sales entries it accepted."""

    name = "exact"

    def __init__(
        self,
        *,
        division: int = DIVISION,
        vat_codes: tuple[dict[str, Any], ...] = VAT_CODES,
        gl_accounts: tuple[dict[str, Any], ...] = GL_ACCOUNTS,
        journals: tuple[dict[str, Any], ...] = JOURNALS,
        minutely_limit: int = 60,
        daily_limit: int = 5000,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.time,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.division = division
        self.vat_codes = [dict(c) for c in vat_codes]
        self.gl_accounts = [dict(a) for a in gl_accounts]
        self.journals = [dict(j) for j in journals]
        self.accounts: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self.requests_log: list[tuple[str, str, bytes]] = []
        self.refresh_token = DEMO_REFRESH_TOKEN
        self.refreshes = 0
        self.page_size = page_size
        self.minutely = Budget(minutely_limit, 60, clock)
        self.daily = Budget(daily_limit, 86400, clock)
        # Entity paths ("crm/Accounts") whose next POST is booked but answered cut short.
        self.cut_next_answer: set[str] = set()
        self._clock = clock
        self._access: dict[str, float] = {}
        self._issued = 0
        self._invoice_number = 26700000
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (f"ExactSimulator(division={self.division}, accounts={len(self.accounts)}, "
                f"entries={len(self.entries)}, port={self.port})")

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as after its 10 minutes)."""
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)

    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        if kind == "429":
            reset = int((self._clock() + self.faults.retry_after) * 1000)
            return _odata_error(429, "Too many requests", {
                "X-RateLimit-Minutely-Limit": str(self.minutely.limit),
                "X-RateLimit-Minutely-Remaining": "0",
                "X-RateLimit-Minutely-Reset": str(reset)})
        return Reply(500, b"Internal Server Error", {"Content-Type": "text/plain"})

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests_log.append((request.method, request.path, request.body))
            if request.path == "/api/oauth2/token" and request.method == "POST":
                return self._token(request)
            if not request.path.startswith("/api/v1/"):
                return _odata_error(404, "Not found", {})
            if not self._authorized(request):
                return _odata_error(401, "Unauthorized", {})
            minutely_ok, minutely_left, minutely_reset = self.minutely.take()
            daily_ok, daily_left, daily_reset = self.daily.take() if minutely_ok else (
                True, self.daily.limit - self.daily.used, 0)
            headers = {
                "X-RateLimit-Minutely-Limit": str(self.minutely.limit),
                "X-RateLimit-Minutely-Remaining": str(minutely_left),
                "X-RateLimit-Minutely-Reset": str(minutely_reset),
                "X-RateLimit-Limit": str(self.daily.limit),
                "X-RateLimit-Remaining": str(daily_left),
                "X-RateLimit-Reset": str(daily_reset or
                                         (int(self._clock() // 86400) + 1) * 86400000),
            }
            if not (minutely_ok and daily_ok):
                return _odata_error(429, "Too many requests", headers)
            if "application/json" not in request.headers.get("accept", ""):
                return Reply(200, b'<?xml version="1.0" encoding="utf-8"?><feed '
                             b'xmlns="http://www.w3.org/2005/Atom"/>',
                             {"Content-Type": "application/atom+xml", **headers})
            try:
                status, document, entity = self._route(request)
            except _Refused as refused:
                return _odata_error(refused.status, refused.message,
                                    {**headers, **refused.headers})
            reply = _json(status, document, headers)
            if request.method == "POST" and entity in self.cut_next_answer:
                self.cut_next_answer.discard(entity)
                reply.body = reply.body[: len(reply.body) // 2]
            return reply

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        return header.startswith("Bearer ") and self._access.get(token, 0.0) > self._clock()

    def _token(self, request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        if (form.get("client_id"), form.get("client_secret")) != (DEMO_CLIENT_ID,
                                                                   DEMO_CLIENT_SECRET):
            return _json(400, {"error": "invalid_client"}, {})
        if form.get("grant_type") != "refresh_token":
            return _json(400, {"error": "unsupported_grant_type"}, {})
        if form.get("refresh_token") != self.refresh_token:
            return _json(400, {"error": "invalid_grant"}, {})
        self._issued += 1
        self.refreshes += 1
        access = f"{ISSUED_PREFIX}-access-{self._issued}-{uuid.uuid4().hex[:8]}"
        self.refresh_token = f"{ISSUED_PREFIX}-refresh-{self._issued}-{uuid.uuid4().hex[:8]}"
        self._access[access] = self._clock() + TOKEN_SECONDS
        return _json(200, {"access_token": access, "token_type": "bearer",
                           "expires_in": str(TOKEN_SECONDS),
                           "refresh_token": self.refresh_token}, {})

    def _route(self, request: Request) -> tuple[int, object, str]:
        parts = request.path[len("/api/v1/"):].split("/")
        if [p.lower() for p in parts] == ["current", "me"] and request.method == "GET":
            me = {"__metadata": {"type": "Exact.Web.Api.System.Me"},
                  "CurrentDivision": self.division, "FullName": "Sanne de Vries",
                  "DivisionCustomerName": DIVISION_NAME, "UserID": str(uuid.UUID(int=7))}
            return 200, {"d": {"results": [_selected(me, request.query)]}}, "current/Me"
        if len(parts) != 3:
            raise _Refused(404, "Not found")
        if parts[0] != str(self.division):
            raise _Refused(403, "Forbidden - WrongDivision")
        entity = f"{parts[1].lower()}/{parts[2]}"
        tables: dict[str, list[dict[str, Any]]] = {
            "vat/VATCodes": self.vat_codes, "financial/GLAccounts": self.gl_accounts,
            "financial/Journals": self.journals, "crm/Accounts": list(self.accounts.values()),
            "salesentry/SalesEntries": list(self.entries.values()),
        }
        if request.method == "GET" and entity in tables:
            return 200, self._page(request, entity, tables[entity]), entity
        if request.method == "POST" and entity == "crm/Accounts":
            return 201, {"d": self._create_account(_body(request))}, entity
        if request.method == "POST" and entity == "salesentry/SalesEntries":
            return 201, {"d": self._create_entry(_body(request))}, entity
        raise _Refused(404, f"Resource not found for the segment '{parts[2]}'.")

    def _page(self, request: Request, entity: str, rows: list[dict[str, Any]]) -> object:
        found = [r for r in rows if _matches(r, request.query.get("$filter", ""))]
        key = "EntryID" if entity == "salesentry/SalesEntries" else (
            "Code" if entity == "financial/Journals" else "ID")
        skip = request.query.get("$skiptoken", "")
        if skip:
            after = skip.removeprefix("guid").strip("'")
            index = next((i for i, r in enumerate(found) if str(r.get(key)) == after), None)
            if index is None:
                raise _Refused(400, "Bad Request - Error in query syntax.")
            found = found[index + 1:]
        page = found[: self.page_size]
        body: dict[str, Any] = {"results": [_selected(r, request.query) for r in page]}
        if len(found) > self.page_size:
            params = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            params["$skiptoken"] = f"guid'{page[-1][key]}'"
            query = "&".join(f"{k}={quote(v, safe=chr(36) + chr(39))}" for k, v in params.items())
            body["__next"] = f"{self.url}{request.path}?{query}"
        return {"d": body}

    # -- accounts -------------------------------------------------------------------------
    def _create_account(self, body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("Code") or "").strip()
        if not str(body.get("Name") or "").strip():
            raise _Refused(400, "Verplicht: Naam")
        if not code.isdigit() or len(code) > 18:
            raise _Refused(400, "Code: must be numeric, up to 18 digits")
        padded = odata.account_code(code)
        if any(a["Code"] == padded for a in self.accounts.values()):
            raise _Refused(400, f"Code already exists: {code}")
        account_id = str(uuid.uuid4())
        self.accounts[account_id] = {
            "__metadata": {"uri": f"{self.url}/api/v1/{self.division}/crm/Accounts"
                                  f"(guid'{account_id}')", "type": "Exact.Web.Api.Models.Account"},
            **{k: v for k, v in body.items() if isinstance(v, str | int | bool) or v is None},
            "ID": account_id, "Code": padded, "Division": self.division,
            "Created": odata.date_text(dt.datetime.fromtimestamp(self._clock(), dt.UTC)),
        }
        return self.accounts[account_id]

    # -- sales entries --------------------------------------------------------------------
    def _create_entry(self, body: dict[str, Any]) -> dict[str, Any]:
        journal = str(body.get("Journal") or "")
        if not any(j["Code"] == journal for j in self.journals):
            raise _Refused(400, f"Journal: {journal or '(leeg)'} bestaat niet")
        customer = str(body.get("Customer") or "")
        if customer not in self.accounts:
            raise _Refused(400, "Verplicht: Klant")
        raw_lines = body.get("SalesEntryLines")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise _Refused(400, "Verplicht: Regels")
        entry_id = str(uuid.uuid4())
        lines = [self._line(raw, entry_id, n) for n, raw in enumerate(raw_lines, 1)]
        amount = sum((line["AmountFC"] for line in lines), Decimal("0"))
        vat = sum((line["VATAmountFC"] for line in lines), Decimal("0"))
        total = amount + vat
        self._invoice_number += 1
        entry = {
            "__metadata": {"uri": f"{self.url}/api/v1/{self.division}/salesentry/SalesEntries"
                                  f"(guid'{entry_id}')",
                           "type": "Exact.Web.Api.Models.SalesEntry"},
            "EntryID": entry_id, "Division": self.division, "Journal": journal,
            "Customer": customer, "EntryDate": _date(body.get("EntryDate")),
            "YourRef": str(body.get("YourRef") or ""),
            "Description": str(body.get("Description") or ""),
            "Currency": str(body.get("Currency") or "EUR"),
            "PaymentCondition": body.get("PaymentCondition"),
            "InvoiceNumber": self._invoice_number, "EntryNumber": self._invoice_number,
            "AmountFC": total, "AmountDC": total, "VATAmountFC": vat, "VATAmountDC": vat,
            "Type": 20 if total >= 0 else 21, "Status": 20,
            "SalesEntryLines": {"results": lines},
        }
        self.entries[entry_id] = entry
        return entry

    def _line(self, raw: Any, entry_id: str, number: int) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _Refused(400, "Bad Request - Error in query syntax.")
        gl = next((a for a in self.gl_accounts if a["ID"] == str(raw.get("GLAccount"))), None)
        if gl is None:
            raise _Refused(400, "Verplicht: Grootboekrekening")
        code = next((c for c in self.vat_codes if c["Code"] == str(raw.get("VATCode"))), None)
        if code is None or code["IsBlocked"]:
            raise _Refused(400, f"Btw-code: {str(raw.get('VATCode'))!r} bestaat niet")
        amount = _number(raw.get("AmountFC"), "AmountFC")
        vat = (_number(raw["VATAmountFC"], "VATAmountFC") if raw.get("VATAmountFC") is not None
               else (amount * Decimal(code["Percentage"])).quantize(CENT, ROUND_HALF_UP))
        return {"ID": str(uuid.uuid4()), "EntryID": entry_id, "LineNumber": number,
                "GLAccount": gl["ID"], "GLAccountCode": gl["Code"],
                "Description": str(raw.get("Description") or ""),
                "Quantity": _number(raw.get("Quantity", 1), "Quantity"),
                "AmountFC": amount, "AmountDC": amount, "VATAmountFC": vat,
                "VATCode": code["Code"], "VATPercentage": Decimal(code["Percentage"]),
                "Type": 20}

    # -- CLI ------------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        return [
            f"client_id: {DEMO_CLIENT_ID}   division: {self.division}   client_secret and "
            "refresh_token: the simulator's demo values (connectors/exact/simulator.py)",
            f"sales VAT codes: {', '.join(c['Code'].strip() for c in self.vat_codes)}",
        ]


def _body(request: Request) -> dict[str, Any]:
    try:
        document = json.loads(request.body or b"null", parse_float=Decimal)
    except ValueError:
        raise _Refused(400, "Bad Request - Error in query syntax.") from None
    if not isinstance(document, dict):
        raise _Refused(400, "Bad Request - Error in query syntax.")
    return document


def _number(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _Refused(400, f"{field}: geen geldig getal") from None
    if not number.is_finite():
        raise _Refused(400, f"{field}: geen geldig getal")
    return number


def _date(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise _Refused(400, "EntryDate: geen geldige datum") from None
    return odata.date_text(moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment)


def _selected(row: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    fields = [f.strip() for f in query.get("$select", "").split(",") if f.strip()]
    if not fields:
        return row
    return {k: v for k, v in row.items() if k in fields or k == "__metadata"}


def _matches(row: dict[str, Any], expression: str) -> bool:
    if not expression.strip():
        return True
    return all(_clause(row, part.strip()) for part in expression.split(" and "))


def _clause(row: dict[str, Any], clause: str) -> bool:
    match = _CLAUSE.match(clause)
    if match is None:
        raise _Refused(400, "Bad Request - Error in query syntax.")
    field, op, literal = match.groups()
    value: Any = row.get(field)
    wanted: Any
    if literal.startswith("'") and literal.endswith("'"):
        wanted = literal[1:-1].replace("''", "'")
    elif literal.startswith("guid'"):
        wanted = literal[5:-1]
    elif literal.startswith("datetime'"):
        wanted = dt.datetime.fromisoformat(literal[9:-1]).replace(tzinfo=dt.UTC)
        value = odata.date_value(value)
        if value is None:
            return False
    else:
        try:
            wanted, value = Decimal(literal), Decimal(str(value))
        except InvalidOperation:
            raise _Refused(400, "Bad Request - Error in query syntax.") from None
    if op == "eq":
        return bool(str(value) == str(wanted)) if not isinstance(wanted, dt.datetime | Decimal) \
            else bool(value == wanted)
    compare = {"ge": value >= wanted, "le": value <= wanted, "gt": value > wanted,
               "lt": value < wanted}
    return bool(compare[op])


def cli_simulator(*, port: int, latency: float, faults: Faults) -> ExactSimulator:
    """`mapper simulate exact`: an empty division with Dutch VAT codes."""
    return ExactSimulator(port=port, latency=latency, faults=faults)
