"""A local Moneybird API v2: one administration with its tax rates, ledger accounts, contacts and
sales invoices, as much as a sync needs.

Speaks the real wire format: `Authorization: Bearer <token>`, paths
`/api/v2/{administration_id}/{resource}.json`, bodies wrapped in the singular resource name, ids
as 18-digit strings, money as decimal strings, list GETs as bare arrays with `page`/`per_page`,
errors as `{"error": "...", "symbolic": {...}}` or (422) `{"error": {field: [messages]},
"details": {...}}`, and a request budget per window announced in `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (epoch seconds); over it, 429 with the bare JSON string
"Retry later" and `Retry-After`. A new sales invoice is a draft (`state` "draft", `invoice_id`
null). What it accepted is kept in `simulator.contacts` and `simulator.invoices`.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from ..simulation import Faults, Reply, Request, Simulator
from .simulator_data import ADMINISTRATION, LEDGER_ACCOUNTS, TAX_RATES

DEMO_TOKEN = "demo-moneybird-api-token"
API_PREFIX = "/api/v2/"
CENT = Decimal("0.01")
STAMP = "2026-01-02T09:00:00.000Z"


class _Refused(Exception):
    """A request Moneybird refuses, with its JSON error body."""

    def __init__(self, status: int, body: object) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def _not_found(error: str, field: str) -> _Refused:
    return _Refused(404, {"error": error, "symbolic": {field: "not_found"}})


def _invalid(fields: dict[str, list[str]]) -> _Refused:
    details = {k: [{"error": m} for m in messages] for k, messages in fields.items()}
    return _Refused(422, {"error": fields, "details": details})


def _json(status: int, document: object, headers: dict[str, str]) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode()
    return Reply(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})


class WindowBudget:
    """Requests per fixed window of `seconds` (about 150 per 5 minutes per IP)."""

    def __init__(self, limit: int, seconds: int, clock: Callable[[], float]) -> None:
        self.limit, self.seconds, self._clock = limit, seconds, clock
        self._window = -1
        self._used = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, dict[str, str]]:
        """Whether one more request fits, and the RateLimit-* headers to answer with."""
        with self._lock:
            now = self._clock()
            window = int(now // self.seconds)
            if window != self._window:
                self._window, self._used = window, 0
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            reset = (window + 1) * self.seconds
            headers = {
                "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(self.limit - self._used),
                "RateLimit-Reset": str(reset),
            }
            if not allowed:
                headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            return allowed, headers


class MoneybirdSimulator(Simulator):
    """Moneybird over real HTTP; keeps the contacts and sales invoices it accepted."""

    name = "moneybird"

    def __init__(
        self,
        *,
        token: str = DEMO_TOKEN,
        administration: dict[str, Any] | None = None,
        tax_rates: tuple[dict[str, Any], ...] = TAX_RATES,
        ledger_accounts: tuple[dict[str, Any], ...] = LEDGER_ACCOUNTS,
        rate_limit: int = 150,
        rate_window: int = 300,
        clock: Callable[[], float] = time.time,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.administration = dict(administration or ADMINISTRATION)
        self.tax_rates = [dict(rate) for rate in tax_rates]
        self.ledger_accounts = [dict(account) for account in ledger_accounts]
        self.contacts: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.requests_log: list[tuple[str, str, bytes]] = []
        self.budget = WindowBudget(rate_limit, rate_window, clock)
        self._token = token
        self._next_id = 480_000_000_000_000_001
        self._next_draft = 1
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (f"MoneybirdSimulator(contacts={len(self.contacts)}, "
                f"invoices={len(self.invoices)}, port={self.port})")

    @property
    def administration_id(self) -> str:
        return str(self.administration["id"])

    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        if kind == "429":
            retry = f"{self.faults.retry_after:g}"
            return _json(429, "Retry later", {"Retry-After": retry, "RateLimit-Remaining": "0"})
        return _json(500, {"error": "Internal server error"}, {})

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self._token}":
            return _json(401, {"error": "No valid access token given"}, {})
        allowed, headers = self.budget.take()
        if not allowed:
            return _json(429, "Retry later", headers)
        with self._lock:
            self.requests_log.append((request.method, request.path, request.body))
        path = request.path
        if not path.startswith(API_PREFIX) or not path.endswith(".json"):
            return _json(404, {"error": "Not found"}, headers)
        parts = [unquote(p) for p in path[len(API_PREFIX):-len(".json")].split("/") if p]
        try:
            with self._lock:
                status, document = self._route(request, parts)
        except _Refused as refused:
            status, document = refused.status, refused.body
        return _json(status, document, headers)

    def _route(self, request: Request, parts: list[str]) -> tuple[int, object]:
        method = request.method
        if parts == ["administrations"] and method == "GET":
            return 200, [self.administration]
        if not parts or parts[0] != self.administration_id:
            raise _not_found("record not found", "administration_id")
        resource = parts[1:]
        if resource == ["tax_rates"] and method == "GET":
            return 200, _page(self.tax_rates, request.query)
        if resource == ["ledger_accounts"] and method == "GET":
            return 200, list(self.ledger_accounts)
        if resource == ["contacts"] and method == "POST":
            return 201, self._create_contact(_body(request, "contact"))
        if resource[:2] == ["contacts", "customer_id"] and len(resource) == 3 and method == "GET":
            return 200, self._contact_by_customer_id(resource[2])
        if resource[:1] == ["contacts"] and len(resource) == 2 and method == "GET":
            if resource[1] not in self.contacts:
                raise _not_found("record not found", "id")
            return 200, self.contacts[resource[1]]
        if resource == ["sales_invoices"] and method == "POST":
            return 201, self._create_invoice(_body(request, "sales_invoice"))
        if resource == ["sales_invoices"] and method == "GET":
            return 200, _page(list(self.invoices.values()), request.query)
        if resource[:2] == ["sales_invoices", "find_by_reference"] and len(resource) == 3:
            for invoice in self.invoices.values():
                if invoice["reference"] == resource[2]:
                    return 200, invoice
            raise _not_found(f"Sales invoice with reference: {resource[2]} was not found",
                             "reference")
        if resource[:1] == ["sales_invoices"] and len(resource) == 2 and method == "GET":
            if resource[1] not in self.invoices:
                raise _not_found("record not found", "id")
            return 200, self.invoices[resource[1]]
        raise _Refused(404, {"error": "Not found"})

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    # -- contacts -------------------------------------------------------------------------
    def _contact_by_customer_id(self, customer_id: str) -> dict[str, Any]:
        for contact in self.contacts.values():
            if contact["customer_id"] == customer_id:
                return contact
        raise _not_found("record not found", "customer_id")

    def _create_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        if not any(str(body.get(k) or "").strip() for k in ("company_name", "firstname",
                                                              "lastname")):
            raise _invalid({k: ["is required"] for k in ("firstname", "lastname",
                                                          "company_name")})
        customer_id = str(body.get("customer_id") or "").strip() or str(len(self.contacts) + 1)
        if any(c["customer_id"] == customer_id for c in self.contacts.values()):
            raise _invalid({"customer_id": ["is already taken"]})
        contact_id = self._new_id()
        text = {key: "" if value is None else str(value) for key, value in body.items()}
        self.contacts[contact_id] = {
            "id": contact_id, "administration_id": self.administration_id,
            "company_name": "", "firstname": "", "lastname": "", "address1": "",
            "address2": "", "zipcode": "", "city": "", "country": "NL", "phone": "",
            "delivery_method": "Email", "email": "", "send_invoices_to_email": "",
            "tax_number": "", **text, "customer_id": customer_id,
            "created_at": STAMP, "updated_at": STAMP, "version": 1,
        }
        return self.contacts[contact_id]

    # -- sales invoices -------------------------------------------------------------------
    def _create_invoice(self, body: dict[str, Any]) -> dict[str, Any]:
        contact_id = str(body.get("contact_id") or "")
        if contact_id not in self.contacts:
            raise _Refused(422, {"error": "Contact is required",
                                 "symbolic": {"contact": "required"}})
        incl = body.get("prices_are_incl_tax") is True
        details = [self._detail(raw, incl) for raw in body.get("details_attributes") or []]
        invoice_id = self._new_id()
        # VAT per rate over the sum of its details, as Moneybird's tax_totals show it.
        sums: dict[str, Decimal] = {}
        for d in details:
            sums[d["tax_rate_id"]] = sums.get(d["tax_rate_id"], Decimal("0.00")) + d.pop("_line")
        taxes = {rid: self._tax(rid, amount, incl) for rid, amount in sums.items()}
        tax = sum((t[1] for t in taxes.values()), Decimal("0.00"))
        excl = sum((t[0] for t in taxes.values()), Decimal("0.00"))
        invoice = {
            "id": invoice_id, "administration_id": self.administration_id,
            "contact_id": contact_id, "contact": self.contacts[contact_id],
            "invoice_id": None, "draft_id": self._next_draft, "state": "draft",
            "invoice_date": _day(body.get("invoice_date")), "reference": str(
                body.get("reference") or ""),
            "currency": str(body.get("currency") or self.administration["currency"]),
            "prices_are_incl_tax": incl, "workflow_id": body.get("workflow_id"),
            "document_style_id": body.get("document_style_id"),
            "details": [{k: _out(v) for k, v in d.items()} for d in details],
            "total_price_excl_tax": _out(excl), "total_price_incl_tax": _out(excl + tax),
            "tax_totals": [{"tax_rate_id": rid, "taxable_amount": _out(t[0]),
                            "tax_amount": _out(t[1])} for rid, t in taxes.items()],
            "created_at": STAMP, "updated_at": STAMP,
        }
        self._next_draft += 1
        self.invoices[invoice_id] = invoice
        return invoice

    def _detail(self, raw: Any, incl: bool) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _invalid({"details_attributes": ["is invalid"]})
        rate = next((r for r in self.tax_rates if r["id"] == str(raw.get("tax_rate_id"))
                     and r["tax_rate_type"] == "sales_invoice"), None)
        if rate is None:
            raise _invalid({"details.tax_rate_id": ["is invalid"]})
        if not any(a["id"] == str(raw.get("ledger_account_id"))
                   for a in self.ledger_accounts):
            raise _invalid({"details.ledger_account_id": ["is invalid"]})
        price = _decimal(raw.get("price"), "details.price")
        amount = _decimal(str(raw.get("amount") or "1").split(" ")[0], "details.amount")
        line = (price * amount).quantize(CENT, ROUND_HALF_UP)
        return {
            "id": self._new_id(), "description": str(raw.get("description") or ""),
            "price": price, "amount": str(raw.get("amount") or "1"),
            "amount_decimal": amount, "tax_rate_id": rate["id"],
            "ledger_account_id": str(raw["ledger_account_id"]),
            "total_price": line, "_line": line,
        }

    def _tax(self, rate_id: str, amount: Decimal, incl: bool) -> tuple[Decimal, Decimal]:
        """(taxable amount, VAT) of the details at one rate."""
        rate = next(r for r in self.tax_rates if r["id"] == rate_id)
        percent = Decimal(rate["percentage"] or "0")
        tax = (amount * percent / (100 + percent) if incl else amount * percent / 100).quantize(
            CENT, ROUND_HALF_UP)
        return (amount - tax if incl else amount), tax

    # -- CLI ------------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        return [
            f"token: {DEMO_TOKEN}   administration_id: {self.administration_id}   "
            "(demo credentials of this simulator only)",
            f"sales tax rates: {', '.join(r['name'] for r in self.tax_rates)}",
            f"try: curl -H 'Authorization: Bearer {DEMO_TOKEN}' "
            f"{self.url}/api/v2/{self.administration_id}/tax_rates.json",
        ]


def _body(request: Request, wrapper: str) -> dict[str, Any]:
    try:
        document = json.loads(request.body or b"null", parse_float=Decimal)
    except ValueError:
        raise _Refused(400, {"error": "Invalid JSON"}) from None
    inner = document.get(wrapper) if isinstance(document, dict) else None
    if not isinstance(inner, dict):
        raise _Refused(400, {"error": f"{wrapper} is missing", "symbolic": {wrapper: "required"}})
    return inner


def _page(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    try:
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "50"))
    except ValueError:
        raise _Refused(400, {"error": "page does not have a valid value"}) from None
    if page < 1:
        raise _Refused(400, {"error": "page does not have a valid value"})
    if not 1 <= per_page <= 100:
        raise _Refused(400, {"error": "per_page does not have a valid value"})
    return rows[(page - 1) * per_page: page * per_page]


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid({field: ["is not a number"]}) from None
    if not number.is_finite():
        raise _invalid({field: ["is not a number"]})
    return number


def _day(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat() if value else date.today().isoformat()
    except ValueError:
        raise _invalid({"invoice_date": ["is not a valid date"]}) from None


def _out(value: Any) -> Any:
    """Money and quantities as Moneybird writes them: decimal strings."""
    return format(value, "f") if isinstance(value, Decimal) else value


def cli_simulator(*, port: int, latency: float, faults: Faults) -> MoneybirdSimulator:
    """`mapper simulate moneybird`: an empty administration with Dutch tax rates."""
    return MoneybirdSimulator(port=port, latency=latency, faults=faults)
