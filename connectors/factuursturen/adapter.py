"""Factuursturen as the sync pipeline's Target: one invoice per call, the client ensured first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
                result = self.client.post(payload.body)
            except TransientError as error:
                deliveries.append(no_delivery(error))
            except (RejectedError, NotFoundError) as error:
                deliveries.append(Delivery("refused", message=error.message))
            else:
                deliveries.append(Delivery("sent", reference=result.invoicenr))
        return deliveries

    def find(self, payload: HasBody) -> str | None:
        return self.client.find_invoice(payload.body["invoice"])

    def close(self) -> None:
        self.client.close()
