"""mapper.yaml: the shops to sync, validated by schemas/config.schema.json.

Credentials are references (`{env: NAME}` or `{secret: name}`) resolved here into `Secret`
values, whose repr and str never show the value: a secret cannot leak into a log or a message
by accident.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ...connectors.secret import Secret
from ..errors import ConfigError
from ..paths import schema_validator
from ..rules.load import read_data_file
from ..rules.settings import load_settings_file


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


@dataclass
class Config:
    ledger_url: str
    shops: list[ShopConfig]

    def shop(self, name: str) -> ShopConfig:
        for shop in self.shops:
            if shop.name == name:
                return shop
        known = ", ".join(s.name for s in self.shops)
        raise ConfigError(f"no shop {name!r} in the configuration (shops: {known})")


def load_config(path: Path, environ: dict[str, str] | None = None) -> Config:
    """Read and check mapper.yaml; every problem is one line of the ConfigError."""
    data = read_data_file(path, "configuration", ConfigError)
    return parse_config(data, path.parent, str(path), environ)


def parse_config(
    data: Any, folder: Path, name: str = "mapper.yaml", environ: dict[str, str] | None = None
) -> Config:
    problems = [
        f"{name}: {'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {_problem(e)}"
        for e in sorted(
            schema_validator("config").iter_errors(data), key=lambda e: list(e.absolute_path)
        )
    ]
    if problems:
        raise ConfigError("\n".join(problems))
    env = os.environ if environ is None else environ
    secrets = _secrets(folder / data["secrets_file"]) if "secrets_file" in data else {}
    shops = []
    names: set[str] = set()
    for index, entry in enumerate(data["shops"]):
        where = f"{name}: shops.{index}"
        if entry["name"] in names:
            problems.append(f"{where}.name: shop {entry['name']!r} is configured twice")
        names.add(entry["name"])
        source = _resolve(entry["source"], env, secrets, f"{where}.source", problems)
        target = _resolve(entry["target"], env, secrets, f"{where}.target", problems)
        settings = dict(entry.get("settings", {}))
        if "settings_file" in entry:
            settings = {**load_settings_file(folder / entry["settings_file"]), **settings}
        shops.append(
            ShopConfig(
                name=entry["name"],
                mapping=entry["mapping"],
                source=source,
                target=target,
                settings=settings,
                start=dt.date.fromisoformat(entry["start"]) if "start" in entry else None,
                overlap=dt.timedelta(minutes=entry.get("overlap_minutes", 15)),
                sync_every=dt.timedelta(minutes=entry.get("sync_every_minutes", 60)),
                recheck_at=dt.time.fromisoformat(entry.get("recheck_at", "03:00")),
            )
        )
    if problems:
        raise ConfigError("\n".join(problems))
    ledger = data.get("ledger", "mapper-ledger.db")
    if "://" not in ledger:
        ledger = f"sqlite:///{(folder / ledger).resolve()}"
    return Config(ledger, shops)


CREDENTIAL_FIELDS = {"key", "secret", "access_key", "api_key"}


def _problem(error: jsonschema.ValidationError) -> str:
    """The schema's complaint — but never with the value of a credential in it."""
    if CREDENTIAL_FIELDS & {str(p) for p in error.absolute_path}:
        return "must be a reference like {env: NAME} or {secret: name}, never the secret itself"
    return str(error.message)


def _secrets(path: Path) -> dict[str, str]:
    data = read_data_file(path, "secrets file", ConfigError, show_problem=False) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"secrets file {path}: expected name: value lines")
    return {str(k): str(v) for k, v in data.items()}


def _resolve(
    section: dict[str, Any],
    env: Any,
    secrets: dict[str, str],
    where: str,
    problems: list[str],
) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in section.items():
        if isinstance(value, dict) and "env" in value:
            if value["env"] not in env:
                problems.append(f"{where}.{key}: environment variable {value['env']} is not set")
                continue
            resolved[key] = Secret(env[value["env"]], f"env {value['env']}")
        elif isinstance(value, dict) and "secret" in value:
            if value["secret"] not in secrets:
                problems.append(f"{where}.{key}: no {value['secret']!r} in the secrets file")
                continue
            resolved[key] = Secret(secrets[value["secret"]], f"secret {value['secret']}")
        else:
            resolved[key] = value
    return resolved
