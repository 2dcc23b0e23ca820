"""Tenant settings: a rule set's defaults, overridden by the tenant's file, checked by schema.

A tenant's settings hold one section per rule set of the pair (`prestashop:`, `yuki:`); a
section must name one of them and hold only keys of that rule set's settings schema (see
`known_keys`). Every problem is one line, starting with where the key was written
(`tenant.yaml:3:5`) when the settings came from a file, else with the caller's `source`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, Place, UsageError
from .disk_cache import known_valid, remember_valid
from .known_keys import did_you_mean, dotted, unknown_keys
from .load import LocatedDict, LocatedList, place_at, read_data_file

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


def overlay(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`deep_merge` for located data: each key keeps the place it was written at, in
    whichever file wrote it (a settings file, then mapper.yaml's `settings:` over it)."""
    merged = LocatedDict(base)
    place = getattr(override, "place", None) or getattr(base, "place", None)
    if place is not None:
        merged.place = place
    merged.places = {**getattr(base, "places", {}), **getattr(override, "places", {})}
    merged.key_places = {**getattr(base, "key_places", {}), **getattr(override, "key_places", {})}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_settings(
    rules: RuleSet, overrides: Mapping[str, Any], source: str, prefix: str = ""
) -> dict[str, Any]:
    """The rule set's defaults with the tenant's `overrides`; unknown keys and values the
    settings schema refuses raise one ConfigError, a line per problem. `prefix` is where the
    settings sit in their file (`shops.0.settings.`), for the key paths of the messages."""
    merged: dict[str, Any] = _unlocated(deep_merge(plain_data(rules.settings_defaults), overrides))
    if rules.settings_schema is None:
        return merged
    schema = plain_data(rules.settings_schema)
    lines = []
    unknown = [
        (place_at(overrides, path), path, allowed) for path, allowed in unknown_keys(merged, schema)
    ]
    unknown.sort(key=lambda u: (u[0].file, u[0].line, u[0].column) if u[0] else ("", 0, 0))
    for where, path, allowed in unknown:  # in the order they were written
        lines.append(
            f"{where or source}: {_key(prefix, where, source)}{rules.name}.{dotted(path)}: "
            f"unknown setting of rule set {rules.name}"
            f"{did_you_mean(str(path[-1]), allowed)}"
        )
    checked = (repr(schema), repr(merged))
    if not lines and known_valid(*checked):
        return merged
    import jsonschema  # here: settings found valid before need none

    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties" and lines:
            continue  # already said, key by key, with a "did you mean"
        path = tuple(error.absolute_path)
        found = place_at(overrides, path) if path else None
        key = f"{_key(prefix, found, source)}{rules.name}.{dotted(path) or '(root)'}"
        lines.append(f"{found or source}: {key}: {error.message}")
    if lines:
        raise ConfigError("\n".join(lines))
    remember_valid(*checked)
    return merged


def _key(prefix: str, place: Place | None, source: str) -> str:
    """`prefix` (where the settings sit in the file `source`) for a key written in that file;
    nothing for a key of another file (a settings file under mapper.yaml's `settings:`)."""
    return prefix if place is None or place.file == source else ""


def check_sections(
    settings: Mapping[str, Any], rule_sets: Collection[str], source: str, prefix: str = ""
) -> list[str]:
    """One line per section of `settings` that names no rule set of the pair."""
    return [
        f"{place_at(settings, (name,)) or source}: {prefix}{name}: not a rule set of this pair, so "
        f"nothing reads these settings{did_you_mean(str(name), rule_sets)}"
        for name in settings
        if name not in rule_sets
    ]


def plain_data(value: Any) -> Any:
    """Settings as data, not rules: YAML's dates (`from: 2025-01-01`) become their text.
    Located data stays located, so a problem can still name where a setting was written."""
    if isinstance(value, LocatedDict):
        located = LocatedDict({k: plain_data(v) for k, v in value.items()})
        located.place, located.places = value.place, value.places
        located.key_places = getattr(value, "key_places", {})
        return located
    if isinstance(value, LocatedList):
        items = LocatedList(plain_data(v) for v in value)
        items.place, items.places = value.place, value.places
        return items
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _unlocated(value: Any) -> Any:
    """Plain dicts and lists: what rules see of settings (the places stay in the overrides)."""
    if isinstance(value, Mapping):
        return {k: _unlocated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unlocated(v) for v in value]
    return value


def load_settings_file(path: Path, rule_sets: Collection[str] | None = None) -> dict[str, Any]:
    """A settings file: one section per rule set name, e.g. `{prestashop: {...}, yuki: {...}}`.

    With `rule_sets` (the pair's two names), a section naming neither is refused. The result
    is located data: `merge_settings` names the line of a wrong key.
    """
    data = read_data_file(path, "settings file", UsageError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"settings file {path} must hold one section per rule set")
    plain: dict[str, Any] = plain_data(data)
    if rule_sets is not None:
        problems = check_sections(plain, rule_sets, str(path))
        if problems:
            raise ConfigError("\n".join(problems))
    return plain
