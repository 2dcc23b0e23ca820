"""The simulator answers in the shapes of Yuki's real answers.

Each REFERENCE below is a structural description of a real Yuki answer (Yuki's Postman
documentation, as recorded by an API client's tests): every element as `depth name`, with
`{}` for the empty namespace, attributes in brackets, repeated siblings listed once. The
simulator's raw HTTP answer must have exactly that structure.
"""

from __future__ import annotations

import httpx
import pytest
from lxml import etree
from mapper.connectors.yuki.simulator import (
    DEMO_ACCESS_KEY,
    DEMO_ADMINISTRATION_ID,
    VatCodeSeed,
    YukiSimulator,
)

try:
    from tests.connectors.yuki_fixtures import (
        Invoice,
        _running_yuki_sim,
        sales_invoices_xml,
        yuki_sim,
    )
except ImportError:
    from yuki_fixtures import (  # type: ignore[no-redef]
        Invoice,
        _running_yuki_sim,
        sales_invoices_xml,
        yuki_sim,
    )

__all__ = ["_running_yuki_sim", "yuki_sim"]  # fixtures used by name

PREFIXES = {
    "http://schemas.xmlsoap.org/soap/envelope/": "soap:",
    "http://www.theyukicompany.com/": "yuki:",
    "urn:xmlns:http://www.theyukicompany.com:salesinvoicesresponse": "resp:",
    "": "{}",
}

AUTHENTICATE = """
0 soap:Envelope
1 soap:Body
2 yuki:AuthenticateResponse
3 yuki:AuthenticateResult
"""

ADMINISTRATIONS = """
0 soap:Envelope
1 soap:Body
2 yuki:AdministrationsResponse
3 yuki:AdministrationsResult
4 {}Administrations
5 {}Administration [ID]
6 {}Name
6 {}AddressLine
6 {}Postcode
6 {}City
6 {}Country
6 {}CoCNumber
6 {}VATNumber
6 {}StartDate
6 {}DomainID
6 {}Active
"""

ACTIVE_VAT_CODES = """
0 soap:Envelope
1 soap:Body
2 yuki:ActiveVATCodesListResponse
3 yuki:ActiveVATCodesListResult
4 yuki:VATCode
5 yuki:description
5 yuki:type
5 yuki:typeDescription
5 yuki:percentage
5 yuki:country
5 yuki:startDate
5 yuki:endDate
"""

PROCESS_SALES_INVOICES = """
0 soap:Envelope
1 soap:Body
2 yuki:ProcessSalesInvoicesResponse
3 yuki:ProcessSalesInvoicesResult
4 resp:SalesInvoicesImportResponse
5 {}TimeStamp
5 {}AdministrationId
5 {}TotalSucceeded
5 {}TotalFailed
5 {}TotalSkipped
5 {}Invoice
6 {}Succeeded
6 {}Processed
6 {}EmailSent
6 {}Reference
6 {}Subject
6 {}Contact
6 {}Message
"""

DAILY_LIMIT_FAULT = """
0 soap:Envelope
1 soap:Body
2 soap:Fault
3 {}faultcode
3 {}faultstring
3 {}detail
"""


def skeleton(document: bytes) -> str:
    root = etree.fromstring(document)
    lines: list[str] = []

    def walk(el: etree._Element, depth: int) -> None:
        qname = etree.QName(el)
        attributes = sorted(etree.QName(a).localname for a in el.attrib
                            if etree.QName(a).namespace is None)
        line = f"{depth} {PREFIXES[qname.namespace or '']}{qname.localname}"
        if attributes:
            line += f" [{' '.join(attributes)}]"
        if not lines or lines[-1] != line:
            lines.append(line)
        previous = None
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if previous is not None and child.tag == previous:
                continue  # repeated siblings are described once
            previous = child.tag
            walk(child, depth + 1)

    walk(root, 0)
    return "\n".join(lines)


def post(url: str, operation: str, body: str) -> httpx.Response:
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{operation} xmlns="http://www.theyukicompany.com/">{body}</{operation}>'
        "</soap:Body></soap:Envelope>"
    )
    return httpx.post(
        url, content=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8",
                 "SOAPAction": f'"http://www.theyukicompany.com/{operation}"'},
    )


def session(sim: YukiSimulator) -> str:
    answer = post(f"{sim.url}/ws/Sales.asmx", "Authenticate",
                  f"<accessKey>{DEMO_ACCESS_KEY}</accessKey>")
    return str(etree.fromstring(answer.content).findtext(".//{*}AuthenticateResult"))


def test_authenticate(yuki_sim: YukiSimulator) -> None:
    answer = post(f"{yuki_sim.url}/ws/Sales.asmx", "Authenticate",
                  f"<accessKey>{DEMO_ACCESS_KEY}</accessKey>")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert skeleton(answer.content) == AUTHENTICATE.strip()
    result = etree.fromstring(answer.content).findtext(".//{*}AuthenticateResult")
    assert result is not None and len(result) == 36  # a GUID


def test_administrations(yuki_sim: YukiSimulator) -> None:
    answer = post(f"{yuki_sim.url}/ws/Archive.asmx", "Administrations",
                  f"<sessionID>{session(yuki_sim)}</sessionID>")
    assert skeleton(answer.content) == ADMINISTRATIONS.strip()


