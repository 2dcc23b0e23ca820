"""The key form of the Connections tab: enter or replace the shop's key and the accounting
system's key, stored encrypted in the ledger (engine/ledger/secret_store.py).

Which fields a system has are its credentials in its own section schema (the properties that
`$ref` `#/$defs/credential`). A key is never shown back: the form says only where the key in use
comes from ("set on 2026-03-02 14:00 UTC by alice@example.com", or "from mapper.yaml (env
YUKI_KEY)"), and its input is always empty. Messages never hold what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...connectors.registry import connector
from ...connectors.secret import Secret
from ...engine.ledger import Ledger
from ...engine.ledger.secret_store import SecretStore, StoredKey
from ...engine.sync.config import ShopConfig
from ...engine.sync.lists import when

MAX_LENGTH = 2000


@dataclass(frozen=True)
class KeyField:
    """One key input: `side.name` (`target.access_key`) and where the key in use comes from."""

    side: str
    name: str
    system: str
    status: str

    @property
    def form_name(self) -> str:
        return f"{self.side}.{self.name}"


def _credentials(kind: str) -> tuple[str, list[str]]:
    """(the system's title, its credential fields) from its section schema."""
    found = connector(kind)
    if found is None:
        return kind, []
    properties = found.section_schema().get("properties") or {}
    names = [
        name
        for name, schema in properties.items()
        if isinstance(schema, Mapping) and str(schema.get("$ref", "")).endswith("/credential")
    ]
    return found.title, names


def _status(stored: StoredKey | None, configured: object) -> str:
    if stored is not None:
        return f"set on {when(stored.set_at)} by {stored.set_by}"
    if isinstance(configured, Secret):
        return (
            f"from mapper.yaml ({configured.origin})" if configured.origin else "from mapper.yaml"
        )
    return "not set"


def key_fields(shop: ShopConfig, ledger: Ledger) -> list[KeyField]:
    """The key inputs of the shop's two systems, with where each key in use comes from."""
    stored = {(key.side, key.name): key for key in SecretStore(ledger).listed(shop.name)}
    fields = []
    for side, section in (("source", shop.source), ("target", shop.target)):
        title, names = _credentials(str(section.get("type", "")))
        for name in names:
            status = _status(stored.get((side, name)), section.get(name))
            fields.append(KeyField(side, name, title, status))
    return fields


def store_keys(
    shop: ShopConfig, ledger: Ledger, form: Mapping[str, str], author: str
) -> tuple[list[str], dict[str, str]]:
    """Store every key typed in `form`: (the keys stored, problems by field name)."""
    fields = key_fields(shop, ledger)
    problems: dict[str, str] = {}
    wanted: list[tuple[KeyField, str]] = []
    for entry in fields:
        value = form.get(entry.form_name, "")
        if not value:
            continue
        if value != value.strip() or not value.strip():
            problems[entry.form_name] = (
                f"{entry.form_name}: the key starts or ends with a space; paste it again"
            )
        elif len(value) > MAX_LENGTH or any(ord(c) < 32 for c in value):
            problems[entry.form_name] = f"{entry.form_name}: this is not a key"
        else:
            wanted.append((entry, value))
    if problems:
        return [], problems
    store = SecretStore(ledger)
    for entry, value in wanted:
        store.put(shop.name, entry.side, entry.name, value, author)
    return [f"{entry.system} {entry.name}" for entry, _ in wanted], {}
