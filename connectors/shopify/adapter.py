"""Shopify as the sync pipeline's Source: order documents updated in a window, or by id; and,
as a CreditSource, the credit documents of its refunds (ledger id
`refund-<order id>-<refund id>`: the API addresses a refund only under its order).

The source section of mapper.yaml: `url` (`https://{name}.myshopify.com`), `access_token`
(the custom app's Admin API token `shpat_…`, as `{env: …}` or `{secret: …}`), optionally
`api_version` (default 2024-07), `page_size` (1–250) and `timeout`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..adapters import CheckLine, login_failed, secret_value, timeout
from ..errors import AuthenticationError, ConnectorError
from ..retry import RetryPolicy
from .client import API_VERSION, MAX_LIMIT, ShopifyClient

TITLE = "Shopify"
REFUND = "refund-"  # ledger ids of refunds (the shopify rule set writes them)
APP_PAGE = "Shopify admin → Settings → Apps and sales channels → Develop apps"


class ShopifySource:
    def __init__(self, section: Mapping[str, Any], shop: str, retry: RetryPolicy) -> None:
        self.page_size = int(section.get("page_size", MAX_LIMIT))
        self.client = ShopifyClient(
            str(section["url"]),
            secret_value(section, "access_token", shop),
            api_version=str(section.get("api_version", API_VERSION)),
            retry=retry,
            timeout=timeout(section, 30.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return iter(self.client.iter_orders_updated(since, until, limit=self.page_size))

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders(ids))

    # -- CreditSource (connectors/adapters.py) ----------------------------------------------
    def credits_changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        """Credit documents of the refunds made in [since, until]."""
        return self.client.iter_refunds_changed(since, until, limit=self.page_size)

    def credits_by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Credit documents by ledger id: `refund-5801001-912000001` is refund 912000001 of
        order 5801001; ids of another form are skipped."""
        return self.client.fetch_refunds(p for p in map(refund_pair, ids) if p is not None)

    @staticmethod
    def is_credit_id(ledger_id: str) -> bool:
        """Whether a ledger id is one of this shop's refunds (`refund-<order>-<refund>`)."""
        return refund_pair(ledger_id) is not None

    def check(self) -> list[CheckLine]:
        """The connection step: the token is accepted and may read orders (one line), and it
        is read-only as it should be (a warning when it may write, or cannot see orders older
        than 60 days). Never the token in a line."""
        host = urlsplit(self.client.site).netloc
        try:
            self.client.count_orders()
        except ConnectorError as error:
            return [login_failed(TITLE, host, error, _refusal)]
        lines = [CheckLine(TITLE, True, f"{host}: access token accepted, orders readable")]
        try:
            scopes = self.client.access_scopes()
        except ConnectorError as error:
            return [*lines, CheckLine(TITLE, True, f"the token's scopes could not be read "
                                      f"({error.message}); check in {APP_PAGE} that it only "
                                      "reads", warning=True)]
        writes = sorted(s for s in scopes if s.startswith("write_"))
        if writes:
            lines.append(CheckLine(TITLE, True, f"the token may also write ({', '.join(writes)}); "
                                   f"mapper only reads: keep only read_orders in {APP_PAGE}",
                                   warning=True))
        else:
            lines.append(CheckLine(TITLE, True, "the token is read-only"))
        if "read_all_orders" not in scopes:
            lines.append(CheckLine(TITLE, True, "without the read_all_orders scope Shopify shows "
                                   "only the last 60 days of orders (a backfill further back "
                                   "finds nothing)", warning=True))
        return lines

    def close(self) -> None:
        self.client.close()


def refund_pair(ledger_id: str) -> tuple[int, int] | None:
    """(order id, refund id) of a refund's ledger id, else None."""
    order_id, _, refund_id = ledger_id.removeprefix(REFUND).partition("-")
    if ledger_id.startswith(REFUND) and order_id.isdigit() and refund_id.isdigit():
        return int(order_id), int(refund_id)
    return None


def _refusal(error: AuthenticationError) -> str:
    if error.status == 403:
        return f"the app may not read orders: give it the read_orders scope ({APP_PAGE})"
    return f"access token not accepted; check the source's access_token ({APP_PAGE})"
