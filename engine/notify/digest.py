"""`mapper notify digest` and `mapper notify test`: a message to each shop's channels on demand.

The digest goes to every shop with `digest: true` in its `notify:` section, or to the one shop
asked for: how many orders are in each list, and the Errors list with each order's reason and
resolution. `mapper beat` (engine/workers/beat.py) and `mapper schedule` send it every day at
the shop's `digest_at`; `mapper notify digest` when run. The test message proves a shop's channels
work. Both read only the ledger's bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from ..ledger import Ledger, OrderState
from ..ledger.timestamps import utc_now
from ..sync.config import Config, ShopConfig
from .messages import MAX_LISTED, Message, digest_message, test_message
from .send import Delivered, deliver
from .settings import NotifySettings
from .watch import secrets_of


@dataclass(frozen=True)
class ShopDelivery:
    """What became of one shop's message, channel by channel."""

    shop: str
    delivered: list[Delivered]


def _settings(shop: ShopConfig) -> NotifySettings:
    if shop.notify is None:
        raise ConfigError(f"shop {shop.name} has no notify: section in the configuration")
    return shop.notify


def _send(shop: ShopConfig, message: Message, sleep: Callable[[float], None]) -> ShopDelivery:
    delivered = deliver(_settings(shop), message, secrets=secrets_of(shop), sleep=sleep)
    return ShopDelivery(shop.name, delivered)


def digest_shops(config: Config, shop: str | None = None) -> list[ShopConfig]:
    """The shops a digest goes to: `shop` (which must have `notify:`), else every shop with
    `digest: true`; none is a ConfigError."""
    if shop is not None:
        chosen = config.shop(shop)
        _settings(chosen)
        return [chosen]
    shops = [s for s in config.shops if digest_due(s)]
    if not shops:
        raise ConfigError("no shop has digest: true in its notify: section")
    return shops


def send_digests(
    config: Config,
    shop: str | None = None,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ShopDelivery]:
    """The daily digest of each shop (see `digest_shops`), from the ledger as it is now."""
    shops = digest_shops(config, shop)
    with Ledger.open(config.ledger_url, create=False) as ledger:
        return [send_digest(entry, ledger, clock=clock, sleep=sleep) for entry in shops]


def send_digest(
    shop: ShopConfig,
    ledger: Ledger,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> ShopDelivery:
    """One shop's digest, from `ledger` as it is now."""
    failed = list(ledger.list_orders(shop.name, OrderState.FAILED, limit=MAX_LISTED))
    message = digest_message(shop.name, ledger.counts(shop.name), failed, clock())
    return _send(shop, message, sleep)


def digest_due(shop: ShopConfig) -> bool:
    """Whether the scheduler sends this shop a daily digest."""
    return shop.notify is not None and shop.notify.digest


def send_test(
    config: Config,
    shop: str,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> ShopDelivery:
    """`mapper notify test --shop S`: one test message through every channel of the shop."""
    entry = config.shop(shop)
    return _send(entry, test_message(entry.name, clock()), sleep)
