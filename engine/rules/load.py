"""Load YAML: rule files that remember where every value was written, and plain data files.

Mappings become `LocatedDict` and sequences `LocatedList`: plain dict / list (so jsonschema and
the compiler read them as usual) that also carry the Place of each of their values. Block
scalars (`|`, `>`) start on the line after their key, so a Jinja error line can be added to it.

A rule file names its language version at the top (`language: 2`); the key is taken off the
data and kept as the root's `.language`. The versions differ in how a plain scalar is read:

- language 1 (files without the key, as written before versions existed): YAML 1.1, as PyYAML
  reads it — `yes`/`no`/`on`/`off` are booleans, `0123` is octal 83, `1_000` is 1000, `12:30`
  is the base-60 number 750.
- language 2 (current): only what YAML 1.2's core schema calls a boolean or number is one —
  `true`/`false`, `12`, `-3`, `0x1F`, `1.5`; `NO` (Norway), `0123` (a postcode), `12:30` and
  `on` stay the text written. Dates (`2026-01-01`) are read as dates in both.

`mapper migrate` (engine/rules/migrate.py) rewrites a language-1 file so it means the same in
language 2.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import MapperError, Place, RuleError
from .disk_cache import StoredTable, source_digest


class LocatedDict(dict[str, Any]):
    place: Place
    places: dict[str, Place]
    key_places: dict[str, Place]  # where each key itself was written
    # A rule file's root: its language version, and whether the file names it (else 1).
    language: int = 1
    language_written: bool = False


class LocatedList(list[Any]):
    place: Place
    places: list[Place]


MAX_RULE_FILE_BYTES = 1_000_000  # a rule file, lookup table or defaults file
MAX_YAML_DEPTH = 64  # lists and mappings within each other
MAX_YAML_ALIASES = 50  # `*name` references in one file
MAX_YAML_VALUES = 200_000  # values in one file, aliases expanded (no billion laughs)

LANGUAGE = 2  # the rule-file language this mapper writes
LANGUAGES = (1, 2)  # the ones it reads; a file without `language:` is language 1
LANGUAGE_KEY = "language"

# What YAML 1.2's core schema reads as a boolean, integer or float: a subset of YAML 1.1's.
_CORE_SCALAR = {
    "tag:yaml.org,2002:bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    "tag:yaml.org,2002:int": re.compile(r"[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+"),
    "tag:yaml.org,2002:float": re.compile(
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    ),
}


def text_in_language_2(node: yaml.Node) -> bool:
    """Whether language 2 reads this scalar as text where language 1 (YAML 1.1) reads a
    boolean or number: `yes`, `NO`, `0123`, `1_000`, `12:30`."""
    return (
        isinstance(node, yaml.ScalarNode)
        and not node.style  # plain: None from PyYAML, "" from libyaml
        and node.tag in _CORE_SCALAR
        and _CORE_SCALAR[node.tag].fullmatch(node.value) is None
    )


class _Counts:
    depth = 0
    aliases = 0
    built = 0
    text_scalars = False  # language 2: see text_in_language_2


class _Loader(_Counts, yaml.SafeLoader):
    """PyYAML's safe loader: no Python objects, only plain data; bounded nesting, few aliases."""

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


RuleLoader = _Loader  # the loader rule files are composed with (engine/rules/migrate.py)


class _TimesAsText:
    """Data files: `23:30` stays the text it reads like.

    YAML 1.1 reads `23:30` as the base-60 number 1410 (and `03:00` as text): a time of day in a
    configuration is meant, never a sexagesimal number.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
        numeric = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        if tag in numeric and isinstance(value, str) and ":" in value:
            return "tag:yaml.org,2002:str"
        return tag


class _DataLoader(_TimesAsText, _Loader):
    """The safe loader for data files (see _TimesAsText)."""


class _TextLoader(_Loader):
    """Every scalar is the text written: a secret `0123` stays `0123`, `yes` stays `yes`."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


# libyaml's composer (PyYAML's C extension, in its wheels) makes the same nodes, marks
# included, several times faster; it cannot count depth and aliases as it goes, so the nodes
# are measured after, and a file near a limit is composed again by _Loader, whose error
# (and place) is the one the user reads. Likewise for any YAML error.
_FAST_MARGIN = 4  # levels and aliases below the limits where the C composer's nodes are kept
_FAST: dict[type, Any] = {}
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(_Counts, yaml.CSafeLoader):
        pass

    class _CDataLoader(_TimesAsText, _CLoader):
        pass

    class _CTextLoader(_CLoader):
        yaml_implicit_resolvers: dict[Any, Any] = {}

    _FAST = {_Loader: _CLoader, _DataLoader: _CDataLoader, _TextLoader: _CTextLoader}


