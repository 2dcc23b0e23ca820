"""PrestaShop as the sync pipeline's Source: order documents changed in a window, or by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ..adapters import secret_value, timeout
from ..retry import RetryPolicy
from .client import PrestaShopClient


class PrestaShopSource:
    def __init__(self, section: Mapping[str, Any], shop: str, retry: RetryPolicy) -> None:
        self.page_size = int(section.get("page_size", 100))
        self.client = PrestaShopClient(
            section["url"],
            secret_value(section, "key", shop),
            retry=retry,
            shop_timezone=ZoneInfo(section.get("timezone", "Europe/Amsterdam")),
            timeout=timeout(section, 10.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return self.client.iter_orders_changed(since, until, page_size=self.page_size)

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders([int(i) for i in ids], batch_size=self.page_size))

    def close(self) -> None:
        self.client.close()
