"""Lightspeed eCom as the sync pipeline's Source: order documents changed in a window, or by id;
and, as a CreditSource, the credit documents of its credit invoices (ledger id `credit-<id>`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..adapters import CheckLine, secret_value, timeout
from ..errors import AuthenticationError, ConnectorError, TransientError
from ..retry import RetryPolicy
from .client import LightspeedClient

# Ledger ids of Lightspeed credit invoices (the lightspeed rule set writes them).
CREDIT = "credit-"


class LightspeedSource:
    def __init__(self, section: Mapping[str, Any], shop: str, retry: RetryPolicy) -> None:
        self.page_size = int(section.get("page_size", 250))
        self.client = LightspeedClient(
            section["url"],
            secret_value(section, "key", shop),
            secret_value(section, "secret", shop),
            section.get("language", "nl"),
            retry=retry,
            timeout=timeout(section, 30.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return iter(self.client.iter_orders_changed(since, until, limit=self.page_size))

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders(ids))

    # -- CreditSource (connectors/adapters.py) ----------------------------------------------
    def credits_changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        """Credit documents of the credit invoices changed in [since, until]."""
        return self.client.iter_credit_invoices_changed(since, until, limit=self.page_size)

    def credits_by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Credit documents by ledger id: `credit-7900001` is credit invoice 7900001."""
        wanted = [i.removeprefix(CREDIT) for i in ids if i.startswith(CREDIT)]
        return self.client.fetch_credit_invoices([i for i in wanted if i.isdigit()])

    def check(self) -> list[CheckLine]:
        """The connection step: the key and secret are accepted (a count of the orders is the
        cheapest answer that needs them). One line, never the key or the secret."""
        try:
            self.client.count_orders()
        except AuthenticationError as error:
            message = f"{error.message}; check the source's key and secret"
            return [CheckLine("Lightspeed", False, message)]
        except TransientError as error:
            message = f"cannot reach {urlsplit(self.client.base_url).netloc}: {error.message}"
            return [CheckLine("Lightspeed", False, message)]
        except ConnectorError as error:
            return [CheckLine("Lightspeed", False, error.message)]
        return [CheckLine("Lightspeed", True, "API key and secret accepted, orders readable")]

    def close(self) -> None:
        self.client.close()
