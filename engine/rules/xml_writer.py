"""A writer generated from a target's static element tree: one Python function per rule set
that writes a payload's elements in the order the rule file gives them.

`render.xml_element` walks any value and dispatches on its type at every level; here the
shape the rule file fixes is written out once, at compile time: literals become their text,
objects written in the rule file become their tags, list items whose keys match a part's
`item:` get that part's own function. Only values whose shape the rule file does not fix (an
expression that gives an object, say) go through `xml_element`. The text is byte for byte
what `xml_element` writes (tests/engine/test_engine_xml_writer.py).

`compile_body_writer(spec)` returns `write(body) -> (text, suspect)`, where `suspect` tells
that a text is not printable or a value of unfixed shape has an element name not yet known
valid — it may hold something XML cannot carry: the caller then looks with `payload_problem`
and names it —, or None when the tree cannot be generated (a field name that is no XML name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..library.money import amount_text
from .disk_cache import compiled
from .expressions import is_literal
from .load import LocatedDict, LocatedList
from .render import _NAMES_SEEN, _XML_NAME, escape, xml_element

BodyWriter = Callable[[dict[str, Any]], tuple[str, bool]]


def _pad(depth: int) -> str:
    return "  " * depth


class _Generator:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "__builtins__": {},
            "_escape_all": escape,
            "_amount": amount_text,
            "_x": _generic,
            "Decimal": Decimal,
            "_str": str,
            "_bool": bool,
            "_int": int,
            "_dict": dict,
            "_type": type,
            "_tuple": tuple,
        }
        self.counter = 0
        self.functions: list[str] = []
        self.in_item = False  # writing a list part's item (whose shape is checked)
        # The other parts' items of the keys of the item being written (its function writes
        # theirs too), and the field path being written within it.
        self.sharing: list[LocatedDict] = []
        self.path: list[str] = []

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def fields(self, spec: LocatedDict, obj: str, depth: int, lines: list[str], ind: str) -> None:
        """Code writing each field of the object `obj` (built from `spec`) at `depth`."""
        for name, child in spec.items():
            if (
                not isinstance(name, str)
                or not _XML_NAME.match(name)
                or name.lower().startswith("xml")
            ):
                raise _NotStatic
            self.path.append(name)
            self.field(name, child, f"{obj}[{name!r}]", depth, lines, ind)
            self.path.pop()

    def field(
        self, name: str, spec: Any, value: str, depth: int, lines: list[str], ind: str
    ) -> None:
        pad = _pad(depth)
        # In a list part's item a literal is read, not assumed, unless every other part's
        # item of the same keys (written by this part's function) has it too.
        certain = not self.in_item or same_literal(spec, self.path, self.sharing)
        if is_literal(spec) and certain and _printable(spec):
            out: list[str] = []
            xml_element(name, spec, out, depth)
            for line in out:
                lines.append(f"{ind}_a({line!r})")
            return
        if isinstance(spec, LocatedDict):
            var = self.fresh("o")
            lines.append(f"{ind}{var} = {value}")
            inner = ind
            if self.in_item:  # two parts' items may share their top keys: check the shape
                inner = ind + "    "
                lines.append(
                    f"{ind}if _type({var}) is not _dict or _tuple({var}) != {tuple(spec)!r}:"
                )
                lines.append(f"{inner}g = _x({name!r}, {var}, out, {depth}) or g")
                lines.append(f"{ind}else:")
            lines.append(f"{inner}_a({pad + '<' + name + '>'!r})")
            self.fields(spec, var, depth + 1, lines, inner)
            lines.append(f"{inner}_a({pad + '</' + name + '>'!r})")
            return
        if isinstance(spec, LocatedList):
            self.sequence(name, spec, value, depth, lines, ind)
            return
        var = self.fresh("v")
        kind = self.fresh("t")
        open_, close = f"{pad}<{name}>", f"</{name}>"  # an XML name: no braces, no quotes

        def written(text: str) -> str:  # the element around `text`, an f-string's field
            return f"_a(f'{open_}{{{text}}}{close}')"

        lines += [
            f"{ind}{var} = {value}",
            f"{ind}{kind} = _type({var})",
            f"{ind}if {kind} is _str:",
            f"{ind}    if {var}:",
            # what XML cannot carry is never printable (a newline or a no-break space is not
            # either: then the payload is looked over and found fine)
            f"{ind}        if not {var}.isprintable():",
            f"{ind}            g = True",
            # the check `_escape` makes, in place: most texts need no escaping
            f"{ind}        if '&' in {var} or '<' in {var} or '>' in {var}:",
            f"{ind}            {var} = _escape_all({var})",
            f"{ind}        {written(var)}",
            f"{ind}elif {kind} is Decimal:",
            f"{ind}    {written(f'_amount({var})')}",
            f"{ind}elif {kind} is _bool:",
            f"{ind}    _a({open_!r} + ('true' if {var} else 'false') + {close!r})",
            f"{ind}elif {kind} is _int:",
            f"{ind}    {written(var)}",
            f"{ind}elif {var} is not None:",
            f"{ind}    g = _x({name!r}, {var}, out, {depth}) or g",
        ]

    def sequence(
        self, name: str, spec: LocatedList, value: str, depth: int, lines: list[str], ind: str
    ) -> None:
        """A list built by parts: each item written by its part's function when its keys are
        that part's, else by `xml_element`."""
        table: dict[tuple[str, ...], str] = {}
        for part in spec:
            item = part.get("item") if isinstance(part, LocatedDict) else None
            if isinstance(item, LocatedDict):
                keys = tuple(item)
                if keys in table:
                    continue  # the first part of these keys serves both (shapes checked)
                function = self.fresh("_item")
                body: list[str] = [f"def {function}(b, out, _a):", "    g = False"]
                body.append(f"    _a({_pad(depth) + '<' + name + '>'!r})")
                outer = self.in_item, self.sharing, self.path
                self.in_item, self.sharing, self.path = True, sharing_items(spec, item), []
                self.fields(item, "b", depth + 1, body, "    ")
                self.in_item, self.sharing, self.path = outer
                body.append(f"    _a({_pad(depth) + '</' + name + '>'!r})")
                body.append("    return g")
                self.functions.append("\n".join(body))
                table[keys] = function
        shapes = self.fresh("_shapes")
        self.namespace[shapes] = table  # filled with the functions once they exist
        item_var, found = self.fresh("i"), self.fresh("w")
        lines += [
            f"{ind}for {item_var} in {value}:",
            f"{ind}    {found} = {shapes}.get(_tuple({item_var})) "
            f"if _type({item_var}) is _dict else None",
            f"{ind}    if {found} is not None:",
            f"{ind}        g = {found}({item_var}, out, _a) or g",
            f"{ind}    else:",
            f"{ind}        g = _x({name!r}, {item_var}, out, {depth}) or g",
        ]


