"""Client of Yuki's SOAP web services (Sales, Vat, Archive), built on zeep.

`YukiClient` authenticates with an access key, keeps the session for 24 h (and authenticates
again when Yuki calls it invalid), and offers what mapper needs: the administrations the key
sees, the active VAT codes, ProcessSalesInvoices (many invoices per call: Yuki allows about
1000 calls a day per domain, so `calls_made` counts them) and an Archive search to check
whether an invoice is already there.

The WSDLs are read from `schemas/yuki/` (never from the network) and every endpoint is pointed
at `base_url`. Failures become `connectors.errors`: a SOAP fault about the key or rights is an
AuthenticationError, the daily limit a QuotaExceededError, a `soap:Server` fault, a 5xx without
a fault, a timeout or a dropped connection a TransientError (retried with back-off), 429 a
RateLimitedError, any other fault a RejectedError carrying Yuki's text. The access key never
appears in a log line, an error or a repr.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport

from ..errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ..retry import RetryPolicy, call_with_retry
from ..secret import Secret

SYSTEM = "yuki"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "yuki"
TNS = "http://www.theyukicompany.com/"
SALES_NS = "urn:xmlns:http://www.theyukicompany.com:salesinvoices"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SESSION_LIFETIME = timedelta(hours=24)
# Renew a little early so a session never expires between our check and Yuki's.
_SESSION_MARGIN = timedelta(minutes=5)
_SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
_SERVICES = {"Sales": "Sales.asmx.wsdl", "Vat": "Vat.asmx.wsdl", "Archive": "Archive.asmx.wsdl"}
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")

logger = logging.getLogger(__name__)


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Administration:
    """One administration (bookkeeping) the access key can see."""

    id: str
    name: str
    country: str
    vat_number: str
    coc_number: str
    domain_id: str
    active: bool
    start_date: date | None


@dataclass(frozen=True)
class VatCode:
    """A VAT code active in an administration; `type` is what SalesInvoice VATType refers to."""

    type: int
    description: str
    type_description: str
    percentage: Decimal
    country: str | None
    start_date: date | None
    end_date: date | None

    def active_on(self, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day <= self.end_date


@dataclass(frozen=True)
class InvoiceResult:
    """Yuki's verdict on one SalesInvoice of a ProcessSalesInvoices call."""

    succeeded: bool
    processed: bool
    email_sent: bool
    reference: str
    subject: str
    contact: str
    message: str
    document_id: str | None


@dataclass(frozen=True)
class ImportResult:
    """The SalesInvoicesImportResponse of one ProcessSalesInvoices call."""

    administration_id: str
    timestamp: str
    total_succeeded: int
    total_failed: int
    total_skipped: int
    invoices: tuple[InvoiceResult, ...]


@dataclass(frozen=True)
class ArchiveDocument:
    """A document of Yuki's archive, as Archive.asmx SearchDocuments lists it."""

    id: str
    subject: str
    document_date: date | None
    amount: Decimal | None
    folder: str
    type_description: str
    contact_name: str
    reference: str


# -- transport ----------------------------------------------------------------------------------
class YukiTransport(Transport):
    """zeep's requests transport, made offline for WSDLs, counting calls, mapping failures.

    Every HTTP answer other than 200 is turned into a connector error here, so SOAP faults
    are read the same way in SOAP 1.1 and 1.2 and nothing of the request is ever logged.
    """

    def __init__(
        self, *, timeout: float, session: requests.Session | None, secrets: Sequence[Secret]
    ) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            session=session or requests.Session(), timeout=timeout, operation_timeout=timeout
        )
        self.calls = 0
        self._secrets = secrets

    def load(self, url: str) -> bytes:
        if url.startswith(_SOAP_ENCODING):
            return (SCHEMA_DIR / "soap-encoding.xsd").read_bytes()
        path = Path(url.removeprefix("file://"))
        if path.is_file():
            return path.read_bytes()
        raise ProtocolError(SYSTEM, f"refusing to fetch {url}: Yuki's WSDLs are read from disk")

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        self.calls += 1
        try:
            response = self.session.post(
                address, data=message, headers=headers, timeout=self.operation_timeout
            )
            content = response.content  # read fully here so a cut body fails inside the try
        except requests.Timeout:
            raise TransientError(SYSTEM, f"no answer from {address} in time") from None
        except requests.RequestException as error:
            text = scrub(f"{type(error).__name__}: {error}", self._secrets)
            raise TransientError(SYSTEM, f"connection to {address} failed ({text})") from None
        if response.status_code != 200:
            raise _error_for_status(response.status_code, content, response.headers, self._secrets)
        return response


