"""The Configuration tab: a shop's settings as they stand, saved as a new version, reset, and
the difference each version made.

The settings a pass uses are, per rule set of the shop's pair: the rule set's defaults, then the
shop's settings file and mapper.yaml (the *file settings*), then the newest version saved here.
A version keeps only what differs from the file settings, so the file settings stay the
defaults: "Reset VAT settings" (the manual's "BTW instellingen verwijderen") saves a version
without the VAT settings, and the file's apply again. Every save is judged by the rule set's own
settings schema, and bound as a pass would bind it, before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from ...engine.errors import ConfigError
from ...engine.ledger import Ledger
from ...engine.ledger.tenant_settings import SettingsVersion, SettingsVersions
from ...engine.mapping import load_rule_set, split_pair_name
from ...engine.rules.compile import RuleSet
from ...engine.rules.settings import deep_merge, merge_settings, plain_data
from ...engine.sync.config import ShopConfig
from .settings_form import Choices, Field, Parsed, build_fields, read_form

SOURCE = "dashboard"

# Settings whose values the accounting system lists (see choices.py), by rule set: field → kind.
CHOICE_FIELDS: dict[str, dict[str, str]] = {
    "yuki": {"type": "vat_code", "gl_account": "gl_account"},
    # Moneybird: its sales tax rates and revenue ledger accounts. Factuursturen's API has no
    # ledger accounts (its `taxes` list only has percentages), so its settings stay as typed.
    "moneybird": {
        "ledger_accounts.@value": "gl_account",
        "tax_rate_names.@value": "tax_rate",
        "icp_tax_rate": "tax_rate",
        "export_tax_rate": "tax_rate",
        "rounding_tax_rate": "tax_rate",
    },
}
# What "Reset VAT settings" takes back to the file settings: VAT rates, codes, revenue accounts.
VAT_SETTINGS: dict[str, tuple[str, ...]] = {
    "yuki": ("vat_codes", "oss_countries"),
    "factuursturen": ("tax_rates",),
    "moneybird": (
        "tax_rate_names",
        "icp_tax_rate",
        "export_tax_rate",
        "rounding_tax_rate",
        "ledger_accounts",
    ),
}


@dataclass
class Section:
    """The form of one rule set of the pair."""

    rule_set: str
    description: str
    fields: list[Field]


@dataclass(frozen=True)
class Change:
    """One line of a version's difference: a setting, what it was, what it became."""

    setting: str
    before: str
    after: str


@dataclass
class Outcome:
    """What a save did: the version stored, or the problems (by field, and for the whole)."""

    version: SettingsVersion | None
    problems: dict[str, str]
    general: list[str]
    message: str


def rule_sets(shop: ShopConfig) -> list[RuleSet]:
    return [load_rule_set(name) for name in split_pair_name(shop.mapping)]


def file_settings(shop: ShopConfig, rules: RuleSet) -> dict[str, Any]:
    """The rule set's settings from its defaults and the file settings, before the dashboard."""
    return merge_settings(rules, shop.settings.get(rules.name) or {}, "mapper.yaml")


def _changes(version: SettingsVersion | None, rule_set: str) -> dict[str, Any]:
    return dict((version.settings if version else {}).get(rule_set) or {})


