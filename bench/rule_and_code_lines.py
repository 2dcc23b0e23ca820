"""Measure the promise (issue 14, item 7): per system, how many lines of rules and how many of
Python it takes, beside the lines of the engine every system shares.

Rules: the YAML of mappings/<system>/ (fixtures not counted). Python: connectors/<system>/,
split into client, adapter, simulator (its data and folder included), demo and the rest.
A line counts unless it is blank or only a comment (`#`). Run: `python bench/rule_and_code_lines.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("client", "adapter", "simulator", "demo")


def code_lines(path: Path) -> int:
    """Lines that are neither blank nor only a comment."""
    text = path.read_text(encoding="utf-8")
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def total(paths: Iterable[Path]) -> int:
    return sum(code_lines(path) for path in paths)


def rule_files(system: str) -> list[Path]:
    folder = ROOT / "mappings" / system
    return [p for p in folder.rglob("*.y*ml") if "fixtures" not in p.relative_to(folder).parts]


def part_of(path: Path, folder: Path) -> str:
    """client / adapter / simulator / demo / other, by the file's (or its folder's) name."""
    first = path.relative_to(folder).parts[0]
    for part in PARTS:
        if first.removesuffix(".py").startswith(part):
            return part
    return "other"


def python_parts(system: str) -> dict[str, int]:
    folder = ROOT / "connectors" / system
    counts = dict.fromkeys((*PARTS, "other"), 0)
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
        counts[part_of(path, folder)] += code_lines(path)
    return counts


def systems() -> list[str]:
    """Every system with a connector folder or a rule set of its own (no pair folders)."""
    connectors = {p.parent.name for p in (ROOT / "connectors").glob("*/__init__.py")}
    rules = {p.parent.name for p in (ROOT / "mappings").glob("*/mapping.yaml")}
    return sorted(connectors | rules)


def table() -> Table:
    out = Table(title="Lines of rules and of Python per system (blank and comment lines not counted)")
    out.add_column("system")
    out.add_column("rules (YAML)", justify="right")
    for column in (*PARTS, "other", "Python total"):
        out.add_column(column, justify="right")
    for system in systems():
        parts = python_parts(system)
        out.add_row(
            system, str(total(rule_files(system))), *(str(parts[p]) for p in (*PARTS, "other")),
            str(sum(parts.values())),
        )
    shared_rules = total((ROOT / "mappings" / "common").glob("*.y*ml"))
    shared_python = total((ROOT / "connectors").glob("*.py"))
    out.add_row("(shared connectors/*.py, mappings/common)", str(shared_rules), "", "", "", "",
                str(shared_python), str(shared_python))
    out.add_row("engine/ (every system)", "", "", "", "", "", "",
                str(total((ROOT / "engine").rglob("*.py"))))
    return out


def main() -> None:
    Console(width=140).print(table())


if __name__ == "__main__":
    main()
