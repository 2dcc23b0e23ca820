"""What the two writers generated from a target's element tree (`xml_writer`, `json_writer`)
share: the names their code reads, fresh local names, one function per list part's item
(the first part of some keys writes the items of every part with those keys), running the
written source, and the writers made on the fly for objects of unfixed shape.

A literal is written as text once, at compile time — in a list part's item only when every
part's item of the same keys has it (`same_literal`): the function writes them all.

A writer writes the payloads its own rule set makes. Where every part of a list has an object
`item:`, each item is one of those objects, its keys in the order the rule file gives them:
the writer then knows which shapes can come, and checks only what tells them apart
(`shape_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from jinja2 import nodes

from ..library.money import EXPONENT, amount_text
from .disk_cache import compiled
from .expressions import (
    ExpressionError,
    is_literal,
    is_template,
    parse_template,
    sole_expression,
)
from .load import LocatedDict, LocatedList


class NotStatic(Exception):
    """The tree cannot be written out ahead (a field name its format cannot write)."""


class WriterGenerator:
    """The state of one writer's generation; a writer's own generator adds how it writes."""

    def __init__(self, helpers: dict[str, Any]) -> None:
        self.namespace: dict[str, Any] = {
            "__builtins__": {},
            "_amount": amount_text,
            "_exponent": EXPONENT,
            "Decimal": Decimal,
            "_str": str,
            "_bool": bool,
            "_int": int,
            "_dict": dict,
            "_type": type,
            "_tuple": tuple,
            "_len": len,
            "_KeyError": KeyError,
            "_TypeError": TypeError,
            **helpers,
        }
        self.counter = 0
        self.functions: list[str] = []
        self.in_item = False  # writing a list part's item (whose nested shapes are checked)
        # The other parts' items of the keys of the item being written (its function writes
        # theirs too), and the field path being written within it; `fixed`: every part of
        # the list has an object item, so only those objects can come (none from elsewhere).
        self.sharing: list[LocatedDict] = []
        self.path: list[str] = []
        self.fixed = False

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def amount_field(self, var: str) -> str:
        """An f-string replacement field writing the Decimal `var` as exact text: what
        `amount_text` does, in place (a call less for every amount written)."""
        text = self.fresh("d")
        return f"{text} if _exponent not in ({text} := _str({var})) else _amount({var})"

    @contextmanager
    def at(self, name: str) -> Iterator[None]:
        """Writing the field `name` of the object being written (`path`)."""
        self.path.append(name)
        try:
            yield
        finally:
            self.path.pop()

    def written_as_text(self, spec: Any) -> bool:
        """Whether `spec` at the field being written is a literal to write out now."""
        return is_literal(spec) and (
            not self.in_item or same_literal(spec, self.path, self.sharing)
        )

    def item_functions(
        self, parts: LocatedList, write: Callable[[str, LocatedDict], list[str]]
    ) -> str:
        """The name of a table in the namespace, keys → the function writing items of those
        keys; each function's lines made by `write(name, item)`, as one list part's item."""
        table: dict[tuple[str, ...], str] = {}
        for part in parts:
            item = _object_item(part)
            if item is None or tuple(item) in table:
                continue  # the first part of some keys serves all of them (shapes checked)
            function = self.fresh("_item")
            with self.writing_item(parts, item):
                self.functions.append("\n".join(write(function, item)))
            table[tuple(item)] = function
        shapes = self.fresh("_shapes")
        self.namespace[shapes] = table  # the functions' names until they exist (`run`)
        return shapes

    @contextmanager
    def writing_item(self, parts: LocatedList, item: LocatedDict) -> Iterator[None]:
        """Writing `item`, one list part's item (for it and for the other parts' items of
        its keys)."""
        outer = self.in_item, self.sharing, self.path, self.fixed
        self.in_item, self.sharing, self.path = True, _sharing(parts, item), []
        self.fixed = all(_object_item(part) is not None for part in parts)
        try:
            yield
        finally:
            self.in_item, self.sharing, self.path, self.fixed = outer

    @staticmethod
    def single_item(parts: LocatedList) -> LocatedDict | None:
        """The item every part of a list has when all are objects of the same keys: then
        only that shape can come, and the items are written in place (no function, no
        table)."""
        items = [_object_item(part) for part in parts]
        if not items or any(item is None for item in items):
            return None
        if len({tuple(item) for item in items if item is not None}) != 1:
            return None
        return items[0]

    def shape_check(self, var: str, spec: LocatedDict) -> str:
        """In a list part's item, the test that the object `var` (built from `spec` at `path`
        by this part) is not of `spec`'s shape: another part sharing the item's keys may have
        built it. Its size is enough where no other shape can come of that size (a key
        missing then fails the writer, which writes the payload the plain way: `plain_write`)."""
        keys = tuple(spec)
        exact = f"_type({var}) is not _dict or _tuple({var}) != {keys!r}"
        if not self.fixed:
            return exact
        for other in self.sharing:
            value = _at(other, self.path)
            if value is _MISSING:  # that part's items were told apart further up
                continue
            if not isinstance(value, LocatedDict):
                return exact  # an expression there: anything may come
            if len(value) == len(keys) and tuple(value) != keys:
                return exact
        return f"_type({var}) is not _dict or _len({var}) != {len(keys)}"

    def run(self, main: list[str], filename: str) -> Any:
        """The function `write` of the item functions and `main`, compiled and run."""
        source = "\n\n".join([*self.functions, "\n".join(main)]) + "\n"
        namespace = self.namespace
        exec(compiled(source, filename), namespace)  # noqa: S102 — built from names
        for key, table in list(namespace.items()):
            if key.startswith("_shapes"):
                namespace[key] = {keys: namespace[name] for keys, name in table.items()}
        return namespace["write"]

    def run_writer(
        self,
        head: list[str],
        body: list[str],
        result: str,
        plain_write: Callable[[Any], Any],
        filename: str,
    ) -> Any:
        """`run` for a payload's writer `write(b)`: `head` and `body` (indented as in a
        `try:`), then `return result`; a payload not of the shapes the rule file builds
        (a key missing where its size said it was there) is written by `plain_write(b)`."""
        self.namespace["_plain_write"] = plain_write
        lines = ["def write(b):", "    try:", *head, *body, f"        return {result}"]
        lines += ["    except (_KeyError, _TypeError):", "        return _plain_write(b)"]
        return self.run(lines, filename)


def let_shapes(spec: Any, lets: LocatedDict) -> list[LocatedDict] | None:
    """The objects a value may be when its rule picks among `let`s written as objects
    (`{{ debtor_contact if fixed_debtor else person_contact }}`): their specs, else None."""
    if not isinstance(spec, str) or not is_template(spec):
        return None
    try:
        expression = sole_expression(parse_template(spec))
    except ExpressionError:
        return None
    if expression is None:
        return None  # text around the expression: a text, not an object

    def picked(node: nodes.Node) -> list[LocatedDict] | None:
        if isinstance(node, nodes.Name):
            let = lets.get(node.name)
            return [let] if isinstance(let, LocatedDict) else None
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            first, second = picked(node.expr1), picked(node.expr2)
            return None if first is None or second is None else first + second
        return None

    return picked(expression)


def _object_item(part: Any) -> LocatedDict | None:
    """A list part's `item:` when it is an object the rule file writes out, else None."""
    item = part.get("item") if isinstance(part, LocatedDict) else None
    return item if isinstance(item, LocatedDict) else None