def effective(shop: ShopConfig, rules: RuleSet, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a pass uses with `changes` saved over the file settings."""
    overrides = {**(shop.settings.get(rules.name) or {}), **changes}
    return merge_settings(rules, overrides, SOURCE)


def sections(shop: ShopConfig, newest: SettingsVersion | None, choices: Choices) -> list[Section]:
    """The form as the settings stand now."""
    found = []
    for rules in rule_sets(shop):
        if rules.settings_schema is None:
            continue
        values = effective(shop, rules, _changes(newest, rules.name))
        fields = build_fields(
            rules.name,
            plain_data(rules.settings_schema),
            values,
            choices,
            CHOICE_FIELDS.get(rules.name, {}),
        )
        found.append(Section(rules.name, getattr(rules, "description", "") or "", fields))
    return found


def _field_of(
    names: Mapping[tuple[str | int, ...], str], path: tuple[Any, ...], rule_set: str
) -> str:
    """The form name of the field a schema error at `path` is about (the nearest one)."""
    for end in range(len(path), 0, -1):
        if path[:end] in names:
            return names[path[:end]]
    return f"{rule_set}.{path[0]}" if path else rule_set


def _related(one: str, other: str) -> bool:
    """Whether two form names are one field, or one holds the other."""
    return one == other or one.startswith(f"{other}.") or other.startswith(f"{one}.")


def save(
    shop: ShopConfig,
    ledger: Ledger,
    form: Mapping[str, str],
    author: str,
    based_on: int,
) -> Outcome:
    """Read, judge and store the form as the shop's next settings version."""
    versions = SettingsVersions(ledger)
    problems: dict[str, str] = {}
    general: list[str] = []
    changes: dict[str, dict[str, Any]] = {}
    for rules in rule_sets(shop):
        if rules.settings_schema is None:
            continue
        schema = plain_data(rules.settings_schema)
        parsed: Parsed = read_form(rules.name, schema, form)
        problems.update(parsed.problems)
        base = file_settings(shop, rules)
        changed = {k: v for k, v in parsed.values.items() if v != base.get(k)}
        overrides = {**(shop.settings.get(rules.name) or {}), **changed}
        merged = deep_merge(plain_data(rules.settings_defaults), overrides)
        validator = jsonschema.Draft202012Validator(schema)
        for error in validator.iter_errors(merged):
            path = tuple(error.absolute_path)
            name = _field_of(parsed.names, path, rules.name)
            dotted = ".".join(str(p) for p in (rules.name, *path))
            if not any(_related(name, known) for known in problems):  # said once per field
                problems[name] = f"{dotted}: {error.message}"
        if not problems:
            try:
                rules.bind(overrides, SOURCE)  # as a pass binds it: its lookups too
            except ConfigError as error:
                general.extend(str(error).splitlines())
        if changed:
            changes[rules.name] = changed
    if problems or general:
        count = len(problems) + len(general)
        return Outcome(None, problems, general, f"Not saved: {count} problem{'s' * (count > 1)}.")
    version = versions.save(shop.name, changes, author, "saved", based_on=based_on)
    return Outcome(version, {}, [], f"Saved as version {version.version}; the next pass uses it.")


def reset_vat(shop: ShopConfig, ledger: Ledger, author: str, based_on: int) -> str:
    """A new version without the VAT settings: the file's VAT settings apply again."""
    versions = SettingsVersions(ledger)
    newest = versions.newest(shop.name)
    kept: dict[str, dict[str, Any]] = {}
    removed = False
    for rule_set, section in (newest.settings if newest else {}).items():
        vat = VAT_SETTINGS.get(rule_set, ())
        removed = removed or any(key in section for key in vat)
        rest = {k: v for k, v in section.items() if k not in vat}
        if rest:
            kept[rule_set] = rest
    if not removed:
        return "The VAT settings are those of the settings file already: nothing to reset."
    version = versions.save(shop.name, kept, author, "VAT settings reset", based_on=based_on)
    return (
        f"VAT settings reset to those of the settings file (version {version.version}); "
        "the next pass uses them."
    )


def difference(shop: ShopConfig, ledger: Ledger, version: SettingsVersion) -> list[Change]:
    """What `version` changed against the one before it (the file settings for the first)."""
    before = SettingsVersions(ledger).get(shop.name, version.version - 1)
    found: list[Change] = []
    for rules in rule_sets(shop):
        if rules.settings_schema is None:
            continue
        old = effective(shop, rules, _changes(before, rules.name))
        new = effective(shop, rules, _changes(version, rules.name))
        for key in sorted(set(old) | set(new)):
            found.extend(_diff(f"{rules.name}.{key}", old.get(key), new.get(key)))
    return found


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "(none)"
    return str(value) if str(value) else "(empty)"


def _diff(setting: str, old: Any, new: Any) -> list[Change]:
    if old == new:
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[Change] = []
        for key in sorted(set(old) | set(new)):
            found.extend(_diff(f"{setting}.{key}", old.get(key), new.get(key)))
        return found
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and any(isinstance(v, Mapping) for v in old + new)
    ):
        gone = [row for row in old if row not in new]
        came = [row for row in new if row not in old]
        return [
            Change(
                setting,
                "; ".join(_show(r) for r in gone) or "—",
                "; ".join(_show(r) for r in came) or "—",
            )
        ]
    return [Change(setting, _show(old), _show(new))]
