"""WooCommerce as the sync pipeline's Source: order documents modified in a window, or by id;
and, as a CreditSource, the credit documents of its refunds (ledger id
`refund-<order id>-<refund id>`: the API addresses a refund only under its order).

The source section of mapper.yaml: `url` (the shop's https:// address), `key` and `secret` (the
consumer key `ck_…` and secret `cs_…`, as `{env: …}` or `{secret: …}`), optionally `auth`
(`basic`, or `query` where the server strips the Authorization header), `page_size` (1–100)
and `timeout`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..adapters import CheckLine, login_failed, secret_value, timeout
from ..errors import AuthenticationError, ConnectorError
from ..retry import RetryPolicy
from .client import MAX_PER_PAGE, WooCommerceClient

TITLE = "WooCommerce"
REFUND = "refund-"  # ledger ids of refunds (the woocommerce rule set writes them)
KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"


class WooCommerceSource:
    def __init__(self, section: Mapping[str, Any], shop: str, retry: RetryPolicy) -> None:
        self.page_size = int(section.get("page_size", MAX_PER_PAGE))
        self.client = WooCommerceClient(
            section["url"],
            secret_value(section, "key", shop),
            secret_value(section, "secret", shop),
            auth=str(section.get("auth", "basic")),
            retry=retry,
            timeout=timeout(section, 30.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return iter(self.client.iter_orders_modified(since, until, per_page=self.page_size))

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders(ids))

    # -- CreditSource (connectors/adapters.py) ----------------------------------------------
    def credits_changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        """Credit documents of the refunds made in [since, until]."""
        return self.client.iter_refunds_created(since, until, per_page=self.page_size)

    def credits_by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Credit documents by ledger id: `refund-1101-1203` is refund 1203 of order 1101."""
        pairs = []
        for ledger_id in ids:
            order_id, _, refund_id = ledger_id.removeprefix(REFUND).partition("-")
            if ledger_id.startswith(REFUND) and order_id.isdigit() and refund_id.isdigit():
                pairs.append((int(order_id), int(refund_id)))
        return self.client.fetch_refunds(pairs)

    def check(self) -> list[CheckLine]:
        """The connection step: the key and secret are accepted and may read orders (one line),
        and the key is read-only as it should be (a warning when it may write). Never the key
        or the secret in a line."""
        host = urlsplit(self.client.site).netloc
        try:
            self.client.count_orders()
        except ConnectorError as error:
            return [login_failed(TITLE, host, error, _refusal)]
        lines = [CheckLine(TITLE, True, f"{host}: consumer key accepted, orders readable")]
        try:
            writes = self.client.write_access()
        except ConnectorError as error:
            return [*lines, CheckLine(TITLE, True, f"the key's permissions could not be read "
                                      f"({error.message}); check in {KEYS_PAGE} that it is Read",
                                      warning=True)]
        if writes:
            lines.append(CheckLine(TITLE, True, f"the key may also write; mapper only reads: "
                                   f"give it Read permission in {KEYS_PAGE}", warning=True))
        else:
            lines.append(CheckLine(TITLE, True, "the key is read-only"))
        return lines

    def close(self) -> None:
        self.client.close()


def _refusal(error: AuthenticationError) -> str:
    if "authentication_error" in error.message:
        return f"consumer secret refused; check the source's secret ({KEYS_PAGE})"
    if error.status == 403:
        return f"the key's user may not read orders; give the key to a shop manager ({KEYS_PAGE})"
    return ("consumer key not recognised (or the server strips the Authorization header: "
            f"try `auth: query`); check the source's key ({KEYS_PAGE})")
