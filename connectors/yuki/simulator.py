"""A local Yuki: the Sales, Vat and Archive SOAP web services, over real HTTP.

`YukiSimulator` answers `/ws/Sales.asmx`, `/ws/Vat.asmx` and `/ws/Archive.asmx` (and `?WSDL`,
served from `schemas/yuki/`) in SOAP 1.1 (`text/xml`, SOAPAction header) and SOAP 1.2
(`application/soap+xml; action=...`), with the envelopes, namespaces and faults of the real
service (see the reference answers in the tests). It keeps access keys (each in a domain),
administrations, the active VAT codes of each administration, sessions (24 h, injectable clock),
a daily call budget per domain (1000 by default; beyond it the real "Daily limit exceeded"
fault) and every invoice it accepted (`simulator.invoices`).

ProcessSalesInvoices works as Yuki's support pages describe: the whole document is checked
first (namespace, then `schemas/yuki/SalesInvoices.xsd`, element order included) and on failure
nothing is booked and every invoice comes back failed with the validation message; then each
invoice on its own: a SalesPrice written with more than 4 decimals, a VATType that is not
active in the administration on the invoice date, Process=true without a Reference and a
Reference already booked are refused, the rest is booked.

Seeded VAT codes of a Dutch administration (`DUTCH_VAT_CODES`). Only 1, 2, 17 and 40 are
confirmed Yuki type numbers; 3 and 18 are this simulator's choice (Yuki's full list is unknown):
  1  BTW 21%            VAT high                                     21.00
  2  BTW 9%             VAT low                                       9.00
  3  BTW 0%             VAT zero rate                                 0.00  (type number chosen)
  17 BTW verlegd (ICP)  VAT reverse-charged, sales (intra-EU B2B)     0.00
  18 Export buiten EU   VAT export outside the EU                     0.00  (type number chosen)
  40 OSS DE / OSS BE    VAT digital services and/or distance selling 19.00 / 21.00, from 2021-07-01
Choices where Yuki's behaviour is unknown: fault texts for a bad access key, an invalid
session and an unknown administration (the client recognises them by keywords); injected 500s
are SOAP `soap:Server` faults as ASMX sends for an unhandled error (`html_errors=True` sends a
gateway's HTML page instead); Archive documents of booked invoices live in folder 2 ("Sales");
folderID/tabID 0 or -1 search every folder.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from ..simulation import Faults, Reply, Request, Simulator

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "yuki"
TNS = "http://www.theyukicompany.com/"
SALES_NS = "urn:xmlns:http://www.theyukicompany.com:salesinvoices"
RESPONSE_NS = "urn:xmlns:http://www.theyukicompany.com:salesinvoicesresponse"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

DEMO_ACCESS_KEY = "demo-yuki-access-key-0000000000000000"
DEMO_ADMINISTRATION_ID = "5d2c7f0e-1a64-4c3e-9f0b-6a1d2e3f4a5b"
SALES_FOLDER = (2, "Sales")
SESSION_LIFETIME = timedelta(hours=24)

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

_SERVICES: dict[str, frozenset[str]] = {
    "sales": frozenset(
        {"ProcessSalesInvoices", "ProcessRecognizedSalesInvoices", "GetSalesItems",
         "SalesInvoiceSchemaPath"}
    ),
    "vat": frozenset({"ActiveVATCodesList"}),
    "archive": frozenset({"SearchDocuments", "FindDocument"}),
}
_COMMON_OPERATIONS = frozenset({"Authenticate", "Administrations", "AdministrationID"})
_WSDL_FILES = {"sales": "Sales.asmx.wsdl", "vat": "Vat.asmx.wsdl", "archive": "Archive.asmx.wsdl"}
_SERVICE_NAMES = {"sales": "Sales", "vat": "Vat", "archive": "Archive"}


@dataclass(frozen=True)
class VatCodeSeed:
    """One VAT code as ActiveVATCodesList describes it."""

    type: int
    description: str
    type_description: str
    percentage: Decimal
    country: str | None = None
    start_date: date | None = None
    end_date: date | None = None

    def active_on(self, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day <= self.end_date


DUTCH_VAT_CODES: tuple[VatCodeSeed, ...] = (
    VatCodeSeed(1, "BTW 21%", "VAT high", Decimal("21.00")),
    VatCodeSeed(2, "BTW 9%", "VAT low", Decimal("9.00")),
    VatCodeSeed(3, "BTW 0%", "VAT zero rate", Decimal("0.00")),
    VatCodeSeed(17, "BTW verlegd (ICP)", "VAT reverse-charged, sales", Decimal("0.00")),
    VatCodeSeed(18, "Export buiten EU", "VAT export outside the EU", Decimal("0.00")),
    VatCodeSeed(
        40, "OSS DE", "VAT digital services and/or distance selling (OSS)", Decimal("19.00"),
        country="DE", start_date=date(2021, 7, 1),
    ),
    VatCodeSeed(
        40, "OSS BE", "VAT digital services and/or distance selling (OSS)", Decimal("21.00"),
        country="BE", start_date=date(2021, 7, 1),
    ),
)


@dataclass
class SimAdministration:
    id: str
    name: str
    domain_id: str
    address_line: str = "Keizersgracht 1"
    postcode: str = "1015 AA"
    city: str = "Amsterdam"
    country: str = "NL"
    coc_number: str = "12345678"
    vat_number: str = "NL001234567B01"
    start_date: date = date(2020, 1, 1)
    active: bool = True
    vat_codes: list[VatCodeSeed] = field(default_factory=lambda: list(DUTCH_VAT_CODES))


@dataclass
class _Session:
    domain_id: str
    expires: float


class _SoapFault(Exception):
    """Raised inside the handler: answered as a SOAP fault with HTTP 500."""

    def __init__(self, string: str, *, code: str = "Client", detail: str = "") -> None:
        super().__init__(string)
        self.string = string
        self.code = code
        self.detail = detail


class YukiSimulator(Simulator):
    """Yuki's SOAP web services (Sales, Vat, Archive) with state tests can read back."""

    name = "yuki"

    def __init__(
        self,
        *,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        daily_limit: int = 1000,
        clock: Callable[[], float] = time.time,
        include_document_id: bool = False,
        html_errors: bool = False,
        booking_latency: float = 0.0,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        # Seconds ProcessSalesInvoices works before it books and answers, whether or not the
        # caller still waits (a server that does not notice its caller hung up).
        self.booking_latency = booking_latency
        self._bookings = threading.Condition()
        self.bookings_finished = 0
        self.daily_limit = daily_limit
        self.clock = clock
        self.include_document_id = include_document_id
        self.html_errors = html_errors
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every key, administration, session, invoice and counted call."""
        self.access_keys: dict[str, tuple[str, bool]] = {}
        self.administrations: dict[str, SimAdministration] = {}
        self.invoices: list[dict[str, Any]] = []
        # administration id → the References of its invoices, for the "already booked" check
        # (a scan of every invoice per batch grew with the archive); built again when
        # `invoices` changed other than by a booking here.
        self._references: dict[str, set[str]] = {}
        self._referenced = 0  # how many of `invoices` `_references` holds
        self.sessions: dict[str, _Session] = {}
        self.calls_by_domain: dict[tuple[str, date], int] = {}
        self.operations_served: list[str] = []

    # -- seeding ------------------------------------------------------------------------
    def add_access_key(self, key: str, domain_id: str, *, webservice_rights: bool = True) -> None:
        self.access_keys[key] = (domain_id, webservice_rights)

    def add_administration(
        self, administration_id: str, name: str, domain_id: str, **details: object
    ) -> SimAdministration:
        administration = SimAdministration(administration_id, name, domain_id, **details)  # type: ignore[arg-type]
        self.administrations[administration_id] = administration
        return administration

    def deactivate_vat_code(self, administration_id: str, vat_type: int) -> None:
        """Take a VAT type off the administration's active codes, as switching it off in Yuki
        does: ActiveVATCodesList no longer lists it and invoices using it are refused."""
        administration = self.administrations[administration_id]
        administration.vat_codes = [c for c in administration.vat_codes if c.type != vat_type]

    def seed_demo(self) -> tuple[str, str]:
        """The demo access key and the id of its Dutch administration."""
        domain_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        self.add_access_key(DEMO_ACCESS_KEY, domain_id)
        self.add_administration(DEMO_ADMINISTRATION_ID, "Demo Webwinkel BV", domain_id)
        return DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID

    def calls_today(self, domain_id: str) -> int:
        return self.calls_by_domain.get((domain_id, self._today()), 0)

    def cli_banner(self) -> list[str]:
        return [
            f"access key:        {DEMO_ACCESS_KEY}",
            f"administration id: {DEMO_ADMINISTRATION_ID}",
            f"WSDL:              {self.url}/ws/Sales.asmx?WSDL",
            "try: curl -s -H 'Content-Type: text/xml; charset=utf-8' "
            "-H 'SOAPAction: \"http://www.theyukicompany.com/Authenticate\"' "
            "--data '<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
            "<soap:Body><Authenticate xmlns=\"http://www.theyukicompany.com/\">"
            f"<accessKey>{DEMO_ACCESS_KEY}</accessKey></Authenticate></soap:Body>"
            f"</soap:Envelope>' {self.url}/ws/Sales.asmx",
        ]

    # -- HTTP ---------------------------------------------------------------------------
    def fault_reply(self, kind: str) -> Reply:
        if kind == "500":
            if self.html_errors:
                return Reply(
                    502,
                    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                    {"Content-Type": "text/html"},
                )
            return _fault_reply(
                11,
                _SoapFault(
                    "Server was unable to process request. ---> A transport-level error has "
                    "occurred when receiving results from the server.",
                    code="Server",
                ),
            )
        return super().fault_reply(kind)

    def handle(self, request: Request) -> Reply:
        service = _service_of(request.path)
        if service is None:
            return Reply(404, b"<html><body>404 Not Found</body></html>",
                         {"Content-Type": "text/html"})
        if request.method == "GET":
            if any(key.lower() == "wsdl" for key in request.query):
                return self._wsdl(service, request)
            return Reply(200, f"<html><body>{_SERVICE_NAMES[service]} web service</body></html>"
                         .encode(), {"Content-Type": "text/html; charset=utf-8"})
        if request.method != "POST":
            return Reply(405, b"Method Not Allowed", {"Allow": "GET, POST"})
        booking = "ProcessSalesInvoices" in request.headers.get("soapaction", "") or (
            "ProcessSalesInvoices" in request.headers.get("content-type", "")
        )
        if not booking:
            return self._soap(service, request)
        time.sleep(self.booking_latency)
        try:
            return self._soap(service, request)
        finally:
            with self._bookings:
                self.bookings_finished += 1
                self._bookings.notify_all()

    def wait_for_bookings(self, count: int, timeout: float) -> bool:
        """Wait until `count` ProcessSalesInvoices calls are over (booked or refused)."""
        with self._bookings:
            return self._bookings.wait_for(lambda: self.bookings_finished >= count, timeout)

    def _wsdl(self, service: str, request: Request) -> Reply:
        text = _wsdl_text(_WSDL_FILES[service])
        host = request.headers.get("host", "127.0.0.1")
        for public in ("https://api.yukiworks.nl/ws/", "https://api.yukiworks.be/ws/",
                       "http://api.yukiworks.be/ws/"):
            text = text.replace(public, f"http://{host}/ws/")
        return Reply(200, text.encode(), {"Content-Type": "text/xml; charset=utf-8"})

    def _soap(self, service: str, request: Request) -> Reply:
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        if media == "text/xml":
            version, action = 11, request.headers.get("soapaction", "").strip().strip('"')
        elif media == "application/soap+xml":
            version, action = 12, _content_type_action(content_type)
        else:
            return Reply(415, b"Unsupported Media Type", {"Content-Type": "text/plain"})
        try:
            operation, params = _read_envelope(request.body, version, action)
            allowed = _SERVICES[service] | _COMMON_OPERATIONS
            if operation not in allowed:
                raise _SoapFault(
                    f"Server did not recognize the value of HTTP Header SOAPAction: {TNS}"
                    f"{operation}."
                )
            with self._lock:
                result = self._dispatch(operation, params)
                self.operations_served.append(operation)
        except _SoapFault as fault:
            return _fault_reply(version, fault)
        body = (
            f'<{operation}Response xmlns="{TNS}">'
            f"<{operation}Result>{result}</{operation}Result></{operation}Response>"
        )
        if result is None:
            body = f'<{operation}Response xmlns="{TNS}" />'
        return Reply(200, _envelope(version, body), {"Content-Type": _content_type(version)})

    # -- operations -----------------------------------------------------------------------
    def _dispatch(self, operation: str, params: dict[str, etree._Element]) -> str | None:
        if operation == "Authenticate":
            return self._authenticate(_text(params, "accessKey"))
        if operation == "SalesInvoiceSchemaPath":
            return escape("https://api.yukiworks.nl/schemas/SalesInvoices.xsd")
        domain_id = self._session_domain(_text(params, "sessionID") or _text(params, "sessionId"))
        self._spend_call(domain_id)
        if operation == "Administrations":
            return self._administrations(domain_id)
        if operation == "AdministrationID":
            return self._administration_id(domain_id, _text(params, "administrationName"))
        if operation == "SearchDocuments":
            return self._search_documents(domain_id, params)
        if operation == "FindDocument":
            return self._find_document(domain_id, _text(params, "documentID"))
        administration = self._administration(
            domain_id, _text(params, "administrationID") or _text(params, "administrationId")
        )
        if operation == "ActiveVATCodesList":
            return _vat_codes_xml(administration)
        if operation == "GetSalesItems":
            return self._sales_items(administration)
        xml_doc = params.get("xmlDoc")
        if operation == "ProcessRecognizedSalesInvoices":
            return self._process(administration, xml_doc, recognized=True)
        return self._process(administration, xml_doc, recognized=False)

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock(), UTC).date()

    def _authenticate(self, key: str) -> str:
        known = self.access_keys.get(key)
        if known is None:
            raise _SoapFault("Authentication failed: the access key is not valid.")
        domain_id, rights = known
        self._spend_call(domain_id)
        if not rights:
            raise _SoapFault("This user has no rights to use the webservices.")
        session_id = str(uuid.uuid4())
        expires = self.clock() + SESSION_LIFETIME.total_seconds()
        self.sessions[session_id] = _Session(domain_id, expires)
        return session_id

    def _session_domain(self, session_id: str) -> str:
        session = self.sessions.get(session_id)
        if session is None or session.expires <= self.clock():
            raise _SoapFault("Invalid session: the session ID is unknown or has expired.")
        return session.domain_id

    def _spend_call(self, domain_id: str) -> None:
        key = (domain_id, self._today())
        used = self.calls_by_domain.get(key, 0)
        if used >= self.daily_limit:
            raise _SoapFault(
                "Daily limit exceeded",
                detail=f"Every domain has {self.daily_limit} free webservice calls a day.",
            )
        self.calls_by_domain[key] = used + 1

    def _administration(self, domain_id: str, administration_id: str) -> SimAdministration:
        administration = self.administrations.get(administration_id)
        if administration is None or administration.domain_id != domain_id:
            raise _SoapFault(f"No access to administration '{administration_id}'.")
        return administration

    def _administrations(self, domain_id: str) -> str:
        items = []
        for a in self.administrations.values():
            if a.domain_id != domain_id:
                continue
            items.append(
                f"<Administration ID={quoteattr(a.id)}>"
                + _fields(
                    ("Name", a.name), ("AddressLine", a.address_line), ("Postcode", a.postcode),
                    ("City", a.city), ("Country", a.country), ("CoCNumber", a.coc_number),
                    ("VATNumber", a.vat_number), ("StartDate", a.start_date.isoformat()),
                    ("DomainID", a.domain_id), ("Active", _bool(a.active)),
                )
                + "</Administration>"
            )
        return f'<Administrations xmlns="">{"".join(items)}</Administrations>'

    def _administration_id(self, domain_id: str, name: str) -> str:
        for a in self.administrations.values():
            if a.domain_id == domain_id and a.name == name:
                return escape(a.id)
        raise _SoapFault(f"Administration '{name}' not found.")

    def _sales_items(self, administration: SimAdministration) -> str:
        seen: dict[str, str] = {}
        for invoice in self.invoices:
            if invoice["administration_id"] != administration.id:
                continue
            for line in invoice["lines"]:
                seen.setdefault(line["product"], line["product_reference"])
        items = "".join(
            f"<SalesItem>{_fields(('id', ref or desc), ('description', desc))}</SalesItem>"
            for desc, ref in seen.items()
        )
        return f'<SalesItems xmlns="">{items}</SalesItems>'

    # -- archive ----------------------------------------------------------------------------
    def _domain_invoices(self, domain_id: str) -> list[dict[str, Any]]:
        ids = {a.id for a in self.administrations.values() if a.domain_id == domain_id}
        return [i for i in self.invoices if i["administration_id"] in ids]

    def _search_documents(self, domain_id: str, params: dict[str, etree._Element]) -> str:
        option = _text(params, "searchOption") or "All"
        needle = _text(params, "searchText").casefold()
        folder = int(_text(params, "folderID") or 0)
        start = _date_of(_text(params, "startDate"))
        end = _date_of(_text(params, "endDate"))
        count = int(_text(params, "numberOfRecords") or 100)
        first = max(int(_text(params, "startRecord") or 1), 1)
        fields_by_option = {
            "All": ("reference", "subject", "contact_name"),
            "Subject": ("subject",),
            "Contact": ("contact_name",),
        }
        searched = fields_by_option.get(option, ())
        found = []
        for invoice in self._domain_invoices(domain_id):
            if folder not in (0, -1, SALES_FOLDER[0]):
                continue
            day = invoice["date"]
            assert isinstance(day, date)
            if (start and day < start) or (end and day > end):
                continue
            if needle and not any(needle in str(invoice[f] or "").casefold() for f in searched):
                continue
            found.append(invoice)
        page = found[first - 1 : first - 1 + count]
        return f'<Documents xmlns="">{"".join(_document_xml(i) for i in page)}</Documents>'

    def _find_document(self, domain_id: str, document_id: str) -> str:
        for invoice in self._domain_invoices(domain_id):
            if invoice["id"] == document_id:
                return f'<Documents xmlns="">{_document_xml(invoice)}</Documents>'
        return '<Documents xmlns="" />'

    # -- ProcessSalesInvoices -----------------------------------------------------------------
    def _process(
        self, administration: SimAdministration, xml_doc: etree._Element | None, *,
        recognized: bool,
    ) -> str:
        root = _document_root(xml_doc)
        outcomes: list[tuple[bool, bool, bool, str, str, str, str, str]] = []
        problem = _document_problem(root)
        invoices = [] if root is None else [el for el in root if _local(el) == "SalesInvoice"]
        if problem is not None:
            targets: list[etree._Element | None] = list(invoices) or [None]
            for el in targets:
                outcomes.append((False, False, False, _child_text(el, "Reference"),
                                 _child_text(el, "Subject"), "", "", problem))
            return self._import_response(administration, outcomes, failed=len(outcomes))
        succeeded = failed = skipped = 0
        booked_refs = self._booked_references(administration.id)
        for el in invoices:
            invoice = _read_invoice(el)
            reference = invoice.fields.get("Reference", "")
            subject = invoice.fields.get("Subject", "")
            contact = _contact_name(invoice.contact)
            if recognized:
                skipped += 1
                outcomes.append((False, False, False, reference, subject, contact, "",
                                 "No recognized sales invoice matches this document."))
                continue
            message = _invoice_problem(invoice, administration, booked_refs)
            if message is not None:
                failed += 1
                outcomes.append((False, False, False, reference, subject, contact, "", message))
                continue
            record = _invoice_record(invoice, administration.id)
            self.invoices.append(record)
            self._referenced += 1
            if reference:
                booked_refs.add(reference)
            succeeded += 1
            outcomes.append((True, bool(record["process"]), bool(record["email_sent"]), reference,
                             subject, contact, str(record["id"]), ""))
        return self._import_response(administration, outcomes, succeeded, failed, skipped)

    def _booked_references(self, administration_id: str) -> set[str]:
        if self._referenced != len(self.invoices):
            self._references = {}
            for invoice in self.invoices:
                if invoice["reference"]:
                    self._references.setdefault(invoice["administration_id"], set()).add(
                        invoice["reference"]
                    )
            self._referenced = len(self.invoices)
        return self._references.setdefault(administration_id, set())

    def _import_response(
        self,
        administration: SimAdministration,
        outcomes: list[tuple[bool, bool, bool, str, str, str, str, str]],
        succeeded: int = 0,
        failed: int = 0,
        skipped: int = 0,
    ) -> str:
        parts = [
            f'<SalesInvoicesImportResponse xmlns="{RESPONSE_NS}">',
            f'<TimeStamp xmlns="">{self._today().isoformat()}</TimeStamp>',
            f'<AdministrationId xmlns="">{escape(administration.id)}</AdministrationId>',
            f'<TotalSucceeded xmlns="">{succeeded}</TotalSucceeded>',
            f'<TotalFailed xmlns="">{failed}</TotalFailed>',
            f'<TotalSkipped xmlns="">{skipped}</TotalSkipped>',
        ]
        for ok, processed, emailed, reference, subject, contact, doc_id, message in outcomes:
            fields: list[tuple[str, str]] = [
                ("Succeeded", _bool(ok)), ("Processed", _bool(processed)),
                ("EmailSent", _bool(emailed)), ("Reference", reference), ("Subject", subject),
                ("Contact", contact),
            ]
            if self.include_document_id and doc_id:
                fields.append(("DocumentId", doc_id))
            fields.append(("Message", message))
            parts.append(f'<Invoice xmlns="">{_fields(*fields)}</Invoice>')
        parts.append("</SalesInvoicesImportResponse>")
        return "".join(parts)


# -- the SalesInvoices document ---------------------------------------------------------------
@cache
def _sales_invoices_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "SalesInvoices.xsd"), _SAFE_PARSER))


def _document_root(xml_doc: etree._Element | None) -> etree._Element | None:
    if xml_doc is None:
        return None
    children = [el for el in xml_doc if isinstance(el.tag, str)]
    if children:
        return children[0]
    return None


def _document_problem(root: etree._Element | None) -> str | None:
    """Yuki's document-wide check: namespace first, then the XSD."""
    if root is None or etree.QName(root).namespace != SALES_NS:
        return (
            "The XML document is not valid: the root element must be SalesInvoices in the "
            f"namespace '{SALES_NS}'."
        )
    schema = _sales_invoices_schema()
    if schema.validate(etree.ElementTree(root)):
        return None
    log: Any = schema.error_log  # iterable at run time; lxml-stubs do not say so
    errors = [f"line {e.line}: {e.message}" for e in log][:3]
    return "The XML document is not valid according to SalesInvoices.xsd: " + "; ".join(errors)


class _Invoice(NamedTuple):
    """A SalesInvoice element read once: its fields, each line's fields with its product's,
    and the contact's and contact person's fields (local name → text)."""

    fields: dict[str, str]
    lines: list[tuple[dict[str, str], dict[str, str]]]
    contact: dict[str, str]
    person: dict[str, str]


def _read_invoice(invoice: etree._Element) -> _Invoice:
    return _Invoice(
        _texts(invoice),
        [(_texts(line), _texts(_child(line, "Product"))) for line in _lines(invoice)],
        _texts(_child(invoice, "Contact")),
        _texts(_child(invoice, "ContactPerson")),
    )


def _invoice_problem(
    invoice: _Invoice, administration: SimAdministration, booked: set[str]
) -> str | None:
    fields = invoice.fields
    reference = fields.get("Reference", "")
    if _is_true(fields.get("Process", "")) and not reference:
        return "A Reference is required when Process is true (external invoice numbering)."
    if reference and reference in booked:
        return f"An invoice with reference '{reference}' already exists in this administration."
    day = _iso_date(fields.get("Date", ""))
    active = {code.type for code in administration.vat_codes if code.active_on(day)}
    for number, (_line, product) in enumerate(invoice.lines, start=1):
        price = product.get("SalesPrice", "").strip()
        if "." in price and len(price.split(".", 1)[1]) > 4:
            return (
                f"Line {number}: the sales price {price} of product "
                f"'{product.get('Description', '')}' has more than 4 decimals."
            )
        vat_type = product.get("VATType", "").strip()
        if vat_type and int(vat_type) not in active:
            return (
                f"Line {number}: unknown VAT type {int(vat_type)}: not an active VAT code of "
                f"administration '{administration.name}' on {day.isoformat()}."
            )
    return None


def _invoice_record(invoice: _Invoice, administration_id: str) -> dict[str, Any]:
    lines = []
    total = Decimal("0")
    for line_fields, product in invoice.lines:
        quantity = _decimal(line_fields.get("ProductQuantity", ""), Decimal("1"))
        price = _decimal(product.get("SalesPrice", ""), Decimal("0"))
        percentage = _decimal(product.get("VATPercentage", ""), Decimal("0"))
        included = _is_true(product.get("VATIncluded", ""))
        amount = quantity * price
        if not included:
            amount = amount * (1 + percentage / 100)
        amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
        total += amount
        vat_type = product.get("VATType", "").strip()
        lines.append({
            "description": line_fields.get("Description", ""),
            "product": product.get("Description", ""),
            "product_reference": product.get("Reference", ""),
            "quantity": quantity,
            "price": price,
            "vat_included": included,
            "vat_percentage": percentage,
            "vat_type": int(vat_type) if vat_type else None,
            "gl_account": product.get("GLAccountCode", ""),
            "amount_incl_vat": amount,
        })
    fields, contact = invoice.fields, invoice.contact
    email = contact.get("EmailAddress") or invoice.person.get("EmailAddress")
    due = fields.get("DueDate", "").strip()
    return {
        "id": str(uuid.uuid4()),
        "administration_id": administration_id,
        "reference": fields.get("Reference") or None,
        "subject": fields.get("Subject", ""),
        "date": _iso_date(fields.get("Date", "")),
        "due_date": _iso_date(due) if due else None,
        "process": _is_true(fields.get("Process", "")),
        "email_sent": _is_true(fields.get("EmailToCustomer", "")) and bool(email),
        "payment_method": fields.get("PaymentMethod", ""),
        "currency": fields.get("Currency") or "EUR",
        "contact_name": _contact_name(contact),
        "contact_code": contact.get("ContactCode", ""),
        "country": contact.get("CountryCode", ""),
        "vat_number": contact.get("VATNumber", ""),
        "lines": lines,
        "total": total,
    }


def _document_xml(invoice: dict[str, Any]) -> str:
    day = invoice["date"]
    assert isinstance(day, date)
    return (
        f"<Document ID={quoteattr(str(invoice['id']))}>"
        + _fields(("Subject", str(invoice["subject"])), ("DocumentDate", day.isoformat()),
                  ("Amount", str(invoice["total"])))
        + f'<Folder ID="{SALES_FOLDER[0]}">{SALES_FOLDER[1]}</Folder><Tab ID="0" />'
        + _fields(("Type", "2"), ("TypeDescription", "Sales invoice"),
                  ("FileName", f"{invoice['reference'] or invoice['id']}.pdf"),
                  ("ContentType", "application/pdf"),
                  ("ContactName", str(invoice["contact_name"])),
                  ("Reference", str(invoice["reference"] or "")))
        + "</Document>"
    )


def _lines(invoice: etree._Element) -> list[etree._Element]:
    lines = _child(invoice, "InvoiceLines")
    return [] if lines is None else [el for el in lines if _local(el) == "InvoiceLine"]


def _contact_name(contact: dict[str, str]) -> str:
    full = contact.get("FullName", "")
    if full:
        return full
    parts = (contact.get(n, "") for n in ("FirstName", "MiddleName", "LastName"))
    return " ".join(p for p in parts if p)


# -- small XML helpers ---------------------------------------------------------------------------
def _local(el: etree._Element) -> str:
    tag = el.tag
    if type(tag) is not str:
        return ""  # a comment or processing instruction
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) < 1024:
            _LOCAL_NAMES[tag] = name
    return name


