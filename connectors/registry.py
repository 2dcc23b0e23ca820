"""Where mapper finds its external systems: the `mapper.connectors` entry-point group.

Each system's folder registers one `Connector` (in its `__init__.py`, listed under
`[project.entry-points."mapper.connectors"]` in pyproject.toml), so a third-party package adds a
shop or accounting system by registering its own. References are "module:attribute" strings,
imported only when used: listing the systems imports no client, simulator or HTTP library.
"""

from __future__ import annotations

import importlib
import importlib.resources
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

GROUP = "mapper.connectors"


@dataclass(frozen=True)
class Connector:
    """One external system: a shop (a Source of orders) or an accounting system (a Target)."""

    name: str  # the `type:` of a source or target in mapper.yaml
    title: str  # how a person calls it: "PrestaShop"
    role: Literal["shop", "accounting"]
    adapter: str  # "module:Class": the Source or Target built from a configuration section
    simulator: str  # "module:function": a seeded local simulator (`mapper simulate NAME`)
    # "module:function" taking the demo's temporary folder and returning a started, seeded
    # `DemoSystem` (`mapper demo --shop/--target`); "" when the system has no demo.
    demo: str = ""

    def adapter_class(self) -> Any:
        return load_reference(self.adapter)

    def simulator_factory(self) -> Any:
        return load_reference(self.simulator)

    def start_demo(self, folder: Path) -> DemoSystem:
        """This system's demo, running (the caller stops it); `LookupError` without one."""
        if not self.demo:
            raise LookupError(f"{self.title} has no demo")
        system: DemoSystem = load_reference(self.demo)(folder)
        return system

    def section_schema(self) -> dict[str, Any]:
        """The JSON Schema of this system's `source:`/`target:` section in mapper.yaml: the
        `section.schema.json` beside its adapter. Credentials may `$ref` the configuration
        schema's `#/$defs/credential`."""
        package = self.adapter.partition(":")[0].rpartition(".")[0]
        text = importlib.resources.files(package).joinpath("section.schema.json").read_text("utf-8")
        schema: dict[str, Any] = json.loads(text)
        return schema


def _nothing() -> None:
    """Nothing to stop."""


@dataclass
class DemoSystem:
    """What a connector's `demo` function returns: its simulator started and seeded with demo
    data (a shop: paid, unpaid and failing orders; a target: an account that takes them), and
    how `mapper demo` configures and reports on it. Credentials are never in `section`: it
    names them as `{"env": NAME}` and `environ` holds their values."""

    where: str  # what the demo's first line shows: "PrestaShop simulator http://127.0.0.1:…"
    section: dict[str, Any]  # the `source:` or `target:` section of mapper.yaml
    environ: dict[str, str]  # the values of the section's `{env: …}` references
    report: Callable[[], str]  # the closing count: "Yuki received 28 invoices in 40 requests"
    stop: Callable[[], None] = _nothing
    start: str = "2024-01-01"  # a shop: the first day whose orders the demo syncs
    # a shop: the shop owner marks an open order (by its ledger id) paid, for the re-check
    mark_paid: Callable[[str], object] | None = None


def load_reference(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@cache
def connectors() -> dict[str, Connector]:
    """Every registered system by name."""
    found: dict[str, Connector] = {}
    for entry in entry_points(group=GROUP):
        connector = entry.load()
        if isinstance(connector, Connector):
            found[connector.name] = connector
    return found


def connector(name: str, role: str | None = None) -> Connector | None:
    """The system called `name` (of that role, when given), or None."""
    found = connectors().get(name)
    return found if found is not None and role in (None, found.role) else None


def names(role: str | None = None) -> list[str]:
    return sorted(name for name, c in connectors().items() if role in (None, c.role))
