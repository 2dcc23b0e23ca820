"""YukiClient against YukiSimulator over real sockets, in SOAP 1.1 and SOAP 1.2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from mapper.connectors.errors import AuthenticationError, NotFoundError, RejectedError
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.yuki.client import YukiClient
from mapper.connectors.yuki.simulator import (
    DEMO_ACCESS_KEY,
    DEMO_ADMINISTRATION_ID,
    DUTCH_VAT_CODES,
    VatCodeSeed,
    YukiSimulator,
)

try:
    from tests.connectors.yuki_fixtures import (
        EXAMPLE_SHAPED_DOCUMENT,
        FakeClock,
        Invoice,
        Line,
        _running_yuki_sim,
        invoices,
        make_client,
        sales_invoices_xml,
        soap_version,
        yuki_client,
        yuki_sim,
    )
except ImportError:
    from yuki_fixtures import (  # type: ignore[no-redef]
        EXAMPLE_SHAPED_DOCUMENT,
        FakeClock,
        Invoice,
        Line,
        _running_yuki_sim,
        invoices,
        make_client,
        sales_invoices_xml,
        soap_version,
        yuki_client,
        yuki_sim,
    )

__all__ = ["_running_yuki_sim", "soap_version", "yuki_client", "yuki_sim"]  # fixtures used by name


def test_authenticates_once_and_reuses_the_session(yuki_client: YukiClient,
                                                   yuki_sim: YukiSimulator) -> None:
    yuki_client.administrations()
    yuki_client.active_vat_codes()
    yuki_client.process_sales_invoices(sales_invoices_xml(invoices(2)))
    assert yuki_sim.operations_served == [
        "Authenticate", "Administrations", "ActiveVATCodesList", "ProcessSalesInvoices"]
    assert yuki_client.calls_made == 4


def test_administrations_and_check(yuki_client: YukiClient) -> None:
    [administration] = yuki_client.administrations()
    assert administration.id == DEMO_ADMINISTRATION_ID
    assert administration.name == "Demo Webwinkel BV"
    assert administration.country == "NL"
    assert administration.start_date == date(2020, 1, 1)
    assert yuki_client.check_administration() == administration


def test_check_administration_names_what_the_key_can_see(yuki_sim: YukiSimulator) -> None:
    client = make_client(yuki_sim, DEMO_ACCESS_KEY, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError) as caught:
        client.check_administration()
    assert "00000000-0000-0000-0000-000000000000" in str(caught.value)
    assert "Demo Webwinkel BV" in str(caught.value)


def test_administrations_of_other_domains_stay_hidden(yuki_sim: YukiSimulator) -> None:
    yuki_sim.add_access_key("other-key", "other-domain")
    yuki_sim.add_administration("other-admin", "Ander BV", "other-domain")
    client = make_client(yuki_sim, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID)
    assert [a.id for a in client.administrations()] == [DEMO_ADMINISTRATION_ID]
    stranger = make_client(yuki_sim, "other-key", DEMO_ADMINISTRATION_ID)
    with pytest.raises(AuthenticationError, match="No access to administration"):
        stranger.process_sales_invoices(sales_invoices_xml(invoices(1)))


def test_active_vat_codes(yuki_client: YukiClient) -> None:
    codes = yuki_client.active_vat_codes()
    by_type = {(c.type, c.country): c for c in codes}
    assert by_type[(1, None)].percentage == Decimal("21.00")
    assert by_type[(2, None)].percentage == Decimal("9.00")
    assert by_type[(17, None)].type_description == "VAT reverse-charged, sales"
    oss = by_type[(40, "DE")]
    assert oss.start_date == date(2021, 7, 1) and oss.end_date is None
    assert not oss.active_on(date(2021, 6, 30)) and oss.active_on(date(2024, 1, 1))
    assert len(codes) == len(DUTCH_VAT_CODES)


def test_many_invoices_in_one_call(yuki_client: YukiClient, yuki_sim: YukiSimulator) -> None:
    result = yuki_client.process_sales_invoices(sales_invoices_xml(invoices(25)))
    assert (result.total_succeeded, result.total_failed, result.total_skipped) == (25, 0, 0)
    assert result.administration_id == DEMO_ADMINISTRATION_ID
    assert [i.reference for i in result.invoices] == [f"WS-{n:05d}" for n in range(1, 26)]
    assert all(i.succeeded and i.processed and i.message == "" for i in result.invoices)
    assert result.invoices[0].contact == "Jansen Koffie"
    assert yuki_client.calls_made == 2  # Authenticate + one ProcessSalesInvoices
    assert len(yuki_sim.invoices) == 25


def test_the_simulator_keeps_what_it_booked(yuki_client: YukiClient,
                                            yuki_sim: YukiSimulator) -> None:
    lines = [Line("Koffiebonen 1 kg", "2", "12.40", "21.00", "1"),
             Line("Filters 100 st", "1", "3.95", "9.00", "2", vat_included=True, gl_account="8010")]
    yuki_client.process_sales_invoices(sales_invoices_xml([Invoice(lines=lines)]))
    [booked] = yuki_sim.invoices
    assert booked["reference"] == "WS-0001"
    assert booked["subject"] == "Order 1001"
    assert booked["date"] == date(2024, 5, 2)
    assert booked["contact_name"] == "Jansen Koffie"
    assert [(line["quantity"], line["price"], line["vat_type"], line["gl_account"])
            for line in booked["lines"]] == [
        (Decimal("2"), Decimal("12.40"), 1, "8000"), (Decimal("1"), Decimal("3.95"), 2, "8010")]
    # 2 × 12.40 × 1.21 = 30.008 → 30.01, plus 3.95 incl. VAT
    assert booked["total"] == Decimal("33.96")


def test_xml_doc_travels_as_raw_xml_without_declaration(soap_version: str) -> None:
    bodies: list[bytes] = []

    class Recording(YukiSimulator):
        def handle(self, request: Request) -> Reply:
            bodies.append(request.body)
            return super().handle(request)

    simulator = Recording()
    simulator.seed_demo()
    with simulator:
        client = make_client(simulator, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID,
                             soap_version=soap_version)
        client.process_sales_invoices(EXAMPLE_SHAPED_DOCUMENT)
    sent = bodies[-1]
    assert b"&lt;SalesInvoices" not in sent and b"CDATA" not in sent
    assert sent.count(b"<?xml") <= 1
    envelope = etree.fromstring(sent)
    [xml_doc] = envelope.iter("{http://www.theyukicompany.com/}xmlDoc")
    [document] = list(xml_doc)
    assert document.tag == "{urn:xmlns:http://www.theyukicompany.com:salesinvoices}SalesInvoices"
    operation = xml_doc.getparent()
    assert operation is not None
    assert [etree.QName(el).localname for el in operation] == [
        "sessionId", "administrationId", "xmlDoc"]


def test_the_example_shaped_document_is_booked(yuki_client: YukiClient) -> None:
    result = yuki_client.process_sales_invoices(EXAMPLE_SHAPED_DOCUMENT.encode())
    [invoice] = result.invoices
    assert invoice.succeeded and invoice.reference == "WS-2024-0001"
    assert invoice.contact == "Bakkerij de Korenschoof"


def single(client: YukiClient, invoice: Invoice) -> tuple[bool, str]:
    [result] = client.process_sales_invoices(sales_invoices_xml([invoice])).invoices
    return result.succeeded, result.message


def test_unknown_vat_type_is_refused(yuki_client: YukiClient, yuki_sim: YukiSimulator) -> None:
    ok, message = single(yuki_client, Invoice(lines=[Line(vat_type="99")]))
    assert not ok and "unknown VAT type 99" in message
    assert yuki_sim.invoices == []


def test_vat_code_not_yet_active_on_the_invoice_date(yuki_sim: YukiSimulator) -> None:
    administration = yuki_sim.administrations[DEMO_ADMINISTRATION_ID]
    administration.vat_codes.append(VatCodeSeed(
        5, "BTW 20%", "VAT future", Decimal("20.00"), start_date=date(2030, 1, 1)))
    client = make_client(yuki_sim, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID)
    ok, message = single(client, Invoice(lines=[Line(vat_type="5")]))
    assert not ok and "unknown VAT type 5" in message


def test_sales_price_written_with_more_than_four_decimals_is_refused(
    yuki_client: YukiClient,
) -> None:
    ok, message = single(yuki_client, Invoice(lines=[Line(price="12.40000")]))
    assert not ok and "more than 4 decimals" in message


def test_process_without_reference_is_refused_but_a_draft_is_fine(
    yuki_client: YukiClient, yuki_sim: YukiSimulator
) -> None:
    ok, message = single(yuki_client, Invoice(reference=None, process=True))
    assert not ok and "Reference is required" in message
    result = yuki_client.process_sales_invoices(
        sales_invoices_xml([Invoice(reference=None, process=False)]))
    [draft] = result.invoices
    assert draft.succeeded and not draft.processed
    assert yuki_sim.invoices[0]["reference"] is None


def test_a_reference_is_booked_once(yuki_client: YukiClient, yuki_sim: YukiSimulator) -> None:
    first = yuki_client.process_sales_invoices(sales_invoices_xml([Invoice(), Invoice()]))
    assert [i.succeeded for i in first.invoices] == [True, False]
    assert "already exists" in first.invoices[1].message
    again = yuki_client.process_sales_invoices(sales_invoices_xml([Invoice()]))
    assert (again.total_succeeded, again.total_failed) == (0, 1)
    assert len(yuki_sim.invoices) == 1


def test_one_bad_invoice_does_not_stop_the_others(yuki_client: YukiClient) -> None:
    batch = invoices(3)
    batch[1].lines = [Line(vat_type="42")]
    result = yuki_client.process_sales_invoices(sales_invoices_xml(batch))
    assert [i.succeeded for i in result.invoices] == [True, False, True]
    assert (result.total_succeeded, result.total_failed) == (2, 1)


def test_document_without_namespace_is_refused_whole(yuki_client: YukiClient,
                                                     yuki_sim: YukiSimulator) -> None:
    result = yuki_client.process_sales_invoices(
        sales_invoices_xml(invoices(2), namespace=None))
    assert result.total_succeeded == 0 and result.total_failed == 2
    assert all("namespace" in i.message for i in result.invoices)
    assert yuki_sim.invoices == []


def test_schema_violation_books_nothing(yuki_client: YukiClient, yuki_sim: YukiSimulator) -> None:
    text = sales_invoices_xml(invoices(3))
    # one invoice with elements out of order spoils the whole document
    broken = text.replace("<Subject>Order 2</Subject><PaymentMethod>Online</PaymentMethod>",
                          "<PaymentMethod>Online</PaymentMethod><Subject>Order 2</Subject>")
    assert broken != text
    result = yuki_client.process_sales_invoices(broken)
    assert result.total_succeeded == 0 and len(result.invoices) == 3
    assert all("SalesInvoices.xsd" in i.message for i in result.invoices)
    assert yuki_sim.invoices == []


def test_malformed_document_is_refused_before_sending(yuki_client: YukiClient) -> None:
    with pytest.raises(RejectedError, match="not well-formed"):
        yuki_client.process_sales_invoices("<SalesInvoices><SalesInvoice>")
    assert yuki_client.calls_made == 0


def test_email_sent_and_contact_reported(yuki_client: YukiClient) -> None:
    invoice = Invoice(email="inkoop@jansen.example", email_to_customer=True)
    [result] = yuki_client.process_sales_invoices(sales_invoices_xml([invoice])).invoices
    assert result.email_sent


def test_find_sales_invoice(yuki_client: YukiClient) -> None:
    yuki_client.process_sales_invoices(sales_invoices_xml(invoices(3)))
    [found] = yuki_client.find_sales_invoice("WS-00002")
    assert found.reference == "WS-00002" and found.subject == "Order 2"
    assert found.document_date == date(2024, 5, 2)
    assert found.amount == Decimal("34.32")  # 30.01 (2 × 12.40 × 1.21) + 4.31 (3.95 × 1.09)
    assert found.folder == "Sales"
    assert yuki_client.find_sales_invoice("WS-99999") == []
    assert len(yuki_client.find_sales_invoice("Order", search_option="Subject")) == 3
    assert yuki_client.find_sales_invoice("WS-00002", end=date(2024, 5, 1)) == []


def test_session_is_renewed_after_24_hours(yuki_sim: YukiSimulator) -> None:
    clock = FakeClock()
    yuki_sim.clock = clock
    client = make_client(yuki_sim, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID, clock=clock)
    client.administrations()
    clock.advance(23 * 3600)
    client.administrations()
    assert yuki_sim.operations_served.count("Authenticate") == 1
    clock.advance(2 * 3600)
    client.administrations()
    assert yuki_sim.operations_served.count("Authenticate") == 2


def test_session_dropped_by_yuki_is_renewed_transparently(yuki_client: YukiClient,
                                                          yuki_sim: YukiSimulator) -> None:
    yuki_client.administrations()
    yuki_sim.sessions.clear()
    assert yuki_client.active_vat_codes()
    assert yuki_sim.operations_served == [
        "Authenticate", "Administrations", "Authenticate", "ActiveVATCodesList"]


def test_simulator_sessions_expire_after_24_hours(yuki_sim: YukiSimulator) -> None:
    clock = FakeClock()
    yuki_sim.clock = clock
    # the client's own clock stands still, so only Yuki knows the session is stale
    client = make_client(yuki_sim, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID, clock=lambda: 0.0)
    client.administrations()
    clock.advance(24 * 3600 + 1)
    client.administrations()
    assert yuki_sim.operations_served.count("Authenticate") == 2


def test_wsdl_is_served_with_the_simulators_address(yuki_sim: YukiSimulator) -> None:
    import httpx

    answer = httpx.get(f"{yuki_sim.url}/ws/Sales.asmx?WSDL")
    assert answer.status_code == 200
    assert f'location="{yuki_sim.url}/ws/Sales.asmx"' in answer.text
    assert httpx.get(f"{yuki_sim.url}/ws/Nothing.asmx").status_code == 404
