"""Shopify as the sync pipeline's Source: order documents updated in a window, or by id.

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


def _refusal(error: AuthenticationError) -> str:
    if error.status == 403:
        return f"the app may not read orders: give it the read_orders scope ({APP_PAGE})"
    return f"access token not accepted; check the source's access_token ({APP_PAGE})"
