"""The sync pipeline's view of the external systems: a Source of order documents and a Target
that takes payloads, built from a shop's configuration by the system's registered adapter
(connectors/<system>/adapter.py, found through connectors/registry.py)."""

from __future__ import annotations

from collections.abc import Sequence

from ...connectors.adapters import HasBody, Source, Target
from ...connectors.errors import ConfigurationError
from ...connectors.registry import connector, names
from ...connectors.retry import RetryPolicy
from ..errors import ConfigError
from ..mapping import Pair
from .config import ShopConfig


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


def open_target(config: ShopConfig, pair: Pair, retry: RetryPolicy) -> Target:
    """The shop's Target, from its `target:` section; payloads are written by the pair."""
    kind = config.target["type"]
    found = connector(kind, "accounting")
    if found is None:
        known = ", ".join(names("accounting"))
        raise ConfigError(f"shop {config.name}: unknown target type {kind!r} (known: {known})")

    def render(payloads: Sequence[HasBody]) -> str:
        return pair.render(payloads)  # type: ignore[arg-type]

    try:
        target: Target = found.adapter_class()(config.target, config.name, retry, render)
    except ConfigurationError as error:
        raise ConfigError(str(error)) from None
    except ValueError as error:  # a client refusing a setting (a URL without http://)
        raise ConfigError(f"shop {config.name}: target: {error}") from None
    return target
