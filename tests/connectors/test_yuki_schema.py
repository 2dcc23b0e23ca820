"""The reconstructed SalesInvoices XSD, the response XSD and the WSDLs in schemas/yuki/."""

from __future__ import annotations

from pathlib import Path

import pytest
import zeep
from lxml import etree
from mapper.connectors.yuki.client import YukiTransport

try:
    from tests.connectors.yuki_fixtures import (
        EXAMPLE_SHAPED_DOCUMENT,
        Invoice,
        Line,
        sales_invoices_xml,
    )
except ImportError:
    from yuki_fixtures import (  # type: ignore[no-redef]
        EXAMPLE_SHAPED_DOCUMENT,
        Invoice,
        Line,
        sales_invoices_xml,
    )

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "yuki"
TNS = "http://www.theyukicompany.com/"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "SalesInvoices.xsd")))


def errors(schema: etree.XMLSchema, text: str) -> str:
    document = etree.fromstring(text.encode())
    return "" if schema.validate(document) else str(schema.error_log)


def test_the_published_example_shape_is_valid(schema: etree.XMLSchema) -> None:
    assert errors(schema, EXAMPLE_SHAPED_DOCUMENT) == ""


def test_our_own_documents_are_valid(schema: etree.XMLSchema) -> None:
    assert errors(schema, sales_invoices_xml([Invoice(), Invoice(reference=None)])) == ""


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("<Reference>WS-2024-0001</Reference>\n<Subject>Order 1001 webwinkel</Subject>",
          "<Subject>Order 1001 webwinkel</Subject>\n<Reference>WS-2024-0001</Reference>"),
         "Reference"),
        (("<Date>2024-03-15</Date>", ""), "Date"),
        (("<Date>2024-03-15</Date>", "<Date>15-03-2024</Date>"), "Date"),
        (("<PaymentMethod>iDeal</PaymentMethod>", "<PaymentMethod>PayPal</PaymentMethod>"),
         "PaymentMethod"),
        (("<SalesPrice>4.36</SalesPrice>", "<SalesPrice>4.36001</SalesPrice>"), "SalesPrice"),
        (("<ProductQuantity>3</ProductQuantity>", "<ProductQuantity>0.12345</ProductQuantity>"),
         "ProductQuantity"),
        (("<VATPercentage>9.00</VATPercentage>", "<VATPercentage>9.001</VATPercentage>"),
         "VATPercentage"),
        (("<VATType>2</VATType>", "<VATType>high</VATType>"), "VATType"),
        (("<ContactType>Company</ContactType>", "<ContactType>Shop</ContactType>"), "ContactType"),
        (("<Process>true</Process>", "<Process>yes</Process>"), "Process"),
    ],
)
def test_the_schema_refuses(schema: etree.XMLSchema, change: tuple[str, str],
                            complaint: str) -> None:
    old, new = change
    assert old in EXAMPLE_SHAPED_DOCUMENT
    assert complaint in errors(schema, EXAMPLE_SHAPED_DOCUMENT.replace(old, new))


def test_contact_and_invoice_lines_are_required(schema: etree.XMLSchema) -> None:
    start = EXAMPLE_SHAPED_DOCUMENT.index("<InvoiceLines>")
    end = EXAMPLE_SHAPED_DOCUMENT.index("</InvoiceLines>") + len("</InvoiceLines>")
    without_lines = EXAMPLE_SHAPED_DOCUMENT[:start] + EXAMPLE_SHAPED_DOCUMENT[end:]
    assert "InvoiceLines" in errors(schema, without_lines)


def test_price_with_trailing_zeros_is_valid_for_the_schema(schema: etree.XMLSchema) -> None:
    # xs:decimal facets look at the value: 4.36000 has two fraction digits for the XSD.
    # The simulator's per-invoice check refuses the five written decimals (as Yuki does).
    text = sales_invoices_xml([Invoice(lines=[Line(price="4.36000")])])
    assert errors(schema, text) == ""


def test_the_response_schema_takes_yukis_soap_answer_shape() -> None:
    response_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "SalesInvoicesResponse.xsd")))
    answer = (
        '<SalesInvoicesImportResponse '
        'xmlns="urn:xmlns:http://www.theyukicompany.com:salesinvoicesresponse">'
        '<TimeStamp xmlns="">2024-05-02</TimeStamp>'
        '<AdministrationId xmlns="">a1</AdministrationId>'
        '<TotalSucceeded xmlns="">1</TotalSucceeded><TotalFailed xmlns="">0</TotalFailed>'
        '<TotalSkipped xmlns="">0</TotalSkipped>'
        '<Invoice xmlns=""><Succeeded>true</Succeeded><Processed>true</Processed>'
        "<EmailSent>false</EmailSent><Reference>WS-1</Reference><Subject>Order 1</Subject>"
        "<Contact>Jansen Koffie</Contact><Message></Message></Invoice>"
        "</SalesInvoicesImportResponse>"
    )
    assert response_schema.validate(etree.fromstring(answer.encode())), response_schema.error_log


def load(name: str) -> zeep.Client:
    transport = YukiTransport(timeout=1.0, session=None, secrets=())
    return zeep.Client(str(SCHEMAS / name), transport=transport)


def test_wsdls_load_from_disk_without_network() -> None:
    for name in ("Sales.asmx.wsdl", "Vat.asmx.wsdl", "Archive.asmx.wsdl"):
        client = load(name)
        bindings = {binding.name.localname for binding in client.wsdl.bindings.values()}
        service = name.split(".")[0]
        assert {f"{service}Soap", f"{service}Soap12"} <= bindings


def parameters(client: zeep.Client, operation: str) -> list[str]:
    element = client.get_element(f"{{{TNS}}}{operation}")
    return [name for name, _ in element.type.elements]


def test_sales_wsdl_operations_and_parameter_names() -> None:
    sales = load("Sales.asmx.wsdl")
    assert parameters(sales, "ProcessSalesInvoices") == ["sessionId", "administrationId", "xmlDoc"]
    assert parameters(sales, "ProcessRecognizedSalesInvoices") == [
        "sessionId", "administrationId", "xmlDoc"]
    assert parameters(sales, "GetSalesItems") == ["sessionID", "administrationID"]
    assert parameters(sales, "SalesInvoiceSchemaPath") == []
    assert parameters(sales, "Authenticate") == ["accessKey"]
    assert parameters(sales, "AdministrationID") == ["sessionID", "administrationName"]
    operations = sales.wsdl.bindings[f"{{{TNS}}}SalesSoap"]._operations
    assert operations["ProcessSalesInvoices"].soapaction == f"{TNS}ProcessSalesInvoices"


def test_vat_wsdl_returns_typed_vat_codes() -> None:
    vat = load("Vat.asmx.wsdl")
    assert parameters(vat, "ActiveVATCodesList") == ["sessionID", "administrationID"]
    code = vat.get_type(f"{{{TNS}}}VATCode")
    assert [name for name, _ in code.elements] == [
        "description", "type", "typeDescription", "percentage", "country", "startDate", "endDate"]


def test_archive_wsdl_has_the_document_search() -> None:
    archive = load("Archive.asmx.wsdl")
    assert parameters(archive, "SearchDocuments")[:3] == ["sessionID", "searchOption", "searchText"]
