"""Write small rule sets into a temporary folder for the engine tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mapper.engine.rules.compile import RuleSet, compile_rule_set

HEADER = 'name: tiny\nversion: "1.0.0"\nkind: target\noutput_schema: test\n'


def write_rules(folder: Path, body: str, name: str = "mapping.yaml") -> Path:
    """Write a rule file: `body` is dedented; for mapping.yaml the header comes first."""
    folder.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(body).lstrip("\n")
    path = folder / name
    path.write_text(HEADER + text if name == "mapping.yaml" else text, encoding="utf-8")
    return path


def compile_rules(folder: Path, body: str) -> RuleSet:
    write_rules(folder, body)
    return compile_rule_set(folder)


def shown(path: Path) -> str:
    """A rule file's name as errors show it (the folder is outside the working directory)."""
    return str(path.resolve())


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the only line of `path` that contains `text`."""
    lines = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]