def _compose(text: str, loader_class: type[_Loader]) -> tuple[yaml.Node | None, Any]:
    """The root node of `text` and the loader that made it (dispose it when done)."""
    fast = _FAST.get(loader_class)
    if fast is not None:
        loader = fast(text)
        try:
            root = loader.get_single_node()
            if root is None or _within_limits(root):
                return root, loader
        except yaml.YAMLError:
            pass
        loader.dispose()
    loader = loader_class(text)
    try:
        return loader.get_single_node(), loader
    except BaseException:
        loader.dispose()
        raise


def _within_limits(root: yaml.Node) -> bool:
    """Whether the node graph stays clear of MAX_YAML_DEPTH and MAX_YAML_ALIASES."""
    seen: set[int] = set()
    aliases = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_YAML_DEPTH - _FAST_MARGIN:
            return False
        if id(node) in seen:  # a node reached again: an alias
            aliases += 1
            if aliases > MAX_YAML_ALIASES - _FAST_MARGIN:
                return False
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return True


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
            key = _scalar(key_node, loader, file)
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
    return _scalar(node, loader, file)


def _scalar(node: yaml.Node, loader: _Loader, file: str) -> Any:
    if loader.text_scalars and text_in_language_2(node):
        return node.value
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as error:  # a timestamp like 2026-02-30: YAML's regex, no such day
        raise RuleError(f"not a valid date or time: {error}", _place(node, file)) from None


def language_of(root: yaml.Node, file: str) -> tuple[int, bool]:
    """(the language version a rule file's root names, whether it names one at all)."""
    if not isinstance(root, yaml.MappingNode):
        return 1, False
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == LANGUAGE_KEY:
            value = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
            if value_node.tag != "tag:yaml.org,2002:int" or not str(value).isdigit():
                raise RuleError(
                    "`language` must be the rule-file language version, a whole number "
                    f"(one of {', '.join(map(str, LANGUAGES))})",
                    _place(value_node, file),
                )
            if int(str(value)) not in LANGUAGES:
                raise RuleError(
                    f"language {value} is not one this mapper reads "
                    f"({', '.join(map(str, LANGUAGES))}); was the file written for a newer "
                    "mapper?",
                    _place(value_node, file),
                )
            return int(str(value)), True
    return 1, False


# The located data of files read before, by their bytes and the name they are shown by (a
# rule set's files take a few milliseconds to read at every start): for this module and PyYAML.
_LOADED = StoredTable(
    "rules",
    source_digest(__file__),
    yaml.__version__,
    str(getattr(yaml, "__with_libyaml__", False)),
)


def load_yaml(path: Path, display_name: str | None = None, *, rule_file: bool = False) -> Any:
    """Parse one YAML file safely into located data. Errors name the file and line.

    `rule_file`: read it in the language version it names (see the module's docstring); the
    `language` key is taken off the data and kept as the root's `.language`."""
    name = display_name or str(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        raise RuleError(f"cannot read rule file: {error.strerror}", Place(name, 0)) from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleError(f"rule file larger than {MAX_RULE_FILE_BYTES} bytes", Place(name, 1))
    key = hashlib.sha256(f"{name}\0{rule_file}\0".encode() + data).hexdigest()
    stored = _LOADED.get(key)
    if type(stored) is bytes:
        with contextlib.suppress(Exception):  # damaged: read the file again
            return pickle.loads(stored)  # noqa: S301 — written by this user's mapper
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RuleError("rule file is not UTF-8 text", Place(name, line)) from None
    located = _located(text, name, rule_file)
    _LOADED.put(key, pickle.dumps(located, protocol=pickle.HIGHEST_PROTOCOL))
    return located


def _located(text: str, name: str, rule_file: bool) -> Any:
    loader: Any = None
    try:
        root, loader = _compose(text, _Loader)
        if root is None:
            return LocatedDict()
        if not rule_file:
            return _build(root, loader, name)
        language, written = language_of(root, name)
        loader.text_scalars = language >= 2
        data = _build(root, loader, name)
        if isinstance(data, LocatedDict):
            data.language, data.language_written = language, written
            if written:
                del data[LANGUAGE_KEY]
                del data.places[LANGUAGE_KEY]
                del data.key_places[LANGUAGE_KEY]
        return data
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = Place(name, mark.line + 1, mark.column + 1) if mark else Place(name, 0)
        raise RuleError(f"invalid YAML: {error.problem}", place) from None
    finally:
        if loader is not None:
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
    path: Path,
    what: str,
    error: type[MapperError],
    *,
    show_problem: bool = True,
    text: bool = False,
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
    loader: Any = None
    try:
        root, loader = _compose(source, _TextLoader if text else _DataLoader)
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
        if loader is not None:
            loader.dispose()


_QUOTED = re.compile(r"""\s*(?:'[^']*'|"[^"]*")""")
