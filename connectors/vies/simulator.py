"""A local VIES: the `checkVatService` SOAP endpoint over real HTTP, with its outages.

`ViesSimulator` answers POST `/taxation_customs/vies/services/checkVatService` (and any path
ending in `checkVatService`; GET with `?wsdl` serves `schemas/vies/checkVatService.wsdl`) in
SOAP 1.1, `checkVat` only, with the envelopes and faults of the real service: a
`checkVatResponse` (countryCode, vatNumber, requestDate as `2024-06-15+02:00`, valid, name,
address — name and address `---` as VIES sends for member states that do not disclose
them), or HTTP 500 with a `soap:Fault` whose faultstring is INVALID_INPUT (countryCode not
[A-Z]{2}, vatNumber not [0-9A-Za-z+*.]{2,12}, or not a member state's prefix),
MS_UNAVAILABLE, TIMEOUT, MS_MAX_CONCURRENT_REQ or SERVICE_UNAVAILABLE.

What it plays is set on the instance: `valid` (the numbers it knows as valid, with prefix;
every other well-formed number is answered valid=false), `unavailable` / `timing_out` /
`busy` (member-state prefixes answered MS_UNAVAILABLE / TIMEOUT / MS_MAX_CONCURRENT_REQ),
`down` (SERVICE_UNAVAILABLE for all). No answer at all (the client's own timeout) is the base
class's fault injection: `Faults(rate=1, kinds=("timeout",))`. `asked` lists every number
asked, in order.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from ..simulation import Faults, Reply, Request, Simulator

WSDL = Path(__file__).resolve().parents[2] / "schemas" / "vies" / "checkVatService.wsdl"
PATH = "/taxation_customs/vies/services/checkVatService"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
# The prefixes VIES answers for: the member states (Greece as EL) and Northern Ireland (XI).
_PREFIX_LIST = "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI"
PREFIXES = frozenset(_PREFIX_LIST.split(" "))
# VAT numbers this simulator knows as valid unless told otherwise (they pass their checksums).
DEMO_VALID = frozenset({"DE136695976", "FR40303265045", "EL094259216", "XI980780684"})
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NUMBER = re.compile(r"^[0-9A-Za-z+*.]{2,12}$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class ViesSimulator(Simulator):
    name = "vies"

    def __init__(
        self,
        *,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        valid: set[str] | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self.valid: set[str] = set(DEMO_VALID if valid is None else valid)
        self.unavailable: set[str] = set()
        self.timing_out: set[str] = set()
        self.busy: set[str] = set()
        self.down = False
        self.today = today
        self.asked: list[str] = []
        self._lock = threading.Lock()

    @property
    def service_url(self) -> str:
        return self.url + PATH

    def cli_banner(self) -> list[str]:
        return [f"VIES checkVatService at {self.service_url}"]

    def fault_reply(self, kind: str) -> Reply:
        """An injected 500 or 429 is what VIES sends when it is overloaded."""
        fault = "GLOBAL_MAX_CONCURRENT_REQ" if kind == "429" else "SERVICE_UNAVAILABLE"
        return _fault(fault)

    def handle(self, request: Request) -> Reply:
        if not request.path.endswith("checkVatService"):
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        if request.method == "GET" and "wsdl" in {k.lower() for k in request.query}:
            return Reply(200, WSDL.read_bytes(), {"Content-Type": "text/xml; charset=utf-8"})
        if request.method != "POST":
            return Reply(405, b"Method Not Allowed", {"Content-Type": "text/plain"})
        try:
            country, number = _read_check_vat(request.body)
        except ValueError as problem:
            return _fault(str(problem), code="soap:Client")
        with self._lock:
            self.asked.append(country + number)
        if not _COUNTRY.match(country) or not _NUMBER.match(number) or country not in PREFIXES:
            return _fault("INVALID_INPUT")
        if self.down:
            return _fault("SERVICE_UNAVAILABLE")
        for prefixes, fault in (
            (self.unavailable, "MS_UNAVAILABLE"),
            (self.timing_out, "TIMEOUT"),
            (self.busy, "MS_MAX_CONCURRENT_REQ"),
        ):
            if country in prefixes:
                return _fault(fault)
        valid = country + number in self.valid
        body = (
            f'<ns2:checkVatResponse xmlns:ns2="{TYPES}">'
            f"<ns2:countryCode>{escape(country)}</ns2:countryCode>"
            f"<ns2:vatNumber>{escape(number)}</ns2:vatNumber>"
            f"<ns2:requestDate>{self.today().isoformat()}+01:00</ns2:requestDate>"
            f"<ns2:valid>{'true' if valid else 'false'}</ns2:valid>"
            f"<ns2:name>---</ns2:name><ns2:address>---</ns2:address>"
            "</ns2:checkVatResponse>"
        )
        return Reply(200, _envelope(body), {"Content-Type": "text/xml;charset=UTF-8"})


def _read_check_vat(body: bytes) -> tuple[str, str]:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise ValueError("Unmarshalling Error: the request is not XML") from None
    if root.tag != f"{{{SOAP11}}}Envelope":
        raise ValueError("Unmarshalling Error: not a SOAP 1.1 envelope")
    check = root.find(f"{{{SOAP11}}}Body/{{{TYPES}}}checkVat")
    if check is None:
        raise ValueError("Unmarshalling Error: no checkVat in the body")
    country = (check.findtext(f"{{{TYPES}}}countryCode") or "").strip()
    number = (check.findtext(f"{{{TYPES}}}vatNumber") or "").strip()
    return country, number


def _envelope(body: str) -> bytes:
    return (
        f'<env:Envelope xmlns:env="{SOAP11}"><env:Header/><env:Body>{body}</env:Body>'
        "</env:Envelope>"
    ).encode()


def _fault(string: str, *, code: str = "env:Server") -> Reply:
    body = (
        f"<env:Fault><faultcode>{code}</faultcode>"
        f"<faultstring>{escape(string)}</faultstring></env:Fault>"
    )
    return Reply(500, _envelope(body), {"Content-Type": "text/xml;charset=UTF-8"})


def cli_simulator(*, port: int, latency: float, faults: Faults) -> ViesSimulator:
    return ViesSimulator(port=port, latency=latency, faults=faults)