def test_active_vat_codes(yuki_sim: YukiSimulator) -> None:
    # the reference answer has a code with a country (OSS) first in its description
    codes = yuki_sim.administrations[DEMO_ADMINISTRATION_ID].vat_codes
    codes.sort(key=lambda c: c.country is None)
    assert isinstance(codes[0], VatCodeSeed) and codes[0].country
    answer = post(
        f"{yuki_sim.url}/ws/Vat.asmx", "ActiveVATCodesList",
        f"<sessionID>{session(yuki_sim)}</sessionID>"
        f"<administrationID>{DEMO_ADMINISTRATION_ID}</administrationID>",
    )
    assert skeleton(answer.content) == ACTIVE_VAT_CODES.strip()
    # codes without a country leave <country> out and send nil dates, as the reference does
    root = etree.fromstring(answer.content)
    plain = [c for c in root.iter("{*}VATCode") if c.find("{*}country") is None]
    assert plain
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    assert all(c.find("{*}startDate").get(nil) == "true" for c in plain)  # type: ignore[union-attr]


def test_process_sales_invoices(yuki_sim: YukiSimulator) -> None:
    document = sales_invoices_xml([Invoice()], declaration=False)
    answer = post(
        f"{yuki_sim.url}/ws/Sales.asmx", "ProcessSalesInvoices",
        f"<sessionId>{session(yuki_sim)}</sessionId>"
        f"<administrationId>{DEMO_ADMINISTRATION_ID}</administrationId>"
        f"<xmlDoc>{document}</xmlDoc>",
    )
    assert answer.status_code == 200
    assert skeleton(answer.content) == PROCESS_SALES_INVOICES.strip()
    # the children carry xmlns="" literally, as Yuki writes them
    assert b'<TimeStamp xmlns="">' in answer.content
    assert b'<Invoice xmlns="">' in answer.content


def test_daily_limit_fault(yuki_sim: YukiSimulator) -> None:
    yuki_sim.daily_limit = 1
    session_id = session(yuki_sim)
    answer = post(f"{yuki_sim.url}/ws/Archive.asmx", "Administrations",
                  f"<sessionID>{session_id}</sessionID>")
    assert answer.status_code == 500
    assert skeleton(answer.content) == DAILY_LIMIT_FAULT.strip()
    fault = etree.fromstring(answer.content).find(".//{*}Fault")
    assert fault is not None
    yuki_sim.daily_limit = 1000
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring") == "Daily limit exceeded"
    assert yuki_sim.calls_today("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0") == 1


def test_daily_limit_detail_text_is_yukis() -> None:
    with YukiSimulator() as simulator:
        simulator.seed_demo()
        simulator.daily_limit = 0
        answer = post(f"{simulator.url}/ws/Sales.asmx", "Authenticate",
                      f"<accessKey>{DEMO_ACCESS_KEY}</accessKey>")
    detail = etree.fromstring(answer.content).findtext(".//{*}Fault/detail")
    assert detail == "Every domain has 0 free webservice calls a day."


@pytest.mark.parametrize("action", ['"http://www.theyukicompany.com/Nope"', '"wrong"'])
def test_soap_action_must_match_the_body(yuki_sim: YukiSimulator, action: str) -> None:
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<Authenticate xmlns="http://www.theyukicompany.com/"><accessKey>x</accessKey>'
        "</Authenticate></soap:Body></soap:Envelope>"
    )
    answer = httpx.post(f"{yuki_sim.url}/ws/Sales.asmx", content=envelope,
                        headers={"Content-Type": "text/xml", "SOAPAction": action})
    assert answer.status_code == 500
    assert b"Server did not recognize the value of HTTP Header SOAPAction" in answer.content


def test_soap12_answers_in_soap12(yuki_sim: YukiSimulator) -> None:
    envelope = (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        f'<Authenticate xmlns="http://www.theyukicompany.com/"><accessKey>{DEMO_ACCESS_KEY}'
        "</accessKey></Authenticate></soap:Body></soap:Envelope>"
    )
    answer = httpx.post(
        f"{yuki_sim.url}/ws/Sales.asmx", content=envelope,
        headers={"Content-Type": 'application/soap+xml; charset=utf-8; '
                                 'action="http://www.theyukicompany.com/Authenticate"'},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/soap+xml")
    assert etree.fromstring(answer.content).tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"


def test_cli_simulator_is_seeded_and_prints_a_banner() -> None:
    from mapper.connectors.registry import connector
    from mapper.connectors.simulation import Faults

    factory = connector("yuki").simulator_factory()  # type: ignore[union-attr]
    simulator = factory(port=0, latency=0.0, faults=Faults())
    assert isinstance(simulator, YukiSimulator)
    with simulator:
        banner = "\n".join(simulator.cli_banner())
        assert DEMO_ACCESS_KEY in banner and DEMO_ADMINISTRATION_ID in banner
        answer = post(f"{simulator.url}/ws/Sales.asmx", "Authenticate",
                      f"<accessKey>{DEMO_ACCESS_KEY}</accessKey>")
    assert answer.status_code == 200