# The few dozen tags of Yuki's documents, each split once ("{namespace}Name" → "Name").
_LOCAL_NAMES: dict[str, str] = {}


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    # "{*}" matches the name in any namespace or none, in lxml's C code (fast for big batches)
    return None if el is None else el.find(f"{{*}}{name}")


def _texts(el: etree._Element | None) -> dict[str, str]:
    """Local name → text of the direct children (the first of each name)."""
    found: dict[str, str] = {}
    if el is not None:
        for child in el:
            name = _local(child)
            if name and name not in found:
                found[name] = child.text or ""
    return found


def _is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "1")


def _child_text(el: etree._Element | None, name: str) -> str:
    child = _child(el, name)
    return (child.text or "") if child is not None else ""


def _text(params: dict[str, etree._Element], name: str) -> str:
    el = params.get(name)
    return (el.text or "").strip() if el is not None else ""


def _decimal(text: str, default: Decimal) -> Decimal:
    try:
        return Decimal(text.strip()) if text.strip() else default
    except InvalidOperation:
        return default


def _iso_date(text: str) -> date:
    # xs:date may carry a time zone ("2024-05-01Z"); the calendar day is what counts
    return date.fromisoformat(text.strip()[:10])


def _date_of(text: str) -> date | None:
    return datetime.fromisoformat(text).date() if text else None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _fields(*pairs: tuple[str, str]) -> str:
    return "".join(
        f"<{name}>{escape(value)}</{name}>" if value else f"<{name} />" for name, value in pairs
    )


