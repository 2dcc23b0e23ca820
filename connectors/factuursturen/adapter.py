"""Factuursturen as the sync pipeline's Target: one invoice per call, the client ensured first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from ..retry import RetryPolicy
from . import booked
from .client import FactuursturenClient


class FactuursturenTarget:
    """One invoice per call; the client is ensured (never duplicated) before each."""

    batch_size = 1

    def __init__(
        self, section: Mapping[str, Any], shop: str, retry: RetryPolicy, render: RenderPayloads
    ) -> None:
        self.client = FactuursturenClient(
            section["url"],
            str(section.get("username", "")),
            secret_value(section, "api_key", shop),
            retry=retry,
            timeout=timeout(section, 30.0),
        )
        # How long after a post without an answer it may still be booked (see the pipeline).
        self.settle_seconds = float(section.get("settle_seconds", 900.0))

    def check(self, settings: Mapping[str, Any]) -> list[CheckLine]:
        """The connection step: the account name and API key are accepted (the invoice list
        needs them; one invoice asked). One line, never the key."""
        try:
            self.client.list_invoices(count=1)
        except AuthenticationError as error:
            message = f"{error.message}; check the target's username and api_key"
            return [CheckLine("Factuursturen", False, message)]
        except TransientError as error:
            message = f"cannot reach {urlsplit(self.client.base_url).netloc}: {error.message}"
            return [CheckLine("Factuursturen", False, message)]
        except ConnectorError as error:
            return [CheckLine("Factuursturen", False, error.message)]
        return [CheckLine("Factuursturen", True, "account name and API key accepted")]

    def post(self, payloads: Sequence[HasBody]) -> list[Delivery]:
        deliveries = []
        for payload in payloads:
            try:
                # A lost answer is not looked up and posted again here: the pipeline looks it
                # up, and posts again only after the settle time.
                result = self.client.post(payload.body, recover=False)
            except TransientError as error:
                deliveries.append(no_delivery(error))
            except (RejectedError, NotFoundError) as error:
                deliveries.append(Delivery("refused", message=error.message))
            else:
                deliveries.append(Delivery("sent", reference=result.invoicenr))
        return deliveries

    def find(self, payload: HasBody) -> str | None:
        """The invoice number of this invoice if booked: matched on client number, the
        reference (which carries the order number: the idempotency key) and the lines."""
        return self.client.find_invoice(payload.body["invoice"])

    def booking_key(self, payload: HasBody) -> str:
        """What `list_booked` is keyed by (see `booked`): a concept's savename, or a sent
        invoice's client number, reference and lines."""
        return booked.booking_key(payload.body["invoice"])

    def list_booked(self, since: datetime, until: datetime) -> dict[str, str]:
        """Key → invoice number or concept id of what Factuursturen holds for [since, until]:
        the invoice list paged through once and the concepts once, not one call per order."""
        return booked.list_booked(self.client, since, until)

    def close(self) -> None:
        self.client.close()