def _sharing(parts: LocatedList, item: LocatedDict) -> list[LocatedDict]:
    """The items of the other parts of `parts` with `item`'s keys."""
    items = [_object_item(part) for part in parts]
    return [
        other
        for other in items
        if other is not None and other is not item and tuple(other) == tuple(item)
    ]


_MISSING: Any = object()


def _at(tree: LocatedDict, path: list[str]) -> Any:
    """The spec at `path` within an item's tree, or _MISSING where the tree has none."""
    value: Any = tree
    for name in path:
        if not isinstance(value, LocatedDict) or name not in value:
            return _MISSING
        value = value[name]
    return value


def same_literal(spec: Any, path: list[str], others: list[LocatedDict]) -> bool:
    """Whether `spec` is a literal every one of `others` has at `path` as well."""
    for other in others:
        value = _at(other, path)
        if (
            value is _MISSING
            or not is_literal(value)
            or type(value) is not type(spec)
            or value != spec
        ):
            return False
    return is_literal(spec)


def any_values(keys: tuple[Any, ...]) -> LocatedDict:
    """An element tree of these keys whose values are any expression's (a shape's writer)."""
    return LocatedDict({key: "{{ value }}" for key in keys})


MAX_SHAPES = 512  # object shapes remembered per writer kind (a few per target in practice)


class ShapeWriters:
    """Writers of objects of unfixed shape, made the first time a shape is seen: an
    expression that gives one of a few objects (a `let` of contact fields) is then written as
    if the rule file had fixed its shape. `make(key)` makes one, or None (that shape is
    written the plain way every time)."""

    _UNKNOWN: Any = object()

    def __init__(self, make: Callable[..., Any]) -> None:
        self.make = make
        self.made: dict[Hashable, Any] = {}

    def writer(self, key: Hashable, *args: Any) -> Any:
        found = self.made.get(key, self._UNKNOWN)
        if found is self._UNKNOWN:
            found = self.make(*args) if len(self.made) < MAX_SHAPES else None
            self.made[key] = found
        return found
