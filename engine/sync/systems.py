"""The sync pipeline's view of the external systems: a Source of order documents and a Target
that takes payloads, built from a shop's configuration by the system's registered adapter
(connectors/<system>/adapter.py, found through connectors/registry.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...connectors.adapters import HasBody, Source, Target
from ...connectors.errors import ConfigurationError
from ...connectors.registry import connector, names
from ...connectors.retry import RetryPolicy
from ..errors import ConfigError
from ..ledger import Ledger
from ..ledger.connector_tokens import ConnectorTokens
from ..ledger.secret_store import SecretKeyProblem
from ..mapping import Pair
from .config import ShopConfig


def keeps_tokens(config: ShopConfig) -> bool:
    """Whether the shop's target keeps tokens in the ledger (so needs it even to be checked)."""
    found = connector(config.target["type"], "accounting")
    return found is not None and bool(getattr(found.adapter_class(), "keeps_tokens", False))


def open_source(config: ShopConfig, retry: RetryPolicy) -> Source:
    """The shop's Source, from its `source:` section."""
    kind = config.source["type"]
    found = connector(kind, "shop")
    if found is None:
        known = ", ".join(names("shop"))
        raise ConfigError(f"shop {config.name}: unknown source type {kind!r} (known: {known})")
    try:
        source: Source = found.adapter_class()(config.source, config.name, retry)
    except ConfigurationError as error:
        raise ConfigError(str(error)) from None
    except ValueError as error:  # a client refusing a setting (a URL without http://)
        raise ConfigError(f"shop {config.name}: source: {error}") from None
    return source


def open_target(
    config: ShopConfig, pair: Pair, retry: RetryPolicy, ledger: Ledger | None = None
) -> Target:
    """The shop's Target, from its `target:` section; payloads are written by the pair.

    A target whose adapter `keeps_tokens` (Exact Online: its refresh token rotates) gets
    `tokens=`, where the ledger keeps them encrypted; without a ledger it gets None."""
    kind = config.target["type"]
    found = connector(kind, "accounting")
    if found is None:
        known = ", ".join(names("accounting"))
        raise ConfigError(f"shop {config.name}: unknown target type {kind!r} (known: {known})")

    def render(payloads: Sequence[HasBody]) -> str:
        return pair.render(payloads)  # type: ignore[arg-type]

    adapter = found.adapter_class()
    extra: dict[str, Any] = {}
    if getattr(adapter, "keeps_tokens", False):
        try:
            extra["tokens"] = None if ledger is None else ConnectorTokens(ledger, config.name)
        except SecretKeyProblem as problem:
            raise ConfigError(f"shop {config.name}: {kind} keeps its tokens encrypted in the "
                              f"ledger: {problem}") from None
    try:
        target: Target = adapter(config.target, config.name, retry, render, **extra)
    except ConfigurationError as error:
        raise ConfigError(str(error)) from None
    except ValueError as error:  # a client refusing a setting (a URL without http://)
        raise ConfigError(f"shop {config.name}: target: {error}") from None
    return target
