"""Yuki as the sync pipeline's Target: many invoices per ProcessSalesInvoices call, results
matched to payloads in order, and the archive asked whether an invoice already arrived."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from ..adapters import (
    CheckLine,
    Delivery,
    HasBody,
    RenderPayloads,
    no_delivery,
    secret_value,
    timeout,
)
from ..errors import (
    AmbiguousMatchError,
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from ..retry import NO_RETRY, RetryPolicy
from .client import ArchiveDocument, VatCode, YukiClient
from .vat import active_types, configured_codes, inactive_message, payload_problem

log = logging.getLogger(__name__)
TITLE = "Yuki"

CENT = Decimal("0.01")
DEFAULT_SETTLE_SECONDS = 900.0
# Days per archive listing when adopting; a window that fills a listing is split in two.
LIST_WINDOW_DAYS = 31
LIST_LIMIT = 1000


class YukiTarget:
    """Many invoices per ProcessSalesInvoices call: Yuki allows about 1000 calls a day."""

    def __init__(
        self, section: Mapping[str, Any], shop: str, retry: RetryPolicy, render: RenderPayloads
    ) -> None:
        self.batch_size = int(section.get("batch_size", 100))
        # How long after a post without an answer Yuki may still book it (see the pipeline).
        self.settle_seconds = float(section.get("settle_seconds", DEFAULT_SETTLE_SECONDS))
        self.render = render
        self.client = YukiClient(
            section["url"],
            secret_value(section, "access_key", shop),
            str(section.get("administration_id", "")),
            retry=retry,
            timeout=timeout(section, 30.0),
        )

    def check(self, settings: Mapping[str, Any], today: date | None = None) -> list[CheckLine]:
        """The manual's connection step for Yuki: the access key is accepted, the configured
        administration is among those it sees, and every VAT code the yuki `settings` book
        with is active there (ActiveVATCodesList). One line, never the key."""
        try:
            administration = self.client.check_administration()
            codes = self.client.active_vat_codes()
        except AuthenticationError as error:
            return [fail(f"access key refused ({error.message}); check the target's access_key")]
        except NotFoundError as error:
            return [fail(f"{error.message}; check the target's administration_id")]
        except TransientError as error:
            host = urlsplit(self.client.base_url).netloc
            return [fail(f"cannot reach {host}: {error.message}")]
        except ConnectorError as error:
            return [fail(error.message)]
        day = today or date.today()
        wanted = configured_codes(settings, day)
        inactive = [code for code in wanted if code not in active_types(codes, day)]
        name = f"'{administration.name}'"
        if inactive:
            return [fail(inactive_message(inactive, name))]
        listed = ", ".join(str(code) for code in wanted) or "none configured"
        return [
            CheckLine(
                TITLE, True, f"access key accepted, administration {name} found; VAT codes "
                f"{listed} active"
            )
        ]

    def setting_choices(self, today: date | None = None) -> dict[str, list[tuple[str, str]]]:
        """What the dashboard's Configuration offers in its drop-downs: the VAT codes active
        in the administration today (ActiveVATCodesList), as (VATType, label). Yuki's ledger
        accounts are not listed: the services mapper speaks (Sales, Vat, Archive) have no list
        of them, so the revenue accounts stay text fields."""
        day = today or date.today()
        codes = {code.type: code for code in self.client.active_vat_codes() if code.active_on(day)}
        return {
            "vat_code": [
                (str(code.type), f"{code.type}: {code.description} ({code.percentage}%)")
                for code in sorted(codes.values(), key=lambda c: c.type)
            ]
        }

    def prechecker(self) -> VatPrecheck:
        """A pre-check of payloads for one pass: ActiveVATCodesList is asked once, at its
        first use, and kept for the pass."""
        return VatPrecheck(self.client)

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
            elif already_booked(invoice.message):
                # The Reference is Yuki's idempotency key: this invoice is there already (an
                # earlier post that got no answer, another connector). Not an error, and never
                # posted again: the pipeline looks it up, and leaves it `sending` until found.
                deliveries.append(Delivery("uncertain", message=invoice.message, answered=False))
            else:
                deliveries.append(Delivery("refused", message=invoice.message or "refused"))
        return deliveries

    def find(self, payload: HasBody) -> str | None:
        """The invoice in Yuki's archive with this subject and, where the archive says, this
        total. Two that fit (split carts share an order number) cannot be told apart.

        Idempotency keys: the Subject carries the order's reference and is what the archive is
        searched by; the Reference, when the rule set fills it, is refused by Yuki a second
        time ("already booked"), so a post after a look-up that came too early cannot book
        twice either. The pipeline only posts again after the settle time."""
        subject = str(payload.body.get("Subject", ""))
        total = invoice_total(payload.body)
        matches = [
            document
            for document in self.client.find_sales_invoice(subject)
            if document.subject == subject and document.amount in (None, total)
        ]
        if len(matches) > 1:
            raise AmbiguousMatchError(
                "Yuki", f"{len(matches)} invoices in the archive fit {subject!r}"
            )
        return (matches[0].reference or matches[0].id) if matches else None

    def booking_key(self, payload: HasBody) -> str:
        """What `list_booked` is keyed by: the invoice's Subject."""
        return str(payload.body.get("Subject", ""))

    def list_booked(self, since: datetime, until: datetime) -> dict[str, str]:
        """Subject → reference of every sales invoice in the archive dated in [since, until]:
        one archive search per window of LIST_WINDOW_DAYS (not one per order). Subjects that
        appear twice (split carts) are left out: `find` tells them apart or says it cannot."""
        seen: dict[str, list[str]] = {}
        start = since.date()
        while start <= until.date():
            end = min(start + timedelta(days=LIST_WINDOW_DAYS - 1), until.date())
            for document in self._listed(start, end):
                seen.setdefault(document.subject, []).append(document.reference or document.id)
            start = end + timedelta(days=1)
        return {subject: refs[0] for subject, refs in seen.items() if len(refs) == 1 and subject}

    def _listed(self, start: date, end: date) -> list[ArchiveDocument]:
        documents = self.client.find_sales_invoice(
            "", search_option="All", start=start, end=end, limit=LIST_LIMIT
        )
        if len(documents) < LIST_LIMIT or start == end:
            return documents
        middle = start + (end - start) // 2
        return self._listed(start, middle) + self._listed(middle + timedelta(days=1), end)

    def close(self) -> None:
        close = getattr(self.client, "close", None)  # the zeep client may hold no session
        if close is not None:
            close()


