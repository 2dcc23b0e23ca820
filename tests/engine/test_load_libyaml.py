"""libyaml's composer reads every shipped rule and data file exactly as PyYAML's own does:
the same values, the same places, the same language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mapper.engine.library.data_files import read_data_file
from mapper.engine.rules import load

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "mappings").rglob("*.yaml"))


def _located(value: Any) -> Any:
    """The value with every place it carries, as plain data to compare."""
    if isinstance(value, load.LocatedDict):
        return (
            {k: _located(v) for k, v in value.items()},
            value.place,
            value.places,
            value.key_places,
            value.language,
        )
    if isinstance(value, load.LocatedList):
        return ([_located(v) for v in value], value.place, value.places)
    return (type(value).__name__, value)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_composers_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _located(load.load_yaml(path, "f", rule_file=path.name == "mapping.yaml"))
    monkeypatch.setattr(load, "_FAST", {})
    slow = _located(load.load_yaml(path, "f", rule_file=path.name == "mapping.yaml"))
    assert fast == slow


def test_the_shipped_files_are_many() -> None:
    assert len(FILES) > 30  # the glob found the rule sets, not an empty folder


@pytest.mark.parametrize(
    "name", ["eu_vat_rates.yaml", "vat_territories.yaml"], ids=lambda name: name
)
def test_the_library_reads_its_data_files_as_safe_load_does(name: str) -> None:
    path = ROOT / "mappings" / "common" / name
    read = read_data_file(path)
    expected = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert read == expected
    assert [type(row.get("from")) for row in read] == [type(row.get("from")) for row in expected]
