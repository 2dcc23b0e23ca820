"""Test data and fixtures for the Yuki client and simulator tests.

The documents are our own invoices written in the shape of Yuki's published SalesInvoices
example (support article 80000787298): same elements, same order, empty elements and a nil
Category; none of the example's values.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults
from mapper.connectors.yuki.client import YukiClient
from mapper.connectors.yuki.simulator import YukiSimulator

SALES_NS = "urn:xmlns:http://www.theyukicompany.com:salesinvoices"

# The published example's shape (every element it shows, in its order), our own values.
EXAMPLE_SHAPED_DOCUMENT = """<?xml version="1.0" encoding="utf-8"?>
<SalesInvoices xmlns="urn:xmlns:http://www.theyukicompany.com:salesinvoices" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<SalesInvoice>
<Reference>WS-2024-0001</Reference>
<Subject>Order 1001 webwinkel</Subject>
<PaymentMethod>iDeal</PaymentMethod>
<PaymentID>PAY-778899</PaymentID>
<PurchaseOrderNumber>PO-55</PurchaseOrderNumber>
<Process>true</Process>
<EmailToCustomer>false</EmailToCustomer>
<Layout />
<Date>2024-03-15</Date>
<DueDate>2024-04-14</DueDate>
<PriceList />
<Currency />
<ProjectID />
<ProjectCode />
<Remarks />
<Contact>
<ContactCode>C-1001</ContactCode>
<FullName>Bakkerij de Korenschoof</FullName>
<FirstName />
<MiddleName />
<LastName />
<Gender>Female</Gender>
<CountryCode>NL</CountryCode>
<City>Utrecht</City>
<Zipcode>3511 AB</Zipcode>
<AddressLine_1>Oudegracht 12</AddressLine_1>
<AddressLine_2 />
<Website />
<CoCNumber />
<VATNumber />
<ContactType>Company</ContactType>
<BankAccount />
<PhoneHome />
<MobileHome />
</Contact>
<ContactPerson>
<FirstName>Ineke</FirstName>
<LastName>Smit</LastName>
<Gender>Female</Gender>
<EmailAddress>ineke@korenschoof.example</EmailAddress>
</ContactPerson>
<InvoiceLines>
<InvoiceLine>
<Description>Roggebrood</Description>
<Remarks />
<ProductQuantity>3</ProductQuantity>
<Product>
<Description>Roggebrood 800 g</Description>
<Reference>RB-800</Reference>
<Category xsi:nil="true" />
<SalesPrice>4.36</SalesPrice>
<VATPercentage>9.00</VATPercentage>
<VATIncluded>true</VATIncluded>
<VATType>2</VATType>
<GLAccountCode></GLAccountCode>
<Remarks />
</Product>
</InvoiceLine>
</InvoiceLines>
</SalesInvoice>
</SalesInvoices>
"""


@dataclass
class Line:
    description: str = "Koffiebonen 1 kg"
    quantity: str = "2"
    price: str = "12.40"
    vat_percentage: str = "21.00"
    vat_type: str = "1"
    vat_included: bool = False
    gl_account: str = "8000"


@dataclass
class Invoice:
    reference: str | None = "WS-0001"
    subject: str = "Order 1001"
    date: str = "2024-05-02"
    process: bool = True
    contact: str = "Jansen Koffie"
    email: str = ""
    email_to_customer: bool = False
    lines: list[Line] = field(default_factory=lambda: [Line()])


def sales_invoices_xml(
    invoices: list[Invoice], *, namespace: str | None = SALES_NS, declaration: bool = True
) -> str:
    """A SalesInvoices document for `invoices`, written the way the rule files will write it."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n'] if declaration else []
    ns = f' xmlns="{namespace}"' if namespace else ""
    parts.append(f'<SalesInvoices{ns} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">')
    for inv in invoices:
        parts.append("<SalesInvoice>")
        if inv.reference is not None:
            parts.append(f"<Reference>{escape(inv.reference)}</Reference>")
        parts.append(f"<Subject>{escape(inv.subject)}</Subject>")
        parts.append("<PaymentMethod>Online</PaymentMethod>")
        parts.append(f"<Process>{str(inv.process).lower()}</Process>")
        parts.append(f"<EmailToCustomer>{str(inv.email_to_customer).lower()}</EmailToCustomer>")
        parts.append(f"<Date>{inv.date}</Date>")
        parts.append("<Contact>")
        parts.append(f"<FullName>{escape(inv.contact)}</FullName>")
        parts.append("<CountryCode>NL</CountryCode><City>Zwolle</City><Zipcode>8011 AA</Zipcode>")
        parts.append("<AddressLine_1>Melkmarkt 3</AddressLine_1>")
        if inv.email:
            parts.append(f"<EmailAddress>{escape(inv.email)}</EmailAddress>")
        parts.append("<ContactType>Company</ContactType>")
        parts.append("</Contact>")
        parts.append("<InvoiceLines>")
        for line in inv.lines:
            parts.append(
                "<InvoiceLine>"
                f"<Description>{escape(line.description)}</Description>"
                f"<ProductQuantity>{line.quantity}</ProductQuantity>"
                "<Product>"
                f"<Description>{escape(line.description)}</Description>"
                f"<SalesPrice>{line.price}</SalesPrice>"
                f"<VATPercentage>{line.vat_percentage}</VATPercentage>"
                f"<VATIncluded>{str(line.vat_included).lower()}</VATIncluded>"
                f"<VATType>{line.vat_type}</VATType>"
                f"<GLAccountCode>{line.gl_account}</GLAccountCode>"
                "</Product>"
                "</InvoiceLine>"
            )
        parts.append("</InvoiceLines>")
        parts.append("</SalesInvoice>")
    parts.append("</SalesInvoices>")
    return "".join(parts)


