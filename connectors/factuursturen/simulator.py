"""A local FactuurSturen.nl API v1: clients, invoices and the country list a sync needs.

Speaks the real wire format: HTTP basic auth (account name : API key), JSON bodies, list GETs as
bare arrays, single GETs wrapped (`{"client": {...}}`), POSTs answering the new client number or
invoice number as plain text, validation errors as 4xx with a plain-text message, and an hourly
call budget reported in `x-ratelimit-remaining` (429 when spent). GET invoices pages with
`count` and `offset` (at most `max_page` per answer, oldest first) and filters on `since` and
`until` (the `sent` day). `booking_latency` makes POST invoices book late, as a slow server
would, after the caller may have given up; `wait_for_bookings` waits for those bookings. What it accepted is kept in
`simulator.clients`, `simulator.invoices` and `simulator.saved` for tests to inspect.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from ..simulation import Faults, Reply, Request, Simulator
from .simulator_data import (
    CLIENT_DEFAULTS,
    DEFAULT_TAXES,
    DEMO_CLIENTS,
    PAYMENT_CONDITION,
    country_id,
    country_list,
    tax_rates,
)

DEMO_USERNAME = "demo-webshop"
DEMO_API_KEY = "demo-factuursturen-api-key"
API_PREFIX = "/api/v1/"
ACTIONS = ("send", "save", "repeat")
SENDMETHODS = ("mail", "email", "printcenter")
CENT = Decimal("0.01")
LOCAL = ZoneInfo("Europe/Amsterdam")
HISTORY_TEXT = {
    "email": "Factuur verstuurd via e-mail",
    "mail": "Factuur aangemaakt om zelf te printen",
    "printcenter": "Factuur verstuurd via het printcenter",
}


class _Invalid(Exception):
    """A request Factuursturen refuses; the message is what its plain-text body says."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(document: object, headers: dict[str, str], status: int = 200) -> Reply:
    body = json.dumps(document, default=_json_value, ensure_ascii=False).encode()
    return Reply(status, body, {"Content-Type": "application/json", **headers})


def _text(status: int, text: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8",
                                         **(headers or {})})