def sharing_items(parts: LocatedList, item: LocatedDict) -> list[LocatedDict]:
    """The items of the other parts of `parts` with `item`'s keys."""
    return [
        part["item"]
        for part in parts
        if isinstance(part, LocatedDict)
        and isinstance(part.get("item"), LocatedDict)
        and part["item"] is not item
        and tuple(part["item"]) == tuple(item)
    ]


def same_literal(spec: Any, path: list[str], others: list[LocatedDict]) -> bool:
    """Whether `spec` is a literal every one of `others` has at `path` as well."""
    for other in others:
        value: Any = other
        for name in path:
            if not isinstance(value, LocatedDict) or name not in value:
                return False
            value = value[name]
        if not is_literal(value) or type(value) is not type(spec) or value != spec:
            return False
    return is_literal(spec)


def _generic(name: str, value: Any, out: list[str], depth: int) -> bool:
    """Write a value of unfixed shape; True when its element names need a closer look.

    An object's shape (its keys, and where it is written) gets a writer of its own the first
    time it is seen, its names checked then: an expression that gives one of a few objects (a
    `let` of contact fields) is then written as if the rule file had fixed its shape."""
    if type(value) is dict:
        key = (name, depth, tuple(value))
        writer = _SHAPES.get(key, _UNKNOWN)
        if writer is _UNKNOWN:
            writer = _shape_writer(name, value, depth) if len(_SHAPES) < MAX_SHAPES else None
            _SHAPES[key] = writer
        if writer is not None:
            return bool(writer(value, out, out.append))
    xml_element(name, value, out, depth)
    return not xml_plain(value)


MAX_SHAPES = 512  # object shapes remembered (a few per target in practice)
_UNKNOWN: Any = object()
_SHAPES: dict[tuple[str, int, tuple[Any, ...]], Any] = {}


def _shape_writer(name: str, value: dict[str, Any], depth: int) -> Any:
    """A writer of objects with `value`'s keys as element `name` at `depth` (each child's
    type is still looked at; nested objects go through `_generic`), or None when a key is no
    name an XML element can have."""
    spec = LocatedDict({key: "{{ value }}" for key in value})
    generator = _Generator()
    open_, close = _pad(depth) + "<" + name + ">", _pad(depth) + "</" + name + ">"
    lines = ["def write(b, out, _a):", "    g = False", f"    _a({open_!r})"]
    try:
        generator.fields(spec, "b", depth + 1, lines, "    ")
    except _NotStatic:
        return None
    lines += [f"    _a({close!r})", "    return g"]
    namespace = generator.namespace
    exec(compile("\n".join(lines) + "\n", "<xml shape>", "exec"), namespace)  # noqa: S102
    return namespace["write"]


def _printable(value: Any) -> bool:
    """A literal no reader needs to look at closer: not a text, or one that is printable."""
    return type(value) is not str or value.isprintable()


def xml_plain(value: Any, depth: int = 0, *, texts: bool = True) -> bool:
    """Whether every element name in `value` is one already found valid and (`texts`) every
    text in it is printable; False sends the payload to `payload_problem`."""
    if type(value) is str:
        return not texts or value.isprintable()
    if type(value) is dict:
        if depth > 64 or not _NAMES_SEEN.issuperset(value):
            return False
        children: Any = value.values()
    elif type(value) is list:
        children = value
    else:
        return not isinstance(value, Mapping | list | tuple | str)
    return all(xml_plain(child, depth + 1, texts=texts) for child in children)


class _NotStatic(Exception):
    """The element tree cannot be written out ahead (a field name that is no XML name)."""


def compile_body_writer(spec: Any, depth: int = 2) -> BodyWriter | None:
    """The writer of a payload built from `spec` (the target's `output:`), or None."""
    if not isinstance(spec, LocatedDict):
        return None
    generator = _Generator()
    lines = ["def write(b):", "    out = []", "    _a = out.append", "    g = False"]
    try:
        generator.fields(spec, "b", depth, lines, "    ")
    except _NotStatic:
        return None
    lines.append("    return '\\n'.join(out), g")
    source = "\n\n".join([*generator.functions, "\n".join(lines)]) + "\n"
    namespace = generator.namespace
    exec(compiled(source, "<xml writer>"), namespace)  # noqa: S102 — built from names
    for key, table in list(namespace.items()):
        if key.startswith("_shapes"):
            namespace[key] = {keys: namespace[name] for keys, name in table.items()}
    writer: BodyWriter = namespace["write"]
    return writer
