"""A writer generated from a target's static element tree: one Python function per rule set
that writes a payload's elements in the order the rule file gives them.

`render.xml_element` walks any value and dispatches on its type at every level; here the
shape the rule file fixes is written out once, at compile time: literals become their text,
objects written in the rule file become their tags, list items whose keys match a part's
`item:` get that part's own function. Only values whose shape the rule file does not fix (an
expression that gives an object, say) go through `xml_element`. The text is byte for byte
what `xml_element` writes (tests/engine/test_engine_fast_paths.py).

`compile_body_writer(spec)` returns `write(body) -> (text, suspect)`, where `suspect` tells
that a text is not printable or a value of unfixed shape has an element name not yet known
valid — it may hold something XML cannot carry: the caller then looks with `payload_problem`
and names it —, or None when the tree cannot be generated (a field name that is no XML name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .load import LocatedDict, LocatedList
from .render import _NAMES_SEEN, element_name, escape, xml_element
from .writer_generation import NotStatic, ShapeWriters, WriterGenerator, any_values, let_shapes

BodyWriter = Callable[[dict[str, Any]], tuple[str, bool]]


def _pad(depth: int) -> str:
    return "  " * depth


class _Generator(WriterGenerator):
    def __init__(self, lets: LocatedDict | None = None) -> None:
        super().__init__({"_escape_all": escape, "_x": _generic})
        self.lets = lets if lets is not None else LocatedDict()

    def fields(self, spec: LocatedDict, obj: str, depth: int, lines: list[str], ind: str) -> None:
        """Code writing each field of the object `obj` (built from `spec`) at `depth`."""
        for name, child in spec.items():
            if not element_name(name):
                raise NotStatic
            with self.at(name):
                self.field(name, child, f"{obj}[{name!r}]", depth, lines, ind)

    def field(
        self, name: str, spec: Any, value: str, depth: int, lines: list[str], ind: str
    ) -> None:
        pad = _pad(depth)
        if self.written_as_text(spec) and _printable(spec):
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
                lines.append(f"{ind}if {self.shape_check(var, spec)}:")
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

        lines.append(f"{ind}{var} = {value}")
        # an expression picking one of the `let`s written as objects: each of their shapes
        # gets its writer, told apart by size (else `_generic` would look the shape up)
        shapes = self.let_shapes(spec, name, depth)
        for number, (size, shape_writer) in enumerate(shapes):
            writer = self.fresh("_let_shape")
            self.namespace[writer] = shape_writer
            test = f"_type({var}) is _dict and _len({var}) == {size}"
            lines.append(f"{ind}{'el' if number else ''}if {test}:")
            lines.append(f"{ind}    g = {writer}({var}, out, _a) or g")
        if shapes:  # anything else: by its type, as below
            lines.append(f"{ind}else:")
            ind += "    "
        lines += [
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
            f"{ind}    {written(self.amount_field(var))}",
            f"{ind}elif {kind} is _bool:",
            f"{ind}    _a({open_!r} + ('true' if {var} else 'false') + {close!r})",
            f"{ind}elif {kind} is _int:",
            f"{ind}    {written(var)}",
            f"{ind}elif {var} is not None:",
            f"{ind}    g = _x({name!r}, {var}, out, {depth}) or g",
        ]

    def let_shapes(self, spec: Any, name: str, depth: int) -> list[tuple[int, Any]]:
        """The size and the shape writer (`_generic`'s own, `_SHAPES`) of each `let` object a
        top-level field's expression picks among (`let_shapes`), when their sizes tell them
        apart and each can be written ahead; else none."""
        shapes = None if self.in_item else let_shapes(spec, self.lets)
        if not shapes or len({len(shape) for shape in shapes}) != len(shapes):
            return []
        writers = [
            _SHAPES.writer((name, depth, keys), name, keys, depth) for keys in map(tuple, shapes)
        ]
        if any(writer is None for writer in writers):
            return []  # a key no XML element can have
        return [(len(shape), writer) for shape, writer in zip(shapes, writers, strict=True)]

    def sequence(
        self, name: str, spec: LocatedList, value: str, depth: int, lines: list[str], ind: str
    ) -> None:
        """A list built by parts: each item written by its part's function when its keys are
        that part's, else by `xml_element`."""

        def item_lines(item: LocatedDict, obj: str, lines: list[str], ind: str) -> None:
            lines.append(f"{ind}_a({_pad(depth) + '<' + name + '>'!r})")
            self.fields(item, obj, depth + 1, lines, ind)
            lines.append(f"{ind}_a({_pad(depth) + '</' + name + '>'!r})")

        def item_function(function: str, item: LocatedDict) -> list[str]:
            body = [f"def {function}(b, out, _a):", "    g = False"]
            item_lines(item, "b", body, "    ")
            return [*body, "    return g"]

        item_var = self.fresh("i")
        single = self.single_item(spec)
        if single is not None:  # every item is of the one shape its parts build: in place
            lines += [
                f"{ind}for {item_var} in {value}:",
                f"{ind}    if _type({item_var}) is _dict and _len({item_var}) == {len(single)}:",
            ]
            with self.writing_item(spec, single):
                item_lines(single, item_var, lines, ind + "        ")
            lines += [
                f"{ind}    else:",
                f"{ind}        g = _x({name!r}, {item_var}, out, {depth}) or g",
            ]
            return
        shapes, found = self.item_functions(spec, item_function), self.fresh("w")
        lines += [
            f"{ind}for {item_var} in {value}:",
            f"{ind}    {found} = {shapes}.get(_tuple({item_var})) "
            f"if _type({item_var}) is _dict else None",
            f"{ind}    if {found} is not None:",
            f"{ind}        g = {found}({item_var}, out, _a) or g",
            f"{ind}    else:",
            f"{ind}        g = _x({name!r}, {item_var}, out, {depth}) or g",
        ]


def _generic(name: str, value: Any, out: list[str], depth: int) -> bool:
    """Write a value of unfixed shape; True when its element names need a closer look.

    An object's shape (its keys, and where it is written) gets a writer of its own the first
    time it is seen, its names checked then: an expression that gives one of a few objects (a
    `let` of contact fields) is then written as if the rule file had fixed its shape."""
    if type(value) is dict:
        keys = tuple(value)
        writer = _SHAPES.writer((name, depth, keys), name, keys, depth)
        if writer is not None:
            return bool(writer(value, out, out.append))
    xml_element(name, value, out, depth)
    return not xml_plain(value)


def _shape_writer(name: str, keys: tuple[Any, ...], depth: int) -> Any:
    """A writer of objects of these keys as element `name` at `depth` (each child's type is
    still looked at; nested objects go through `_generic`), or None when a key is no name an
    XML element can have."""
    generator = _Generator()
    open_, close = _pad(depth) + "<" + name + ">", _pad(depth) + "</" + name + ">"
    lines = ["def write(b, out, _a):", "    g = False", f"    _a({open_!r})"]
    try:
        generator.fields(any_values(keys), "b", depth + 1, lines, "    ")
    except NotStatic:
        return None
    return generator.run([*lines, f"    _a({close!r})", "    return g"], "<xml shape>")


_SHAPES = ShapeWriters(_shape_writer)


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


def compile_body_writer(
    spec: Any, depth: int = 2, lets: LocatedDict | None = None
) -> BodyWriter | None:
    """The writer of a payload built from `spec` (the target's `output:`, its `lets`), or
    None."""
    if not isinstance(spec, LocatedDict):
        return None
    generator = _Generator(lets)
    head = ["        out = []", "        _a = out.append", "        g = False"]
    body: list[str] = []
    try:
        generator.fields(spec, "b", depth, body, "        ")
    except NotStatic:
        return None

    def plain_write(payload: dict[str, Any]) -> tuple[str, bool]:
        out: list[str] = []
        for name, value in payload.items():
            xml_element(name, value, out, depth)
        return "\n".join(out), True  # looked over by the caller

    writer: BodyWriter = generator.run_writer(
        head, body, "'\\n'.join(out), g", plain_write, "<xml writer>"
    )
    return writer
