"""`mapper migrate DIR`: rewrite rule files of an older language version to the current one.

What the versions mean is in engine/rules/load.py. Language 1 → 2 changes how plain scalars
are read, so a file is migrated by rewriting, in place, each scalar that language 2 would read
otherwise (`yes` → `true`, `0123` → `83`, `12:30` → `750`, a key `on:` → `"True"`) and by
naming the version (`language: 2` below `version:`, or above the first key). Everything else —
comments, blank lines, quoting, key order — stays byte for byte, since only the characters
between a scalar's YAML marks are replaced. Each migration is checked before it is written:
the new text read as language 2 must be the same data as the old text read as language 1.

Only rule files are rewritten: a rule set's mapping.yaml and the files it includes, when they
lie inside DIR. Lookup tables and defaults files are data files, read the same by every
version, and are left alone.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Place, RuleError, UsageError
from .load import (
    LANGUAGE,
    LANGUAGE_KEY,
    LocatedDict,
    RuleLoader,
    display_path,
    language_of,
    load_yaml,
    text_in_language_2,
)


@dataclass(frozen=True)
class Change:
    """One scalar rewritten: where, what was written, what is written now."""

    place: Place
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.place}: {self.old} → {self.new}"


@dataclass
class Migration:
    """One rule file: its language before, its new text, the scalars rewritten."""

    path: Path
    language: int
    text: str
    changed: bool
    changes: list[Change] = field(default_factory=list)

    def summary(self) -> str:
        name = display_path(self.path)
        if not self.changed:
            return f"{name}: language {self.language}, nothing to migrate"
        values = f"{len(self.changes)} value(s) rewritten" if self.changes else "no value changed"
        return f"{name}: language {self.language} → {LANGUAGE} ({values})"


def migrate_text(text: str, file: str) -> tuple[str, int, list[Change]]:
    """(the text in the current language, the language it was in, the scalars rewritten)."""
    loader = RuleLoader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            raise RuleError("a rule file must be a mapping of sections", Place(file, 1))
        language, written = language_of(root, file)
        if language >= LANGUAGE:
            return text, language, []
        edits: list[tuple[int, int, str]] = []  # (start, end, new text), character offsets
        changes: list[Change] = []
        for node, is_key in _scalars(root):
            if not text_in_language_2(node):
                continue
            new = _spelled(loader.construct_object(node, deep=True), is_key)
            edits.append((node.start_mark.index, node.end_mark.index, new))
            start = node.start_mark
            changes.append(Change(Place(file, start.line + 1, start.column + 1), node.value, new))
        edits.append(_language_edit(root, text, written, file))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = Place(file, mark.line + 1, mark.column + 1) if mark else Place(file, 0)
        raise RuleError(f"invalid YAML: {error.problem}", place) from None
    finally:
        loader.dispose()
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    changes.sort(key=lambda change: (change.place.line, change.place.column))
    return text, language, changes


def _scalars(node: yaml.Node, is_key: bool = False) -> list[tuple[yaml.ScalarNode, bool]]:
    """Every scalar node of the tree, with whether it is a mapping key (aliases once)."""
    found: list[tuple[yaml.ScalarNode, bool]] = []
    stack: list[tuple[yaml.Node, bool]] = [(node, is_key)]
    seen: set[int] = set()
    while stack:
        current, key = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            found.append((current, key))
        elif isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                stack += [(key_node, True), (value_node, False)]
        elif isinstance(current, yaml.SequenceNode):
            stack += [(item, False) for item in current.value]
    return found


def _spelled(value: object, is_key: bool) -> str:
    """Language 1's value of a scalar, written so language 2 reads the same value.

    >>> _spelled(True, False), _spelled(83, False), _spelled(1e20, False)
    ('true', '83', '1.0e+20')
    >>> _spelled(True, True)
    '"True"'
    """
    if is_key:  # rule files' keys are text: language 1 made `on:` the key "True"
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        written = repr(value)
        if "e" in written and "." not in written:  # YAML needs the point: 1.0e+20
            mantissa, exponent = written.split("e")
            written = f"{mantissa}.0e{exponent}"
        return written
    return str(value)


def _language_edit(
    root: yaml.MappingNode, text: str, written: bool, file: str
) -> tuple[int, int, str]:
    """The edit that names the current language: its value replaced, or a line inserted."""
    keys = {
        key.value: (key, value) for key, value in root.value if isinstance(key, yaml.ScalarNode)
    }
    if written:
        value = keys[LANGUAGE_KEY][1]
        return value.start_mark.index, value.end_mark.index, str(LANGUAGE)
    if root.flow_style:
        raise RuleError(
            f"cannot add `{LANGUAGE_KEY}: {LANGUAGE}` to a rule file written as a flow mapping "
            "({…}); add it by hand",
            Place(file, root.start_mark.line + 1, root.start_mark.column + 1),
        )
    first_key = root.value[0][0]
    indent = " " * first_key.start_mark.column
    newline = "\r\n" if "\r\n" in text else "\n"
    if "version" in keys:  # below `version:`, which it sits beside in meaning
        end = keys["version"][1].end_mark
        line = end.line if end.column == 0 else end.line + 1
    else:
        line = first_key.start_mark.line
    offset = _line_offset(text, line)
    if offset == len(text) and text and not text.endswith("\n"):
        return offset, offset, f"{newline}{indent}{LANGUAGE_KEY}: {LANGUAGE}"
    return offset, offset, f"{indent}{LANGUAGE_KEY}: {LANGUAGE}{newline}"


def _line_offset(text: str, line: int) -> int:
    """The character offset where 0-based `line` starts (the end of the text past the last)."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def migrate_file(path: Path) -> Migration:
    """One rule file migrated in memory, checked to mean the same; nothing written."""
    name = display_path(path)
    try:
        old = path.read_bytes().decode("utf-8")  # as written: \r\n stays
    except (OSError, UnicodeDecodeError):
        raise RuleError("cannot read the rule file as UTF-8 text", Place(name, 0)) from None
    new, language, changes = migrate_text(old, name)
    if new == old:
        return Migration(path, language, old, changed=False)
    _check_same_meaning(path, new, name)
    return Migration(path, language, new, changed=True, changes=changes)