def _error_for_status(
    status: int, content: bytes, headers: Any, secrets: Sequence[Secret]
) -> ConnectorError:
    if status == 429:
        return RateLimitedError(
            SYSTEM,
            "too many requests (HTTP 429)",
            retry_after=_retry_after(headers.get("Retry-After")),
        )
    fault = parse_fault(content)
    if fault is not None:
        code, string, detail = fault
        return fault_error(code, scrub(string, secrets), scrub(detail, secrets), status)
    if status in (401, 403):
        return AuthenticationError(SYSTEM, f"access refused (HTTP {status})", status=status)
    if status >= 500:
        return TransientError(
            SYSTEM, f"server error HTTP {status} without a SOAP fault", status=status
        )
    return ProtocolError(SYSTEM, f"unexpected HTTP {status}", status=status)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def parse_fault(content: bytes) -> tuple[str, str, str] | None:
    """(code, string, detail) of a SOAP 1.1 or 1.2 fault, or None when `content` is none."""
    try:
        root = etree.fromstring(content, _SAFE_PARSER)
    except etree.XMLSyntaxError:
        return None
    for ns in (SOAP11, SOAP12):
        fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
        if fault is None:
            continue
        if ns == SOAP11:
            return (
                fault.findtext("faultcode", "").strip(),
                fault.findtext("faultstring", "").strip(),
                _all_text(fault.find("detail")),
            )
        return (
            fault.findtext(f"{{{ns}}}Code/{{{ns}}}Value", "").strip(),
            fault.findtext(f"{{{ns}}}Reason/{{{ns}}}Text", "").strip(),
            _all_text(fault.find(f"{{{ns}}}Detail")),
        )
    return None


class SessionInvalidError(AuthenticationError):
    """Yuki no longer knows the session id: authenticate again and repeat the call."""


_AUTH_WORDS = (
    "access key",
    "accesskey",
    "authenticat",
    "no rights",
    "not authorized",
    "unauthorized",
    "access denied",
    "no access",
    "webservice rights",
)


def fault_error(code: str, string: str, detail: str, status: int | None = 500) -> ConnectorError:
    """The connector error for a SOAP fault, by Yuki's wording and the fault code."""
    text = f"{string} {detail}".lower()
    message = f"{string} ({detail})" if detail else string
    if "daily limit" in text or "free webservice calls" in text:
        return QuotaExceededError(SYSTEM, message, status=status)
    if "session" in text and any(w in text for w in ("invalid", "expired", "not valid", "unknown")):
        return SessionInvalidError(SYSTEM, message, status=status)
    if any(word in text for word in _AUTH_WORDS):
        return AuthenticationError(SYSTEM, message, status=status)
    if code.split(":")[-1] in ("Server", "Receiver"):
        return TransientError(SYSTEM, message, status=status)
    return RejectedError(SYSTEM, message, status=status)


def scrub(text: str, secrets: Sequence[Secret]) -> str:
    for secret in secrets:
        if secret.reveal():
            text = text.replace(secret.reveal(), "<secret>")
    return text