def _number(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise _Invalid(f"{what} is required and must be a number")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _Invalid(f"{what} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise _Invalid(f"{what} must be a number, not {value!r}")
    return number


class HourlyBudget:
    """The account's calls per clock hour; `x-ratelimit-remaining` counts down from `limit`."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._hour = -1
        self._used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            hour = int(self._clock() // 3600)
            if hour != self._hour:
                self._hour, self._used = hour, 0
            if self._used >= self.limit:
                return False
            self._used += 1
            return True

    @property
    def remaining(self) -> int:
        with self._lock:
            if int(self._clock() // 3600) != self._hour:
                return self.limit
            return max(0, self.limit - self._used)


class FactuursturenSimulator(Simulator):
    """FactuurSturen.nl over real HTTP; keeps the clients and invoices it accepted."""

    name = "factuursturen"

    def __init__(
        self,
        *,
        username: str = DEMO_USERNAME,
        api_key: str = DEMO_API_KEY,
        clients: list[dict[str, Any]] | None = None,
        taxes: tuple[dict[str, Any], ...] = DEFAULT_TAXES,
        first_invoice_seq: int = 1,
        rate_limit_hour: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(LOCAL),
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        booking_latency: float = 0.0,
        max_page: int = 100,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        # Seconds POST invoices works before it books and answers, whether or not the caller
        # still waits (a server that does not notice its caller hung up).
        self.booking_latency = booking_latency
        self.bookings_finished = 0
        self._bookings = threading.Condition()
        # The most invoices one GET invoices answers (also without `count`): callers page.
        self.max_page = max_page
        self.clients: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.saved: dict[str, dict[str, Any]] = {}
        self.taxes = taxes
        self.budget = HourlyBudget(rate_limit_hour, clock)
        self.posts: list[str] = []
        self.requests_log: list[tuple[str, str, bytes]] = []
        self._rates = tax_rates(taxes)
        self._now = now
        self._next_seq = first_invoice_seq
        self._next_id = 101
        self._lock = threading.RLock()
        self._expected_auth = "Basic " + base64.b64encode(
            f"{username}:{api_key}".encode()
        ).decode()
        for client in clients or []:
            self._store_client(client)

    def __repr__(self) -> str:
        return (f"FactuursturenSimulator(clients={len(self.clients)}, "
                f"invoices={len(self.invoices)}, port={self.port})")


    # -- serving ------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        if kind == "429":
            return _text(429, "Too many requests", {
                "Retry-After": f"{self.faults.retry_after:g}", "x-ratelimit-remaining": "0"})
        return _text(500, "Internal Server Error")

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != self._expected_auth:
            return _text(401, "Unauthorized: wrong username or API key")
        if not self.budget.take():
            return _text(429, "API limit reached, try again next hour",
                         {"x-ratelimit-remaining": "0"})
        headers = {"x-ratelimit-remaining": str(self.budget.remaining)}
        with self._lock:
            self.requests_log.append((request.method, request.path, request.body))
        if not request.path.startswith(API_PREFIX):
            return _text(404, "Not found", headers)
        parts = [p for p in request.path[len(API_PREFIX):].split("/") if p]
        if request.method != "POST" or parts != ["invoices"]:
            return self._served(request, parts, headers)
        time.sleep(self.booking_latency)
        try:
            return self._served(request, parts, headers)
        finally:
            with self._bookings:
                self.bookings_finished += 1
                self._bookings.notify_all()

    def wait_for_bookings(self, count: int, timeout: float) -> bool:
        """Wait until `count` POST invoices calls are over (booked or refused)."""
        with self._bookings:
            return self._bookings.wait_for(lambda: self.bookings_finished >= count, timeout)

    def _served(self, request: Request, parts: list[str], headers: dict[str, str]) -> Reply:
        try:
            with self._lock:
                return self._route(request, parts, headers)
        except _Invalid as error:
            return _text(error.status, error.message, headers)

    def _route(self, request: Request, parts: list[str], headers: dict[str, str]) -> Reply:
        method = request.method
        resource, rest = (parts[0], parts[1:]) if parts else ("", [])
        if resource == "countrylist" and method == "GET" and len(rest) <= 1:
            return _json(country_list(rest[0] if rest else "nl"), headers)
        if resource == "taxes" and method == "GET" and not rest:
            return _json(list(self.taxes), headers)
        if resource == "clients":
            if method == "GET" and not rest:
                return _json(list(self.clients.values()), headers)
            if method == "GET" and len(rest) == 1:
                return _json({"client": self._client(rest[0])}, headers)
            if method == "POST" and not rest:
                return _text(201, self._create_client(_body(request)), headers)
            if method == "PUT" and len(rest) == 1:
                self._client(rest[0]).update(_body(request))
                return _text(200, rest[0], headers)
        if resource == "invoices":
            if method == "GET" and not rest:
                return _json(self._list_invoices(request.query), headers)
            if method == "GET" and len(rest) == 1:
                invoice = self.invoices.get(rest[0])
                if invoice is None:
                    raise _Invalid(f"Invoice {rest[0]} not found", 404)
                return _json({"invoice": invoice}, headers)
            if method == "POST" and not rest:
                return _text(201, self._create_invoice(_body(request)), headers)
        if resource == "invoices_saved" and method == "GET" and not rest:
            return _json(list(self.saved.values()), headers)
        raise _Invalid("Not found", 404)

    # -- clients ------------------------------------------------------------------------
    def _client(self, clientnr: str) -> dict[str, Any]:
        client = self.clients.get(clientnr)
        if client is None:
            raise _Invalid(f"Client {clientnr} not found", 404)
        return client

    def _create_client(self, body: dict[str, Any]) -> str:
        nr = str(body.get("clientnr") or "").strip()
        if nr and not nr.isdigit():
            raise _Invalid(f"clientnr must be a number, not {nr!r}")
        if nr in self.clients:
            raise _Invalid(f"Client number {nr} already exists")
        if not (body.get("company") or body.get("contact")):
            raise _Invalid("A client needs a company or a contact name")
        sendmethod = body.get("sendmethod", CLIENT_DEFAULTS["sendmethod"])
        if sendmethod not in SENDMETHODS:
            raise _Invalid(f"Unknown sendmethod {sendmethod!r} (mail, email or printcenter)")
        if sendmethod == "email" and not body.get("email"):
            raise _Invalid("An e-mail address is required when sendmethod is email")
        if body.get("tax_type", "extax") not in ("intax", "extax"):
            raise _Invalid(f"Unknown tax_type {body.get('tax_type')!r} (intax or extax)")
        return self._store_client(body)

    def _store_client(self, body: dict[str, Any]) -> str:
        nr = str(body.get("clientnr") or "").strip() or str(
            max((int(n) for n in self.clients), default=0) + 1
        )
        client = {"clientnr": nr, **CLIENT_DEFAULTS}
        for key, value in body.items():
            # Factuursturen answers numbers as strings outside invoice lines.
            client[key] = str(value) if isinstance(value, (int, Decimal)) and not isinstance(
                value, bool) else value
        client["clientnr"] = nr
        if "country" in body:
            cid = country_id(body["country"])
            if cid is None:
                raise _Invalid(f"Unknown country {body['country']!r}")
            client["country"] = cid
        client["timestamp"] = self._now().strftime("%Y-%m-%d %H:%M:%S")
        self.clients[nr] = client
        return nr

    # -- invoices -----------------------------------------------------------------------
    def _create_invoice(self, body: dict[str, Any]) -> str:
        nr = str(body.get("clientnr") or "").strip()
        if not nr:
            raise _Invalid("clientnr is required")
        client = self.clients.get(nr)
        if client is None:
            raise _Invalid(f"Client {nr} does not exist; create the client first")
        action = body.get("action")
        if action not in ACTIONS:
            raise _Invalid(f"action must be one of send, save, repeat; not {action!r}")
        if action in ("save", "repeat") and not str(body.get("savename") or "").strip():
            raise _Invalid(f"savename is required when action is {action}")
        if action == "repeat":
            missing = [f for f in ("initialdate", "frequency") if not body.get(f)]
            if missing:
                raise _Invalid(f"{', '.join(missing)} required when action is repeat")
        lines = self._lines(body.get("lines"))
        if action == "send":
            sendmethod = body.get("sendmethod") or client.get("sendmethod")
            if sendmethod not in SENDMETHODS:
                raise _Invalid(f"sendmethod must be mail, email or printcenter; not "
                               f"{sendmethod!r}")
            if sendmethod == "email" and not client.get("email"):
                raise _Invalid(f"Client {nr} has no e-mail address to send the invoice to")
            return self._send(body, client, lines, sendmethod)
        return self._save(body, client, lines)

    def _lines(self, raw: object) -> list[dict[str, Any]]:
        if isinstance(raw, dict):
            items = list(raw.items())
        elif isinstance(raw, list):
            items = [(f"line{i + 1}", line) for i, line in enumerate(raw)]
        else:
            raise _Invalid("The invoice has no lines")
        if not items:
            raise _Invalid("The invoice has no lines")
        lines = []
        for key, line in items:
            if not isinstance(line, dict):
                raise _Invalid(f"{key} must be an object")
            rate = _number(line.get("tax_rate"), f"{key}: tax_rate")
            if rate not in self._rates:
                known = ", ".join(str(r) for r in sorted(self._rates, reverse=True))
                raise _Invalid(f"{key}: tax_rate {line.get('tax_rate')} is not one of the "
                               f"account's VAT rates ({known})")
            discount = _number(line.get("discount_pct", 0) or 0, f"{key}: discount_pct")
            if not 0 <= discount <= 100:
                raise _Invalid(f"{key}: discount_pct must be between 0 and 100")
            amount = _number(line.get("amount"), f"{key}: amount")
            price = _number(line.get("price"), f"{key}: price")
            lines.append({
                "amount": amount,
                "amount_desc": str(line.get("amount_desc", "")),
                "description": str(line.get("description", "")),
                "tax_rate": rate,
                "price": price,
                "discount_pct": discount,
                "linetotal": _money(amount * price * (100 - discount) / 100),
            })
        return lines

    def _send(self, body: dict[str, Any], client: dict[str, Any], lines: list[dict[str, Any]],
              sendmethod: str) -> str:
        forced = body.get("invoicenr")
        now = self._now()
        if forced not in (None, ""):
            number = str(forced)
            if not number.isdigit():
                raise _Invalid("invoicenr must be a whole number without prefix")
        else:
            number = f"{now.year}{self._next_seq:04d}"
            self._next_seq += 1
        if number in self.invoices:
            raise _Invalid(f"Invoice number {number} already exists")
        taxes, tax, total = self._totals(body, client, lines)
        period = int(body.get("paymentperiod") or client.get("top") or 14)
        paid = str(body.get("alreadypaid") or "")
        open_amount = Decimal(0) if paid == "full" else total - _number(paid or 0, "alreadypaid")
        today = now.date()
        invoice_id = str(self._next_id)
        self._next_id += 1
        self.invoices[number] = {
            "id": invoice_id,
            "invoicenr_full": number,
            "invoicenr": number,
            "reference": _reference(body.get("reference")),
            "lines": {f"line{i + 1}": line for i, line in enumerate(lines)},
            "profile": str(body.get("profile", "0")),
            "discounttype": str(body.get("discounttype", "")),
            "discount": str(body.get("discount", "0")),
            "paymentcondition": str(body.get("paymentcondition", PAYMENT_CONDITION)),
            "paymentperiod": str(period),
            "collection": "1" if client.get("paymentmethod") == "autocollect" else "0",
            "tax": f"{tax:.2f}",
            "totalintax": f"{total:.2f}",
            "clientnr": client["clientnr"],
            **{key: str(client.get(key, "")) for key in (
                "company", "contact", "address", "zipcode", "city", "country", "phone",
                "mobile", "email", "taxnumber")},
            "invoicenote": "",
            "sent": today.isoformat(),
            "uncollectible": "",
            "lastreminder": "",
            "open": f"{open_amount:.2f}",
            "paiddate": today.isoformat() if open_amount <= 0 else "",
            "taxes": taxes,
            "payment_url": f"{self.url}/pay?i={invoice_id}",
            "duedate": (today + timedelta(days=period)).isoformat(),
            "history": {"item1": {"date": today.isoformat(), "time": now.strftime("%H:%M"),
                                  "description": HISTORY_TEXT[sendmethod]}},
        }
        client["lastinvoice"] = today.isoformat()
        self.posts.append(number)
        return number

    def _save(self, body: dict[str, Any], client: dict[str, Any],
              lines: list[dict[str, Any]]) -> str:
        name = str(body["savename"]).strip()
        existing = next((s for s in self.saved.values() if s["savename"] == name), None)
        if existing is not None and not _truthy(body.get("overwrite_if_exist")):
            raise _Invalid(f"A saved invoice named {name!r} already exists")
        saved_id = existing["id"] if existing else str(self._next_id)
        if existing is None:
            self._next_id += 1
        _, tax, total = self._totals(body, client, lines)
        self.saved[saved_id] = {
            "id": saved_id,
            "savename": name,
            "action": body["action"],
            "clientnr": client["clientnr"],
            "reference": _reference(body.get("reference")),
            "lines": {f"line{i + 1}": line for i, line in enumerate(lines)},
            "tax": f"{tax:.2f}",
            "totalintax": f"{total:.2f}",
            **{key: str(body[key]) for key in (
                "initialdate", "finalsenddate", "frequency", "repeattype") if key in body},
        }
        self.posts.append(saved_id)
        return saved_id

    def _totals(self, body: dict[str, Any], client: dict[str, Any],
                lines: list[dict[str, Any]]) -> tuple[dict[str, Any], Decimal, Decimal]:
        """VAT per rate; prices include VAT when the client's tax_type is `intax`."""
        per_rate: dict[Decimal, Decimal] = {}
        for line in lines:
            per_rate[line["tax_rate"]] = per_rate.get(line["tax_rate"], Decimal(0)) + line[
                "linetotal"]
        per_rate = _apply_discount(per_rate, body.get("discounttype"), body.get("discount"))
        includes_vat = client.get("tax_type") == "intax"
        taxes: dict[str, Any] = {}
        tax_total = total = Decimal(0)
        for i, (rate, amount) in enumerate(sorted(per_rate.items(), reverse=True)):
            if includes_vat:
                base = _money(amount * 100 / (100 + rate))
                tax = amount - base
            else:
                base, tax = amount, _money(amount * rate / 100)
            taxes[f"tax{i + 1}"] = {"rate": rate, "sum": f"{tax:.2f}", "sum_of": f"{base:.2f}"}
            tax_total += tax
            total += base + tax
        return taxes, tax_total, total

    def _list_invoices(self, query: dict[str, str]) -> list[dict[str, Any]]:
        found = list(self.invoices.values())
        state = query.get("filter")
        if state == "open":
            found = [i for i in found if Decimal(i["open"]) > 0]
        elif state == "paid":
            found = [i for i in found if Decimal(i["open"]) <= 0]
        elif state == "sent":
            found = [i for i in found if i["sent"]]
        if query.get("since"):
            found = [i for i in found if i["sent"] >= _day(query["since"])]
        if query.get("until"):
            found = [i for i in found if i["sent"] <= _day(query["until"])]
        offset = _count(query.get("offset"), "offset", 0)
        count = min(_count(query.get("count"), "count", self.max_page), self.max_page)
        return found[offset: offset + count]

    # -- CLI ------------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        return [
            f"username: {DEMO_USERNAME}   API key: {DEMO_API_KEY}   "
            "(demo credentials of this simulator only)",
            f"VAT rates: {', '.join(str(t['percentage']) for t in self.taxes)}; "
            f"{self.budget.limit} calls per hour",
            f"try: curl -u {DEMO_USERNAME}:{DEMO_API_KEY} {self.url}/api/v1/countrylist/nl",
        ]


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null", parse_float=Decimal)
    except ValueError:
        raise _Invalid("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Invalid("The request body must be a JSON object")
    return body


def _reference(raw: object) -> dict[str, str]:
    if isinstance(raw, dict):
        return {f"line{i}": str(raw.get(f"line{i}", "")) for i in (1, 2, 3)}
    return {"line1": "" if raw is None else str(raw), "line2": "", "line3": ""}


def _count(text: str | None, what: str, default: int) -> int:
    if text in (None, ""):
        return default
    if not text.isdigit():
        raise _Invalid(f"{what} must be a whole number, not {text!r}")
    return int(text)


def _truthy(value: object) -> bool:
    return value in (True, 1, "1", "true", "True", "yes")


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise _Invalid(f"Invalid date {text!r}, expected YYYY-MM-DD") from None


def _apply_discount(per_rate: dict[Decimal, Decimal], kind: object,
                    value: object) -> dict[Decimal, Decimal]:
    """An invoice-wide discount, spread over the VAT rates in proportion to their amounts."""
    if kind in (None, "") or value in (None, "", 0, "0"):
        return per_rate
    discount = _number(value, "discount")
    gross = sum(per_rate.values(), Decimal(0))
    if kind == "percentage":
        return {rate: _money(amount * (100 - discount) / 100) for rate, amount in per_rate.items()}
    if kind == "amount":
        if gross == 0:
            return per_rate
        return {rate: _money(amount - discount * amount / gross)
                for rate, amount in per_rate.items()}
    raise _Invalid(f"discounttype must be amount or percentage, not {kind!r}")


def cli_simulator(*, port: int, latency: float, faults: Faults) -> FactuursturenSimulator:
    """`mapper simulate factuursturen`: an account with one client booked by hand."""
    return FactuursturenSimulator(
        clients=[dict(c) for c in DEMO_CLIENTS], port=port, latency=latency, faults=faults
    )
