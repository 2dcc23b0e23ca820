"""`mapper notify digest` and `mapper notify test`: a message to each shop's channels on demand.

The digest goes to every shop with `digest: true` in its `notify:` section, or to the one shop
asked for: how many orders are in each list, and the Errors list with each order's reason and
resolution. `mapper beat` (engine/workers/beat.py) and `mapper schedule` send it every day at
the shop's `digest_at`; `mapper notify digest` when run. The test message proves a shop's channels
work. Both read only the ledger's bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import logging
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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopDelivery:
    """What became of one shop's message, channel by channel."""

    shop: str
    delivered: list[Delivered]

    def problems(self) -> list[str]:
        """One line per channel that did not take the message."""
        return [f"{d.channel}: {d.problem}" for d in self.delivered if not d.ok]

    def summary(self, what: str) -> str:
        sent = len(self.delivered) - len(self.problems())
        return f"{self.shop}: {what} delivered on {sent} of {len(self.delivered)} channels"

    def logged(self, what: str) -> str | None:
        """Say in the log how the message fared; the channels' problems in one line, if any."""
        log.info("%s", self.summary(what))
        problems = self.problems()
        for problem in problems:
            log.warning("%s: %s: %s", self.shop, what, problem)
        return "; ".join(problems) or None


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
    shops = [s for s in config.shops if digest_time(s) is not None]
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


def digest_time(shop: ShopConfig) -> dt.time | None:
    """When the scheduler sends this shop its daily digest (local time); None: it gets none."""
    notify = shop.notify
    return notify.digest_at if notify is not None and notify.digest else None


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