def invoices(count: int, *, prefix: str = "WS") -> list[Invoice]:
    return [
        Invoice(reference=f"{prefix}-{n:05d}", subject=f"Order {n}",
                lines=[Line(), Line("Filters 100 st", "1", "3.95", "9.00", "2")])
        for n in range(1, count + 1)
    ]


class FakeClock:
    """A clock tests move by hand (seconds since the epoch, like time.time)."""

    def __init__(self, start: float = 1_714_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, jitter=0.0, sleep=lambda s: None)


def make_client(
    simulator: YukiSimulator, key: str, administration: str, **options: object
) -> YukiClient:
    settings: dict[str, object] = {"timeout": 2.0, "retry": NO_WAIT}
    settings.update(options)
    return YukiClient(simulator.url, key, administration, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def _running_yuki_sim() -> Iterator[YukiSimulator]:
    # One server per module: stopping one waits for serve_forever's 0.5 s poll.
    with YukiSimulator() as simulator:
        yield simulator  # type: ignore[misc]


@pytest.fixture
def yuki_sim(_running_yuki_sim: YukiSimulator) -> YukiSimulator:
    """The demo Yuki with fresh state for every test."""
    simulator = _running_yuki_sim
    simulator.reset()
    simulator.clock = time.time
    simulator.daily_limit = 1000
    simulator.include_document_id = False
    simulator.seed_demo()
    return simulator


@pytest.fixture(params=["1.1", "1.2"])
def soap_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def yuki_client(yuki_sim: YukiSimulator, soap_version: str) -> YukiClient:
    from mapper.connectors.yuki.simulator import DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID

    return make_client(yuki_sim, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID,
                       soap_version=soap_version)


def faulty_simulator(kind: str, *, rate: float = 1.0, **options: object) -> YukiSimulator:
    simulator = YukiSimulator(
        faults=Faults(rate=rate, kinds=(kind,), seed=7, retry_after=0.0, hang_seconds=0.5),
        **options,  # type: ignore[arg-type]
    )
    simulator.seed_demo()
    return simulator


def total(values: list[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal("0"))
