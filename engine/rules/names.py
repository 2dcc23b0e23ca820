"""Names no rule defines: a misspelt `product_incl` found by `mapper validate`, before any order.

Every Jinja expression of a rule set is read in the order the rules run, with the names that
are defined at that point:
- the input: `order` for a target rule set; for a shop's, the top-level names of its fetched
  documents (`inputs`: what its fixtures hold). A name only tested with `is defined` is optional
  and never reported;
- `settings`, and the `let` values written before (in a rule set's files in include order);
- in a list part or a check, its `as` element and its own `let` values.

`sendable` runs before any `let`, `order_id` / `order_number` / `order_date` see the document
only, lookup `rows` see `settings` only. A name read before its `let` is reported as such (it is
undefined when the rule runs). Each problem is a RuleError placed on the name itself
(`file:line:column` of its first letter), with a "did you mean" when a defined name is close.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import nodes

from ..errors import Place, RuleError
from .expressions import ExpressionError, is_template, parse_template
from .known_keys import suggestion
from .load import LocatedDict, LocatedList

_CONSTANTS = frozenset({"true", "True", "false", "False", "none", "None"})


@dataclass(frozen=True)
class _Read:
    name: str
    line: int  # of the expression, 1-based
    optional: bool  # only tested with `is defined`


def names_in(text: str) -> list[_Read]:
    """The names a rule string reads, in Jinja's tree order (an `if`'s test first); none for a
    JSONPath or literal (or one that does not parse: the compiler reports that).

    >>> [r.name for r in names_in("{{ money(order.total) + extra if products is defined }}")]
    ['products', 'order', 'extra']
    """
    if text.startswith("$") or not is_template(text):
        return []
    try:
        tree = parse_template(text)
    except ExpressionError:
        return []
    found: list[_Read] = []
    _walk(tree, found, optional=False)
    return found


def _walk(node: nodes.Node, found: list[_Read], *, optional: bool) -> None:
    if isinstance(node, nodes.Name):
        if node.name not in _CONSTANTS:
            found.append(_Read(node.name, node.lineno, optional))
        return
    if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
        _walk(node.node, found, optional=True)
        arguments: list[nodes.Node] = [*node.args, *(k.value for k in node.kwargs)]
        for argument in arguments:
            _walk(argument, found, optional=optional)
        return
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        children: Iterator[nodes.Node] = (c for c in node.iter_child_nodes() if c is not node.node)
    else:
        children = node.iter_child_nodes()
    for child in children:
        _walk(child, found, optional=optional)


class _Checker:
    def __init__(self, inputs: set[str], lets: dict[str, Place]) -> None:
        self.inputs = inputs
        self.all_lets = lets  # every top-level let, for "used before its let"
        self.problems: list[RuleError] = []
        self.seen: set[tuple[Place, str]] = set()

    def text(self, text: Any, place: Place, path: str, defined: set[str]) -> None:
        if not isinstance(text, str):
            return
        for read in names_in(text):
            if read.name in defined or read.optional or read.name in self.inputs:
                continue
            if (place, read.name) in self.seen:
                continue
            self.seen.add((place, read.name))
            where = name_place(place, read.name)
            later = self.all_lets.get(read.name)
            if later is not None:
                message = f"{read.name!r} is read before its let (defined at {later})"
            else:
                close = suggestion(read.name, defined | self.inputs)
                message = f"{read.name!r} is undefined{close}"
            self.problems.append(RuleError(message, where, path))

    def value(self, spec: Any, place: Place, path: str, defined: set[str]) -> None:
        """A rule value: a string, an object field by field, or a list built from parts."""
        if isinstance(spec, LocatedDict):
            for name, item in spec.items():
                self.value(item, spec.places[name], f"{path}.{name}" if path else name, defined)
        elif isinstance(spec, LocatedList):
            for part in spec:
                if isinstance(part, LocatedDict):
                    self.part(part, path, defined)
        else:
            self.text(spec, place, path, defined)

    def part(self, spec: LocatedDict, path: str, defined: set[str]) -> None:
        inner = set(defined)
        if "each" in spec:
            self.text(spec["each"], spec.places["each"], f"{path}[] each", defined)
            if isinstance(spec.get("as"), str):
                inner.add(spec["as"])
        for name, value in (spec.get("let") or LocatedDict()).items():
            self.value(value, spec["let"].places[name], f"{path}[] let {name}", inner)
            inner.add(name)
        if "when" in spec:
            self.text(spec["when"], spec.places["when"], f"{path}[] when", inner)
        if "item" in spec:
            self.value(spec["item"], spec.places["item"], f"{path}[]", inner)


def undefined_names(data: LocatedDict, inputs: set[str]) -> list[RuleError]:
    """Every name the rule set's expressions read that nothing defines where it is read.
    `inputs`: the input document's top-level names; a name tested with `is defined`
    anywhere in the rule set is an (optional) input name too."""
    lets: LocatedDict = data.get("let") or LocatedDict()
    inputs = inputs | optional_inputs(data)
    checker = _Checker(inputs, dict(getattr(lets, "places", {})))
    document_only: set[str] = set()
    for key in ("order_id", "order_number", "order_date"):
        if key in data:
            checker.text(data[key], data.places[key], key, document_only)
    settings_only = {"settings"}
    for name, spec in (data.get("lookups") or {}).items():
        if isinstance(spec, LocatedDict) and "rows" in spec:
            checker.value(spec["rows"], spec.places["rows"], f"lookups.{name}", settings_only)
    sendable = data.get("sendable")
    if isinstance(sendable, LocatedDict):
        for key in ("when", "reason"):
            if key in sendable:
                checker.text(sendable[key], sendable.places[key], f"sendable.{key}", settings_only)
    defined = {"settings"}
    for name, value in lets.items():
        checker.value(value, lets.places[name], f"let {name}", defined)
        defined.add(name)
    checks = data.get("checks") or []
    for index, check in enumerate(checks):
        if not isinstance(check, LocatedDict):
            continue
        inner = defined | ({check["as"]} if isinstance(check.get("as"), str) else set())
        for key in ("each", "when", "assert", "message", "resolution"):
            if key in check:
                scope = defined if key == "each" else inner
                checker.text(check[key], check.places[key], f"checks[{index}].{key}", scope)
    if "output" in data:
        checker.value(data["output"], data.places["output"], "", defined)
    return checker.problems


def optional_inputs(spec: Any) -> set[str]:
    """The names some expression of `spec` tests with `is defined` (or `is undefined`)."""
    if isinstance(spec, dict):
        return set().union(*(optional_inputs(value) for value in spec.values()))
    if isinstance(spec, list):
        return set().union(*(optional_inputs(value) for value in spec))
    if isinstance(spec, str):
        return {read.name for read in names_in(spec) if read.optional}
    return set()


_WORD = "(?<![\\w.'\"]){}(?!\\w)"


def name_place(place: Place, name: str) -> Place:
    """Where `name` is first written at or after `place` (a rule string's start) in its file;
    `place` itself when the file cannot be read or the name is not found nearby."""
    lines = _file_lines(place.file)
    if not lines or not 0 < place.line <= len(lines):
        return place
    pattern = re.compile(_WORD.format(re.escape(name)))
    start = max(place.column - 1, 0)
    indicator = lines[place.line - 2][start : start + 1] if place.line >= 2 else ""
    if indicator in ("|", ">"):  # a block scalar: its text starts on the line below, anywhere
        start = 0
    for number in range(place.line - 1, min(place.line + 200, len(lines))):
        found = pattern.search(lines[number], start if number == place.line - 1 else 0)
        if found:
            return Place(place.file, number + 1, found.start() + 1)
    return place


def _file_lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def fixture_inputs(folder: Path, name: str) -> set[str]:
    """The top-level names of the documents a shop's rule set is tested with: its own
    fixtures', and those of its pairs' folders beside it (`<name>-<target>/fixtures`)."""
    names: set[str] = set()
    places = [folder / "fixtures", *sorted(folder.parent.glob(f"{name}-*/fixtures"))]
    for fixtures in places:
        for path in sorted(fixtures.glob("*.input.json")) if fixtures.is_dir() else []:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for item in document if isinstance(document, list) else [document]:
                if isinstance(item, dict):
                    names.update(str(key) for key in item)
    return names