# -- client -------------------------------------------------------------------------------------
class YukiClient:
    """Talks to one Yuki administration with one access key."""

    def __init__(
        self,
        base_url: str,
        access_key: str,
        administration_id: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: requests.Session | None = None,
        soap_version: Literal["1.1", "1.2"] = "1.1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.administration_id = administration_id
        self.soap_version = soap_version
        self._access_key = Secret(access_key)
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._session_id: Secret | None = None
        self._session_expires = 0.0
        self._secrets: list[Secret] = [self._access_key]
        self._transport = YukiTransport(timeout=timeout, session=transport, secrets=self._secrets)
        self._services: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"YukiClient(base_url={self.base_url!r}, "
            f"administration_id={self.administration_id!r}, access_key=<secret>)"
        )

    @property
    def calls_made(self) -> int:
        """HTTP calls sent to Yuki so far, retries and Authenticate included."""
        return int(self._transport.calls)

    # -- public operations --------------------------------------------------------------------
    def administrations(self) -> list[Administration]:
        result = self._call("Archive", "Administrations", session_param="sessionID")
        root = _any_root(result, "Administrations")
        return [_administration(el) for el in _children(root, "Administration")]

    def check_administration(self) -> Administration:
        """The configured administration; NotFoundError when this key cannot see it."""
        found = self.administrations()
        for administration in found:
            if administration.id.lower() == self.administration_id.lower():
                return administration
        seen = ", ".join(f"{a.name} ({a.id})" for a in found) or "none"
        raise NotFoundError(
            SYSTEM,
            f"administration {self.administration_id} is not among the administrations this "
            f"access key can see: {seen}",
        )

    def active_vat_codes(self) -> list[VatCode]:
        result = self._call(
            "Vat",
            "ActiveVATCodesList",
            session_param="sessionID",
            administrationID=self.administration_id,
        )
        # zeep unwraps ArrayOfVATCode into a plain list of VATCode objects
        codes = result if isinstance(result, list) else getattr(result, "VATCode", None) or []
        return [_vat_code(code) for code in codes]

    def process_sales_invoices(
        self, xml_doc: str | bytes, *, retry: RetryPolicy | None = None
    ) -> ImportResult:
        """Send a SalesInvoices document (any number of invoices) and read Yuki's verdicts.

        Retried on transient failures like every call; a caller that must not risk a second
        booking after an ambiguous failure (timeout after sending) passes NO_RETRY and checks
        with `find_sales_invoice` instead.
        """
        document = _sales_invoices_element(xml_doc)
        result = self._call(
            "Sales",
            "ProcessSalesInvoices",
            session_param="sessionId",
            retry=retry,
            administrationId=self.administration_id,
            xmlDoc={"_value_1": document},
        )
        return _import_result(_any_root(result, "SalesInvoicesImportResponse"))

    def find_sales_invoice(
        self,
        text: str,
        *,
        search_option: str = "All",
        start: date | None = None,
        end: date | None = None,
        limit: int = 100,
    ) -> list[ArchiveDocument]:
        """Archive documents matching `text` (Archive.asmx SearchDocuments).

        Used to find out whether an invoice reached Yuki after an unclear failure. Searches
        every folder (folderID/tabID 0) between `start` and `end` (default: 2000-01-01 to
        tomorrow).
        """
        first = start or date(2000, 1, 1)
        last = end or (date.today() + timedelta(days=1))
        result = self._call(
            "Archive",
            "SearchDocuments",
            session_param="sessionID",
            searchOption=search_option,
            searchText=text,
            folderID=0,
            tabID=0,
            sortOrder="DocumentDateDesc",
            startDate=datetime.combine(first, datetime.min.time()),
            endDate=datetime.combine(last, datetime.min.time()),
            numberOfRecords=limit,
            startRecord=1,
        )
        root = _any_root(result, "Documents", required=False)
        return [_archive_document(el) for el in _children(root, "Document")]

    # -- plumbing -------------------------------------------------------------------------------
    def _service(self, name: str) -> Any:
        if name not in self._services:
            wsdl = str(SCHEMA_DIR / _SERVICES[name])
            client = zeep.Client(wsdl, transport=self._transport)  # type: ignore[no-untyped-call]
            suffix = "Soap12" if self.soap_version == "1.2" else "Soap"
            self._services[name] = client.create_service(  # type: ignore[no-untyped-call]
                f"{{{TNS}}}{name}{suffix}", f"{self.base_url}/ws/{name}.asmx"
            )
        return self._services[name]

    def _session(self) -> str:
        if self._session_id is None or self._clock() >= self._session_expires:
            self._session_id = None
            session_id = self._invoke(
                "Sales", "Authenticate", {"accessKey": self._access_key.reveal()}
            )
            if not session_id:
                raise AuthenticationError(SYSTEM, "Yuki returned no session for the access key")
            self._session_id = Secret(str(session_id))
            self._secrets.append(self._session_id)
            lifetime = SESSION_LIFETIME - _SESSION_MARGIN
            self._session_expires = self._clock() + lifetime.total_seconds()
        return self._session_id.reveal()

    def _call(
        self,
        service: str,
        operation: str,
        *,
        session_param: str,
        retry: RetryPolicy | None = None,
        **params: Any,
    ) -> Any:
        def attempt() -> Any:
            try:
                return self._invoke(service, operation, {session_param: self._session(), **params})
            except SessionInvalidError:
                logger.info("yuki: session no longer valid, authenticating again")
                self._session_id = None
                return self._invoke(service, operation, {session_param: self._session(), **params})

        return call_with_retry(attempt, retry or self._retry)

    def _invoke(self, service: str, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return getattr(self._service(service), operation)(**params)
        except ConnectorError:
            raise
        except zeep.exceptions.Fault as fault:
            # Only reached for a fault inside an HTTP 200 answer; the transport maps the rest.
            raise fault_error(
                str(fault.code or ""), scrub(str(fault.message), self._secrets), ""
            ) from None
        except (zeep.exceptions.Error, etree.XMLSyntaxError, ValueError, TypeError) as error:
            text = scrub(f"{type(error).__name__}: {error}", self._secrets)
            raise ProtocolError(SYSTEM, f"{operation}: unreadable answer ({text})") from None
        finally:
            logger.debug("yuki %s.%s took %.3fs", service, operation, time.perf_counter() - started)


# -- reading answers ------------------------------------------------------------------------------
def _sales_invoices_element(xml_doc: str | bytes) -> etree._Element:
    raw = xml_doc.encode() if isinstance(xml_doc, str) else xml_doc
    raw = _XML_DECLARATION.sub(b"", raw, count=1)
    try:
        document = etree.fromstring(raw, _SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        raise RejectedError(
            SYSTEM, f"the SalesInvoices document is not well-formed: {error}", status=None
        ) from None
    if etree.QName(document).localname != "SalesInvoices":
        raise RejectedError(SYSTEM, "the document's root element is not SalesInvoices", status=None)
    return document


def _any_root(result: Any, name: str, *, required: bool = True) -> etree._Element | None:
    """The element `name` inside an s:any result, as zeep hands it over."""
    values = getattr(result, "_value_1", result)
    if not isinstance(values, list):
        values = [values]
    for value in values:
        if isinstance(value, etree._Element) and isinstance(value.tag, str):
            if etree.QName(value).localname == name:
                return value
            found = value.find(f".//{{*}}{name}")
            if found is None:
                found = value.find(f".//{name}")
            if found is not None:
                return found
    if required:
        raise ProtocolError(SYSTEM, f"the answer holds no {name} element")
    return None


def _children(root: etree._Element | None, name: str) -> list[etree._Element]:
    if root is None:
        return []
    return [el for el in root if isinstance(el.tag, str) and etree.QName(el).localname == name]


def _field(el: etree._Element | None, name: str) -> str:
    child = None if el is None else el.find(f"{{*}}{name}")
    return "" if child is None else (child.text or "").strip()


def _all_text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(str(t) for t in el.itertext()).split())


def _flag(text: str) -> bool:
    return text.strip().lower() in ("true", "1")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProtocolError(SYSTEM, f"expected a number, got {text!r}") from None


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _fields(el: etree._Element) -> dict[str, str]:
    """`_field` of every child at once (the first of each name): one pass over the children,
    for an answer of a hundred invoices of eight fields each."""
    found: dict[str, str] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            found.setdefault(tag.rpartition("}")[2], (child.text or "").strip())
    return found


def _import_result(root: etree._Element | None) -> ImportResult:
    assert root is not None
    invoices = tuple(
        InvoiceResult(
            succeeded=_flag(fields.get("Succeeded", "")),
            processed=_flag(fields.get("Processed", "")),
            email_sent=_flag(fields.get("EmailSent", "")),
            reference=fields.get("Reference", ""),
            subject=fields.get("Subject", ""),
            contact=fields.get("Contact", ""),
            message=fields.get("Message", ""),
            document_id=fields.get("DocumentId") or None,
        )
        for fields in map(_fields, _children(root, "Invoice"))
    )
    return ImportResult(
        administration_id=_field(root, "AdministrationId"),
        timestamp=_field(root, "TimeStamp"),
        total_succeeded=_int(_field(root, "TotalSucceeded") or "0"),
        total_failed=_int(_field(root, "TotalFailed") or "0"),
        total_skipped=_int(_field(root, "TotalSkipped") or "0"),
        invoices=invoices,
    )


def _administration(el: etree._Element) -> Administration:
    return Administration(
        id=el.get("ID", ""),
        name=_field(el, "Name"),
        country=_field(el, "Country"),
        vat_number=_field(el, "VATNumber"),
        coc_number=_field(el, "CoCNumber"),
        domain_id=_field(el, "DomainID"),
        active=_flag(_field(el, "Active") or "true"),
        start_date=_day(_field(el, "StartDate")),
    )


def _vat_code(code: Any) -> VatCode:
    def as_date(value: Any) -> date | None:
        return value.date() if isinstance(value, datetime) else value

    return VatCode(
        type=int(code.type),
        description=code.description or "",
        type_description=code.typeDescription or "",
        percentage=Decimal(str(code.percentage)),
        country=code.country or None,
        start_date=as_date(code.startDate),
        end_date=as_date(code.endDate),
    )


def _archive_document(el: etree._Element) -> ArchiveDocument:
    amount: Decimal | None
    try:
        amount = Decimal(_field(el, "Amount")) if _field(el, "Amount") else None
    except InvalidOperation:
        amount = None
    return ArchiveDocument(
        id=el.get("ID", ""),
        subject=_field(el, "Subject"),
        document_date=_day(_field(el, "DocumentDate")),
        amount=amount,
        folder=_field(el, "Folder"),
        type_description=_field(el, "TypeDescription"),
        contact_name=_field(el, "ContactName"),
        reference=_field(el, "Reference"),
    )
