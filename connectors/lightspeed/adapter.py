"""Lightspeed eCom as the sync pipeline's Source: order documents changed in a window, or by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..adapters import secret_value, timeout
from ..retry import RetryPolicy
from .client import LightspeedClient


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

    def close(self) -> None:
        self.client.close()