def _check_same_meaning(path: Path, new: str, name: str) -> None:
    """The migrated text read as its new language is the data the old file was: or refused."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        copy.write_text(new, encoding="utf-8")
        after = load_yaml(copy, name, rule_file=True)
    before = load_yaml(path, name, rule_file=True)
    if before != after:
        raise RuleError(
            "migrating would change what the file means; migrate it by hand", Place(name, 1)
        )


def rule_files(folder: Path) -> list[Path]:
    """The rule files under `folder`: each rule set's mapping.yaml (the folder's own, else its
    sub-folders') and the files it includes that lie inside `folder`, each once, in order."""
    folder = folder.resolve()
    if (folder / "mapping.yaml").is_file():
        starts = [folder / "mapping.yaml"]
    else:
        starts = sorted(folder.glob("*/mapping.yaml"))
    if not starts:
        raise UsageError(f"{display_path(folder)}: no mapping.yaml in it or its sub-folders")
    found: list[Path] = []
    pending = list(starts)
    while pending:
        path = pending.pop(0).resolve()
        if path in found or not path.is_relative_to(folder) or not path.is_file():
            continue
        found.append(path)
        data = load_yaml(path, display_path(path), rule_file=True)
        includes = data.get("include", []) if isinstance(data, LocatedDict) else []
        if isinstance(includes, list):
            pending += [path.parent / item for item in includes if isinstance(item, str)]
    return found


def migrate_folder(folder: Path, *, write: bool = True) -> list[Migration]:
    """Migrate every rule file under `folder` (see `rule_files`); `write=False` only says
    what would change. Files are written only when all of them migrated cleanly."""
    migrations = [migrate_file(path) for path in rule_files(folder)]
    if write:
        for migration in migrations:
            if migration.changed:
                _write(migration.path, migration.text)
    return migrations


def _write(path: Path, text: str) -> None:
    """Replace the file whole (a temporary file beside it, then renamed), keeping its mode."""
    mode = path.stat().st_mode
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
