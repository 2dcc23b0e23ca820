"""mapper.yaml: the shops to sync, validated by schemas/config.schema.json.

Credentials are references (`{env: NAME}` or `{secret: name}`) resolved here into `Secret`
values, whose repr and str never show the value: a secret cannot leak into a log or a message
by accident. The ledger may be such a reference too (its URL may hold a database password):
`Config.ledger_url` is then the resolved text, never shown; messages say where it came from.

Everything a person writes is checked before anything runs, each problem one line that starts
with where it was written (`mapper.yaml:7:5`): unknown keys (with a "did you mean"), values of
the wrong kind, settings no rule set of the shop's pair reads. YAML's own spelling of dates
(`start: 2026-01-01`) and times (`recheck_at: 23:30`) is accepted as written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...connectors.secret import Secret
from ..errors import ConfigError, MapperError, UsageError
from ..ledger import Ledger
from ..ledger.secret_store import SecretStore
from ..ledger.tenant_settings import newest_settings
from ..mapping import load_rule_set, split_pair_name
from ..notify.settings import NotifySettings, notify_settings
from ..rules.load import place_at, read_data_file
from ..rules.settings import (
    check_sections,
    load_settings_file,
    merge_settings,
    overlay,
    plain_data,
)
from .config_problems import reference_problem, schema_problems

DEFAULT_LEDGER = "mapper-ledger.db"


@dataclass
class ShopConfig:
    name: str
    mapping: str
    source: dict[str, Any]
    target: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    start: dt.date | None = None
    overlap: dt.timedelta = dt.timedelta(minutes=15)
    sync_every: dt.timedelta = dt.timedelta(minutes=60)
    recheck_at: dt.time = dt.time(3, 0)
    notify: NotifySettings | None = None  # `notify:`: e-mail and webhook (engine/notify)
    vies: dict[str, Any] = field(default_factory=dict)  # `vies:` (engine/sync/vies.py)


@dataclass
class QueueConfig:
    """`queue:`: the task queue's broker (Celery over Redis). `url` may hold a password: it is
    left out of repr; `label` is what a message may say of it."""

    url: str = field(repr=False)
    origin: str = ""  # "env BROKER_URL" / "secret broker"; "" when written in the file
    name: str = "mapper"
    visibility_timeout: dt.timedelta = dt.timedelta(hours=1)
    lock_ttl: dt.timedelta = dt.timedelta(minutes=10)

    @property
    def label(self) -> str:
        """`the queue URL from env BROKER_URL`, or `the queue` when written in mapper.yaml."""
        return f"the queue URL from {self.origin}" if self.origin else "the queue"


@dataclass
class Config:
    """The parsed configuration. `ledger_url` may hold a password: it is left out of repr;
    `ledger_label` is what a message may say of it."""

    ledger_url: str = field(repr=False)
    shops: list[ShopConfig]
    ledger_origin: str = ""  # "env LEDGER_URL" / "secret ledger"; "" when written in the file
    queue: QueueConfig | None = field(default=None, repr=False)  # None: `mapper schedule` runs all

    @property
    def ledger_label(self) -> str:
        """`the ledger URL from env LEDGER_URL`, or `the ledger` when written in mapper.yaml."""
        return f"the ledger URL from {self.ledger_origin}" if self.ledger_origin else "the ledger"

    def shop(self, name: str) -> ShopConfig:
        for shop in self.shops:
            if shop.name == name:
                return shop
        known = ", ".join(s.name for s in self.shops)
        raise ConfigError(f"no shop {name!r} in the configuration (shops: {known})")


def load_config(path: Path, environ: dict[str, str] | None = None) -> Config:
    """Read and check mapper.yaml; every problem is one line of the ConfigError. A YAML error
    shows its place, never the line (it may hold the ledger's password)."""
    data = read_data_file(path, "configuration", ConfigError, show_problem=False)
    return parse_config(data, path.parent, str(path), environ)


def parse_config(
    data: Any, folder: Path, name: str = "mapper.yaml", environ: dict[str, str] | None = None
) -> Config:
    """Check `data` (mapper.yaml's content; located data names lines) and resolve it."""
    data = plain_data(data)  # YAML's dates become the text the schema checks
    problems = schema_problems(data, name)
    if problems:
        raise ConfigError("\n".join(problems))
    env = os.environ if environ is None else environ
    secrets = _secrets(folder / data["secrets_file"]) if "secrets_file" in data else None
    refs = _References(data, name, env, secrets, problems)
    schedule = data.get("schedule", {})  # defaults for every shop; a shop's own keys win
    shops = []
    names: set[str] = set()
    for index, entry in enumerate(data["shops"]):
        where = ("shops", index)
        if entry["name"] in names:
            problems.append(
                f"{refs.place(*where, 'name')}: shops.{index}.name: "
                f"shop {entry['name']!r} is configured twice"
            )
        names.add(entry["name"])
        source = refs.section(entry["source"], (*where, "source"))
        target = refs.section(entry["target"], (*where, "target"))
        settings = _settings(entry, folder, name, (*where, "settings"), problems, refs)
        notify = refs.notify(entry["notify"], (*where, "notify")) if "notify" in entry else None
        shops.append(
            ShopConfig(
                name=entry["name"],
                mapping=entry["mapping"],
                source=source,
                target=target,
                settings=settings,
                start=dt.date.fromisoformat(entry["start"]) if "start" in entry else None,
                overlap=dt.timedelta(minutes=entry.get("overlap_minutes", 15)),
                sync_every=dt.timedelta(
                    minutes=entry.get("sync_every_minutes", schedule.get("sync_every_minutes", 60))
                ),
                recheck_at=dt.time.fromisoformat(
                    entry.get("recheck_at", schedule.get("recheck_at", "03:00"))
                ),
                notify=notify,
                vies=dict(entry.get("vies", {})),
            )
        )
    ledger, origin = refs.ledger(folder)
    queue = refs.queue()
    if problems:
        raise ConfigError("\n".join(problems))
    return Config(ledger, shops, origin, queue)


def _settings(
    entry: Mapping[str, Any],
    folder: Path,
    name: str,
    where: tuple[str | int, ...],
    problems: list[str],
    refs: _References,
) -> dict[str, Any]:
    """The shop's settings (its settings_file, then `settings:` over it, key by key), checked
    against the rule sets of its pair: every section names one, every key is one it reads."""
    shop = f"shops.{where[1]}"
    rule_sets = split_pair_name(entry["mapping"])
    inline = entry.get("settings", {})
    problems.extend(check_sections(inline, rule_sets, name, f"{shop}.settings."))
    settings: dict[str, Any] = {}
    if "settings_file" in entry:
        try:
            settings = load_settings_file(folder / entry["settings_file"], rule_sets)
        except MapperError as error:  # unreadable, not YAML, a section of no rule set
            problems.extend(str(error).splitlines())
    settings = overlay(settings, inline)
    for rule_set in rule_sets:
        try:
            rules = load_rule_set(rule_set)
        except UsageError as error:  # an unknown rule set
            problems.append(f"{refs.place(*where[:2], 'mapping')}: {shop}.mapping: {error}")
            continue
        try:
            merge_settings(rules, settings.get(rule_set) or {}, name, f"{shop}.settings.")
            rules.bind(settings.get(rule_set), name)  # its lookups over the settings, too
        except ConfigError as error:
            problems.extend(str(error).splitlines())
    return settings


def _secrets(path: Path) -> dict[str, str]:
    """The secrets file: `name: value` lines, every value the text written (`0123` stays)."""
    data = read_data_file(path, "secrets file", ConfigError, show_problem=False, text=True) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"secrets file {path}: expected name: value lines")
    wrong = [key for key, value in data.items() if not isinstance(value, str)]
    if wrong:
        raise ConfigError(
            "\n".join(
                f"{place_at(data, (key,)) or path}: secrets file: {key}: expected one value "
                "on the line, not a list or a section"
                for key in wrong
            )
        )
    return {str(k): v for k, v in data.items()}


