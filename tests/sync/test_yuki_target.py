"""The Yuki target adapter: results matched to orders, and invoices found again — also for
PrestaShop split carts, whose orders share one order number (and so one Subject)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapper.connectors.errors import ProtocolError
from mapper.connectors.yuki.adapter import YukiTarget, invoice_total
from mapper.connectors.yuki.client import ArchiveDocument, ImportResult, InvoiceResult
from mapper.engine.mapping import Pair, Payload


def payload(order_id: str, subject: str, price: str) -> Payload:
    body: dict[str, Any] = {
        "Subject": subject,
        "InvoiceLines": {
            "InvoiceLine": [
                {"ProductQuantity": Decimal("3"), "Product": {"SalesPrice": Decimal(price)}},
                {"ProductQuantity": Decimal("1"), "Product": {"SalesPrice": Decimal("0.01")}},
            ]
        },
    }
    return Payload(order_id, "SPLIT", body, {}, "test")


def result(subject: str, reference: str, succeeded: bool = True) -> InvoiceResult:
    return InvoiceResult(succeeded, False, False, reference, subject, "", "" if succeeded else "no", None)


class FakeYuki:
    def __init__(self, answers: list[InvoiceResult], archive: list[ArchiveDocument]) -> None:
        self.answers = answers
        self.archive = archive

    def process_sales_invoices(self, document: str, retry: Any = None) -> ImportResult:
        return ImportResult("admin", "2026-11-21", 0, 0, 0, tuple(self.answers))

    def find_sales_invoice(self, text: str) -> list[ArchiveDocument]:
        return [d for d in self.archive if text in d.subject]


def target(client: FakeYuki) -> YukiTarget:
    adapter = YukiTarget.__new__(YukiTarget)
    adapter.client = client  # type: ignore[assignment]
    adapter.render = lambda payloads: Pair.load("prestashop-yuki").render(payloads)  # type: ignore[arg-type]
    adapter.batch_size = 100
    return adapter


def archived(subject: str, amount: str, reference: str) -> ArchiveDocument:
    return ArchiveDocument(reference, subject, None, Decimal(amount), "sales", "", "", reference)


def test_the_invoice_total_is_what_yuki_books_from_unit_prices() -> None:
    assert invoice_total(payload("1", "Bestelling SPLIT", "3.3333").body) == Decimal("10.01")


def test_results_are_matched_in_order_when_split_carts_share_a_subject(monkeypatch: Any) -> None:
    first, second = payload("41", "Bestelling SPLIT", "5.00"), payload("42", "Bestelling SPLIT", "7.00")
    client = FakeYuki([result("Bestelling SPLIT", "A-1"), result("Bestelling SPLIT", "", False)], [])
    adapter = target(client)
    adapter.render = lambda payloads: "<SalesInvoices/>"
    deliveries = adapter.post([first, second])
    assert [(d.outcome, d.reference) for d in deliveries] == [("sent", "A-1"), ("refused", "")]


def test_an_incomplete_answer_never_gives_one_orders_result_to_its_split_twin(
    monkeypatch: Any,
) -> None:
    first, second = payload("41", "Bestelling SPLIT", "5.00"), payload("42", "Bestelling SPLIT", "7.00")
    adapter = target(FakeYuki([result("Bestelling SPLIT", "A-1")], []))
    adapter.render = lambda payloads: "<SalesInvoices/>"
    assert [d.outcome for d in adapter.post([first, second])] == ["uncertain", "uncertain"]


def test_find_tells_split_carts_apart_by_their_totals_or_says_it_cannot() -> None:
    first, second = payload("41", "Bestelling SPLIT", "5.00"), payload("42", "Bestelling SPLIT", "7.00")
    archive = [archived("Bestelling SPLIT", "15.01", "A-1")]
    adapter = target(FakeYuki([], archive))
    assert adapter.find(first) == "A-1"
    assert adapter.find(second) is None  # its twin's invoice is not its own
    archive.append(archived("Bestelling SPLIT", "15.01", "A-2"))
    with pytest.raises(ProtocolError, match="2 invoices in the archive fit 'Bestelling SPLIT'"):
        adapter.find(first)


def test_a_reference_yuki_booked_before_is_looked_up_never_an_error() -> None:
    """Yuki refuses a Reference it holds: the invoice is there (an earlier post that got no
    answer, another connector), so the order is not sent to Errors and not posted again."""
    booked = payload("41", "Bestelling 1041", "5.00")
    refusal = "An invoice with reference '1041' already exists in this administration."
    answer = InvoiceResult(False, False, False, "", "Bestelling 1041", "", refusal, None)
    adapter = target(FakeYuki([answer], []))
    adapter.render = lambda payloads: "<SalesInvoices/>"
    [delivery] = adapter.post([booked])
    assert (delivery.outcome, delivery.message, delivery.answered) == ("uncertain", refusal, False)


def test_other_refusals_stay_refusals() -> None:
    other = "The XML document is not valid according to SalesInvoices.xsd: line 3: bad"
    answer = InvoiceResult(False, False, False, "", "Bestelling 7", "", other, None)
    adapter = target(FakeYuki([answer], []))
    adapter.render = lambda payloads: "<SalesInvoices/>"
    [delivery] = adapter.post([payload("7", "Bestelling 7", "5.00")])
    assert (delivery.outcome, delivery.message) == ("refused", other)
