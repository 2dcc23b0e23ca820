"""Load YAML: rule files that remember where every value was written, and plain data files.

Mappings become `LocatedDict` and sequences `LocatedList`: plain dict / list (so jsonschema and
the compiler read them as usual) that also carry the Place of each of their values. Block
scalars (`|`, `>`) start on the line after their key, so a Jinja error line can be added to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import MapperError, Place, RuleError


class LocatedDict(dict[str, Any]):
    place: Place
    places: dict[str, Place]


class LocatedList(list[Any]):
    place: Place
    places: list[Place]


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader: no Python objects, only plain data."""


def _place(node: yaml.Node, file: str) -> Place:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1  # the text of a block scalar begins below its indicator
    return Place(file, line, node.start_mark.column + 1)


def _build(node: yaml.Node, loader: _Loader, file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping = LocatedDict()
        mapping.place = _place(node, file)
        mapping.places = {}
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in mapping:
                raise RuleError(f"duplicate key {key!r}", _place(key_node, file))
            mapping[key] = _build(value_node, loader, file)
            mapping.places[key] = _place(value_node, file)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LocatedList()
        sequence.place = _place(node, file)
        sequence.places = []
        for item in node.value:
            sequence.append(_build(item, loader, file))
            sequence.places.append(_place(item, file))
        return sequence
    return loader.construct_object(node, deep=True)


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file safely into located data. Errors name the file and line."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RuleError(f"cannot read rule file: {error.strerror}", Place(name, 0)) from None
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


def display_path(path: Path) -> str:
    """A path as short as it can be said: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_data_file(
    path: Path, what: str, error: type[MapperError], *, show_problem: bool = True
) -> Any:
    """A data file (settings, configuration, secrets) read with the safe loader, its problems
    as one line. `show_problem=False` keeps YAML's excerpt — which may hold a secret — out."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror}") from None
    except yaml.YAMLError as problem:
        detail = f": {problem}" if show_problem else ""
        raise error(f"{what} {path} is not valid YAML{detail}") from None