class _References:
    """`{env: NAME}` and `{secret: name}` resolved; what is missing is added to `problems`."""

    def __init__(
        self,
        data: Any,
        name: str,
        env: Mapping[str, str],
        secrets: dict[str, str] | None,
        problems: list[str],
    ) -> None:
        self.data, self.name, self.env, self.secrets = data, name, env, secrets
        self.problems = problems

    def place(self, *path: str | int) -> str:
        """`mapper.yaml:7:5` where the key at `path` was written; the file's name without."""
        return str(place_at(self.data, path) or self.name)

    def resolve(self, value: Mapping[str, str], path: tuple[str | int, ...]) -> Secret | None:
        dotted = ".".join(str(p) for p in path)
        problem = reference_problem(value, self.env, self.secrets)
        if problem:
            self.problems.append(f"{self.place(*path)}: {dotted}: {problem}")
            return None
        if "env" in value:
            return Secret(self.env[value["env"]], f"env {value['env']}")
        assert self.secrets is not None  # reference_problem said so otherwise
        return Secret(self.secrets[value["secret"]], f"secret {value['secret']}")

    def section(self, section: Mapping[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for key, value in section.items():
            if isinstance(value, Mapping):
                secret = self.resolve(value, (*path, key))
                if secret is not None:
                    resolved[key] = secret
            else:
                resolved[key] = value
        return resolved

    def queue(self) -> QueueConfig | None:
        """`queue:` — a broker URL, a reference to one, or a section with `url:` and options."""
        if "queue" not in self.data:
            return None
        section = self.data["queue"]
        where: tuple[str, ...] = ("queue",)
        if not isinstance(section, Mapping) or "url" not in section:
            section, where = {"url": section}, ()
        value = section["url"]
        origin = ""
        if isinstance(value, Mapping):
            secret = self.resolve(value, (*where, "url") if where else ("queue",))
            if secret is None:
                return None
            value, origin = secret.reveal(), secret.origin
        if not value.startswith(("redis://", "rediss://")):  # never the value: a password
            self.problems.append(
                f"{self.place('queue')}: queue: the queue URL from {origin} is not a redis:// URL"
            )
            return None
        return QueueConfig(
            url=value,
            origin=origin,
            name=section.get("name", "mapper"),
            visibility_timeout=dt.timedelta(seconds=section.get("visibility_timeout_seconds", 3600)),
            lock_ttl=dt.timedelta(seconds=section.get("lock_ttl_seconds", 600)),
        )

    def notify(self, section: Mapping[str, Any], path: tuple[str | int, ...]) -> NotifySettings:
        """A shop's `notify:`, its SMTP password and webhook secret (and URL) resolved."""
        email, webhook = section.get("email"), section.get("webhook")
        return notify_settings(
            section,
            self.section(email, (*path, "email")) if email is not None else None,
            self.section(webhook, (*path, "webhook")) if webhook is not None else None,
        )

    def ledger(self, folder: Path) -> tuple[str, str]:
        """(the ledger's URL, where it came from): a bare path is a SQLite file beside the
        configuration."""
        value = self.data.get("ledger", DEFAULT_LEDGER)
        origin = ""
        if isinstance(value, Mapping):
            secret = self.resolve(value, ("ledger",))
            if secret is None:
                return "", ""
            value, origin = secret.reveal(), secret.origin
            if not value.strip():
                self.problems.append(
                    f"{self.place('ledger')}: ledger: the ledger URL from {origin} is empty"
                )
                return "", origin
        if "://" not in value:
            value = f"sqlite:///{(folder / value).resolve()}"
        return value, origin


def with_stored(config: ShopConfig, ledger: Ledger) -> ShopConfig:
    """The shop as a pass runs it: the newest settings version saved in the dashboard over
    the file's settings (setting by setting: what it does not change keeps the file's value),
    and keys entered in the dashboard over the file's. Unchanged when the dashboard stored
    neither."""
    changes = newest_settings(ledger, config.name)
    keys = SecretStore(ledger).secrets(config.name)
    if not changes and not keys:
        return config
    settings = dict(config.settings)
    for rule_set, section in changes.items():
        settings[rule_set] = {**(config.settings.get(rule_set) or {}), **section}
    return dataclasses.replace(
        config,
        settings=settings,
        source={**config.source, **keys.get("source", {})},
        target={**config.target, **keys.get("target", {})},
    )
