"""Yuki as the sync pipeline's Target: many invoices per ProcessSalesInvoices call, results
matched to payloads in order, and the archive asked whether an invoice already arrived."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..adapters import Delivery, HasBody, RenderPayloads, no_delivery, secret_value, timeout
from ..errors import ProtocolError, RejectedError, TransientError
from ..retry import NO_RETRY, RetryPolicy
from .client import YukiClient

CENT = Decimal("0.01")


class YukiTarget:
    """Many invoices per ProcessSalesInvoices call: Yuki allows about 1000 calls a day."""

    def __init__(
        self, section: Mapping[str, Any], shop: str, retry: RetryPolicy, render: RenderPayloads
    ) -> None:
        self.batch_size = int(section.get("batch_size", 100))
        self.render = render
        self.client = YukiClient(
            section["url"],
            secret_value(section, "access_key", shop),
            str(section.get("administration_id", "")),
            retry=retry,
            timeout=timeout(section, 30.0),
        )

    def post(self, payloads: Sequence[HasBody]) -> list[Delivery]:
        document = self.render(payloads)
        try:
            # Never retried blindly: after a timeout Yuki may have booked them; the pipeline
            # looks them up instead.
            result = self.client.process_sales_invoices(document, retry=NO_RETRY)
        except TransientError as error:
            return [no_delivery(error)] * len(payloads)
        except RejectedError as error:
            return [Delivery("refused", message=error.message)] * len(payloads)
        subjects = [str(payload.body.get("Subject", "")) for payload in payloads]
        answers = list(result.invoices)
        in_order = len(answers) == len(payloads) and all(
            answer.subject in ("", subject) for answer, subject in zip(answers, subjects)
        )
        deliveries = []
        for index, subject in enumerate(subjects):
            # Yuki answers one result per invoice, in order; if it did not, match on the
            # subject — but split carts share one order number, so only a unique one.
            matches = [answer for answer in answers if answer.subject == subject]
            unique = len(matches) == 1 and subjects.count(subject) == 1
            invoice = answers[index] if in_order else matches[0] if unique else None
            if invoice is None:
                deliveries.append(Delivery("uncertain", message="Yuki's answer lists no result"))
            elif invoice.succeeded:
                reference = invoice.reference or invoice.document_id or subject
                deliveries.append(Delivery("sent", reference=reference))
            else:
                deliveries.append(Delivery("refused", message=invoice.message or "refused"))
        return deliveries

    def find(self, payload: HasBody) -> str | None:
        """The invoice in Yuki's archive with this subject and, where the archive says, this
        total. Two that fit (split carts share an order number) cannot be told apart."""
        subject = str(payload.body.get("Subject", ""))
        total = invoice_total(payload.body)
        matches = [
            document
            for document in self.client.find_sales_invoice(subject)
            if document.subject == subject and document.amount in (None, total)
        ]
        if len(matches) > 1:
            raise ProtocolError("Yuki", f"{len(matches)} invoices in the archive fit {subject!r}")
        return (matches[0].reference or matches[0].id) if matches else None

    def close(self) -> None:
        close = getattr(self.client, "close", None)  # the zeep client may hold no session
        if close is not None:
            close()


def invoice_total(body: Mapping[str, Any]) -> Decimal:
    """What Yuki books for a SalesInvoice: Σ round(quantity × unit price, 2), half up."""
    lines = body.get("InvoiceLines", {}).get("InvoiceLine", [])
    return sum(
        (
            (Decimal(str(line["ProductQuantity"])) * Decimal(str(line["Product"]["SalesPrice"])))
            .quantize(CENT, ROUND_HALF_UP)
            for line in lines
        ),
        Decimal("0.00"),
    )