# How Yuki refuses a Reference it has booked before. The wording is the simulator's: Yuki's
# documentation gives no message text (reference/yuki/SOURCES.md); "already exists" is matched
# loosely so that a reworded message still reads as booked rather than as an error.
_ALREADY_BOOKED = re.compile(r"reference\b.*\balready (exists|booked|used)", re.IGNORECASE)


def already_booked(message: str) -> bool:
    """Whether Yuki's refusal of an invoice says its Reference is booked already."""
    return bool(_ALREADY_BOOKED.search(message or ""))


def fail(message: str) -> CheckLine:
    return CheckLine(TITLE, False, message)


class VatPrecheck:
    """The manual's "for the VAT of every line a matching VAT code exists in Yuki", against
    the administration's active codes, fetched once (at the first payloads) per instance.

    Called with a batch of payloads, it returns {index: why} for those that must not be
    posted. When the codes cannot be fetched, nothing is held back (Yuki itself still refuses
    an inactive code) and they are not asked again by this instance.
    """

    def __init__(self, client: YukiClient) -> None:
        self.client = client
        self._codes: list[VatCode] | None = None
        self._unavailable = False

    def __call__(self, payloads: Sequence[HasBody]) -> dict[int, str]:
        codes = self._active_codes()
        if codes is None:
            return {}
        label = self.client.administration_id
        problems = {}
        for index, payload in enumerate(payloads):
            problem = payload_problem(payload.body, codes, label)
            if problem is not None:
                problems[index] = problem
        return problems

    def _active_codes(self) -> list[VatCode] | None:
        if self._codes is None and not self._unavailable:
            try:
                self._codes = self.client.active_vat_codes()
            except ConnectorError as error:
                log.warning("yuki: active VAT codes not available, not pre-checked: %s", error)
                self._unavailable = True
        return self._codes


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
