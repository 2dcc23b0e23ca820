"""Load YAML: rule files that remember where every value was written, and plain data files.

Mappings become `LocatedDict` and sequences `LocatedList`: plain dict / list (so jsonschema and
the compiler read them as usual) that also carry the Place of each of their values. Block
scalars (`|`, `>`) start on the line after their key, so a Jinja error line can be added to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import MapperError, Place, RuleError


class LocatedDict(dict[str, Any]):
    place: Place
    places: dict[str, Place]
    key_places: dict[str, Place]  # where each key itself was written


class LocatedList(list[Any]):
    place: Place
    places: list[Place]


MAX_RULE_FILE_BYTES = 1_000_000  # a rule file, lookup table or defaults file
MAX_YAML_DEPTH = 64  # lists and mappings within each other
MAX_YAML_ALIASES = 50  # `*name` references in one file
MAX_YAML_VALUES = 200_000  # values in one file, aliases expanded (no billion laughs)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader: no Python objects, only plain data; bounded nesting, few aliases."""

    depth = 0
    aliases = 0
    built = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise self._limit(f"more than {MAX_YAML_ALIASES} aliases (*name) in one file")
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise self._limit(f"nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _limit(self, problem: str) -> yaml.MarkedYAMLError:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return yaml.composer.ComposerError(None, None, problem, mark)


class _DataLoader(_Loader):
    """The safe loader for data files: `23:30` stays the text it reads like.

    YAML 1.1 reads `23:30` as the base-60 number 1410 (and `03:00` as text): a time of day in a
    configuration is meant, never a sexagesimal number.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        numeric = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        if tag in numeric and isinstance(value, str) and ":" in value:
            return "tag:yaml.org,2002:str"
        return tag


class _TextLoader(_Loader):
    """Every scalar is the text written: a secret `0123` stays `0123`, `yes` stays `yes`."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


def _place(node: yaml.Node, file: str) -> Place:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1  # the text of a block scalar begins below its indicator
    return Place(file, line, node.start_mark.column + 1)


def _build(node: yaml.Node, loader: _Loader, file: str) -> Any:
    loader.built += 1
    if loader.built > MAX_YAML_VALUES:
        raise RuleError(
            f"more than {MAX_YAML_VALUES} values once aliases are expanded", _place(node, file)
        )
    if isinstance(node, yaml.MappingNode):
        mapping = LocatedDict()
        mapping.place = _place(node, file)
        mapping.places = {}
        mapping.key_places = {}
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in mapping:
                raise RuleError(f"duplicate key {key!r}", _place(key_node, file))
            mapping[key] = _build(value_node, loader, file)
            mapping.places[key] = _place(value_node, file)
            mapping.key_places[key] = _place(key_node, file)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LocatedList()
        sequence.place = _place(node, file)
        sequence.places = []
        for item in node.value:
            sequence.append(_build(item, loader, file))
            sequence.places.append(_place(item, file))
        return sequence
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as error:  # a timestamp like 2026-02-30: YAML's regex, no such day
        raise RuleError(f"not a valid date or time: {error}", _place(node, file)) from None


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file safely into located data. Errors name the file and line."""
    name = display_name or str(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        raise RuleError(f"cannot read rule file: {error.strerror}", Place(name, 0)) from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleError(f"rule file larger than {MAX_RULE_FILE_BYTES} bytes", Place(name, 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RuleError("rule file is not UTF-8 text", Place(name, line)) from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return LocatedDict()
        return _build(root, loader, name)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = Place(name, mark.line + 1, mark.column + 1) if mark else Place(name, 0)
        raise RuleError(f"invalid YAML: {error.problem}", place) from None
    finally:
        loader.dispose()


def place_at(data: Any, path: Sequence[str | int]) -> Place | None:
    """Where the key (or list item) at `path` was written, when `data` is located data that
    holds it; None for plain data, or a path that is not in it."""
    place = getattr(data, "place", None)
    for step in path:
        places = getattr(data, "key_places", None) or getattr(data, "places", None)
        try:
            place, data = places[step], data[step]  # type: ignore[index]
        except (TypeError, KeyError, IndexError):
            return None
    return place


def display_path(path: Path) -> str:
    """A path as short as it can be said: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_data_file(
    path: Path, what: str, error: type[MapperError], *, show_problem: bool = True, text: bool = False
) -> Any:
    """A data file (settings, configuration, secrets) read with the safe loader, as located data
    (`LocatedDict`: every value's file:line:column in `.places`), or None when it is empty.

    Every problem is one line `file:line:column: <what> ...`, never YAML's excerpt of the
    offending lines. `show_problem=False` (a file that may hold a secret) also drops what
    YAML quotes from the text, e.g. the name of an undefined alias `*s3cr3t`. `text=True`
    reads every scalar as the text written (a secrets file).
    """
    name = str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None
    loader = (_TextLoader if text else _DataLoader)(source)
    try:
        root = loader.get_single_node()
        return None if root is None else _build(root, loader, name)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        detail = str(problem.problem or problem.context or "unreadable")
        if not show_problem:
            detail = _QUOTED.sub("", detail)
        raise error(f"{where}: {what} is not valid YAML: {detail}") from None
    except yaml.YAMLError:
        raise error(f"{name}: {what} is not valid YAML") from None
    except RuleError as problem:  # a duplicate key, a date that does not exist: no value shown
        raise error(f"{problem.place or name}: {what}: {problem.message}") from None
    finally:
        loader.dispose()


_QUOTED = re.compile(r"""\s*(?:'[^']*'|"[^"]*")""")
