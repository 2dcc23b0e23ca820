"""Tenant settings: a rule set's defaults, overridden by the tenant's file, checked by schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from ..errors import ConfigError, UsageError
from .load import read_data_file

if TYPE_CHECKING:
    from .compile import RuleSet


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in `override` replaces what `base` had."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_settings(rules: RuleSet, overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    merged = deep_merge(plain_data(rules.settings_defaults), overrides)
    if rules.settings_schema is not None:
        validator = jsonschema.Draft202012Validator(plain_data(rules.settings_schema))
        problems = sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path))
        if problems:
            lines = [
                f"{source}: {rules.name}.{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: "
                f"{e.message}"
                for e in problems
            ]
            raise ConfigError("\n".join(lines))
    return merged


def plain_data(value: Any) -> Any:
    """Located YAML data as plain dicts and lists (settings are data, not rules)."""
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()  # YAML reads `from: 2025-01-01` as a date; settings keep text
    return value


def load_settings_file(path: Path) -> dict[str, Any]:
    """A settings file: one section per rule set name, e.g. `{prestashop: {...}, yuki: {...}}`."""
    data = read_data_file(path, "settings file", UsageError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"settings file {path} must hold one section per rule set")
    plain: dict[str, Any] = plain_data(data)
    return plain
