"""Factuursturen as the sync pipeline's Target: one invoice per call, the client ensured first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..adapters import Delivery, HasBody, RenderPayloads, no_delivery, secret_value, timeout
from ..errors import NotFoundError, RejectedError, TransientError
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
