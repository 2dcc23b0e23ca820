"""`mapper check`: the manual's connection step ("both dots green"), per shop.

For each shop: can mapper log in to the shop (and does the key have more rights than the
manual asks), to the accounting system and its administration, and are the VAT codes the
tenant's settings book with active there. Each system answers with its own `check` method
(connectors/<system>/adapter.py) as `CheckLine`s; this module only gathers them, so the CLI
prints them and the dashboard can show them as dots. A system without a `check` method gets a
warning line saying so. Nothing here posts or changes anything, and no line holds a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...connectors.adapters import CheckLine
from ...connectors.errors import ConnectorError
from ...connectors.registry import connector
from ...connectors.retry import RetryPolicy
from ..ledger import Ledger
from ..mapping import Pair
from .config import Config, ShopConfig
from .systems import keeps_tokens, open_source, open_target

# A check answers while a person waits: one retry after a short pause, not a sync's patience.
CHECK_RETRY = RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0)


@dataclass(frozen=True)
class ShopCheck:
    """The findings of one shop: its source's lines, then its target's."""

    shop: str
    lines: tuple[CheckLine, ...]

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings do not fail a check)."""
        return all(line.ok for line in self.lines)


def check_shops(
    config: Config, shop: str | None = None, retry: RetryPolicy | None = None
) -> list[ShopCheck]:
    """The findings of every configured shop (or of `shop` alone), in configuration order."""
    shops = [config.shop(shop)] if shop else config.shops
    if not any(keeps_tokens(entry) for entry in shops):
        return [check_shop(entry, retry) for entry in shops]
    # A target whose tokens rotate (Exact Online) keeps them in the ledger, also when checked.
    with Ledger.open(config.ledger_url) as ledger:
        return [check_shop(entry, retry, ledger) for entry in shops]


def check_shop(
    config: ShopConfig, retry: RetryPolicy | None = None, ledger: Ledger | None = None
) -> ShopCheck:
    """One shop's findings. A system that cannot be reached or refuses is a red line here,
    never an exception; bad configuration (unknown system, missing key) raises ConfigError."""
    policy = retry or CHECK_RETRY
    pair = Pair.load(config.mapping, config.settings, f"shop {config.name} settings")
    lines: list[CheckLine] = []
    source = open_source(config, policy)
    try:
        lines += _run(source, config.source["type"], lambda check: check())
    finally:
        source.close()
    target = open_target(config, pair, policy, ledger)
    try:
        lines += _run(target, config.target["type"], lambda check: check(pair.target.settings))
    finally:
        target.close()
    return ShopCheck(config.name, tuple(lines))


def _run(system: Any, kind: str, call: Callable[[Any], list[CheckLine]]) -> list[CheckLine]:
    """The system's own check, or a warning that it has none; a connector error it let
    through becomes its red line."""
    found = connector(kind)
    title = found.title if found is not None else kind
    check = getattr(system, "check", None)
    if check is None:
        return [CheckLine(title, True, f"no connection check available for {title}", True)]
    try:
        return list(call(check))
    except ConnectorError as error:
        return [CheckLine(title, False, error.message)]