def _vat_codes_xml(administration: SimAdministration) -> str:
    nil = f' xmlns:xsi="{XSI}" xsi:nil="true" '
    items = []
    for code in administration.vat_codes:
        parts = [
            f"<description>{escape(code.description)}</description>",
            f"<type>{code.type}</type>",
            f"<typeDescription>{escape(code.type_description)}</typeDescription>",
            f"<percentage>{code.percentage:.2f}</percentage>",
        ]
        if code.country:
            parts.append(f"<country>{escape(code.country)}</country>")
        for name, value in (("startDate", code.start_date), ("endDate", code.end_date)):
            parts.append(
                f"<{name}>{value.isoformat()}T00:00:00</{name}>" if value else f"<{name}{nil}/>"
            )
        items.append(f"<VATCode>{''.join(parts)}</VATCode>")
    return "".join(items)


# -- SOAP envelopes -------------------------------------------------------------------------
def _service_of(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0].lower() != "ws" or not parts[1].lower().endswith(".asmx"):
        return None
    name = parts[1][: -len(".asmx")].lower()
    return name if name in _SERVICES else None


@cache
def _wsdl_text(file_name: str) -> str:
    return (SCHEMA_DIR / file_name).read_text(encoding="utf-8")


def _content_type_action(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "action":
            return value.strip().strip('"')
    return ""


def _read_envelope(body: bytes, version: int, action: str) -> tuple[str, dict[str, etree._Element]]:
    try:
        envelope = etree.fromstring(body, _SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        raise _SoapFault(
            f"Server was unable to read request. ---> There is an error in XML document: {error}"
        ) from None
    expected = SOAP11 if version == 11 else SOAP12
    if envelope.tag != f"{{{expected}}}Envelope":
        raise _SoapFault("Possible SOAP version mismatch: Envelope namespace "
                         f"{etree.QName(envelope).namespace} was unexpected.",
                         code="VersionMismatch")
    body_el = envelope.find(f"{{{expected}}}Body")
    operation_el = None if body_el is None else next(
        (el for el in body_el if isinstance(el.tag, str)), None
    )
    if operation_el is None or etree.QName(operation_el).namespace != TNS:
        raise _SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    operation = etree.QName(operation_el).localname
    if action and action != f"{TNS}{operation}":
        raise _SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    params = {_local(el): el for el in operation_el if isinstance(el.tag, str)}
    return operation, params


def _envelope(version: int, body: str) -> bytes:
    ns = SOAP11 if version == 11 else SOAP12
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{ns}" xmlns:xsi="{XSI}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def _content_type(version: int) -> str:
    return "text/xml; charset=utf-8" if version == 11 else "application/soap+xml; charset=utf-8"


def _fault_reply(version: int, fault: _SoapFault) -> Reply:
    """The HTTP 500 answer carrying `fault`, in the envelope of SOAP `version` (11 or 12)."""
    if version == 11:
        detail = f"<detail>{escape(fault.detail)}</detail>" if fault.detail else "<detail />"
        body = (
            f"<soap:Fault><faultcode>soap:{fault.code}</faultcode>"
            f"<faultstring>{escape(fault.string)}</faultstring>{detail}</soap:Fault>"
        )
    else:
        code = {"Client": "Sender", "Server": "Receiver"}.get(fault.code, fault.code)
        detail = f"<soap:Detail>{escape(fault.detail)}</soap:Detail>" if fault.detail else ""
        body = (
            f"<soap:Fault><soap:Code><soap:Value>soap:{code}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{escape(fault.string)}</soap:Text>'
            f"</soap:Reason>{detail}</soap:Fault>"
        )
    return Reply(500, _envelope(version, body), {"Content-Type": _content_type(version)})


def soap_fault_reply(version: int, string: str, *, code: str = "Client", detail: str = "") -> Reply:
    """A SOAP fault answer as Yuki sends it (for tests that need Yuki to say something odd)."""
    return _fault_reply(version, _SoapFault(string, code=code, detail=detail))


def cli_simulator(*, port: int, latency: float, faults: Faults) -> YukiSimulator:
    """The simulator `mapper simulate yuki` runs: seeded with the demo key and administration."""
    simulator = YukiSimulator(port=port, latency=latency, faults=faults)
    simulator.seed_demo()
    return simulator
