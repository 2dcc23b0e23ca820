"""A JSON writer generated from a target's static `output:` tree, as `xml_writer` is for XML:
one Python function per rule set writing a payload's fields in the order the rule file gives
them, straight to text.

`payload_json` copies the payload into JSON-ready values and hands the copy to `json.dumps`;
here the keys the rule file fixes are written out once, at compile time, as text, and each
value is written by its type in place (texts by the json module's own C encoder). The text is
byte for byte what `payload_json` writes (tests/engine/test_engine_json_writer.py): a None
field is left out, a Decimal is exact text ("12.50"), json.dumps' separators.

`compile_json_writer(spec)` returns `write(body) -> (text, suspect)`, where `suspect` tells
that a value of unfixed shape holds an element name not yet known to be one XML can have (for
an XML target written as JSON: the caller then looks the payload over with `payload_problem`),
or None when the tree cannot be generated (a key that is no text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .load import LocatedDict, LocatedList
from .render import _json_default, _json_ready, element_name, json_string, payload_json
from .writer_generation import NotStatic, ShapeWriters, WriterGenerator, any_values
from .xml_writer import xml_plain

JsonWriter = Callable[[dict[str, Any]], tuple[str, bool]]


def _any(value: Any, suspects: list[Any]) -> str:
    """A value of unfixed shape, as `payload_json` writes it (its texts are looked at in the
    written text: `json_cannot_carry_xml`); an object through a writer of its keys."""
    if type(value) is dict:
        keys = tuple(value)
        writer = _SHAPES.writer(keys, keys)
        if writer is not None:
            return writer(value, suspects)  # type: ignore[no-any-return]
    if not xml_plain(value, texts=False):
        suspects.append(value)
    return _encode(_json_ready(value))


def _shape_writer(keys: tuple[Any, ...]) -> Any:
    """A writer of objects of these keys, each value looked at by its type, or None when a
    key is no name an XML element may have (such an object is looked over each time)."""
    if not all(element_name(key) for key in keys):
        return None
    generator = _Generator()
    lines = ["def write(b, s):", "    p = []"]
    generator.fields(any_values(keys), "b", "p", lines, "    ")
    return generator.run([*lines, "    return '{' + ', '.join(p) + '}'"], "<json shape>")


_SHAPES = ShapeWriters(_shape_writer)


# json.dumps(…, ensure_ascii=False, default=_json_default), its encoder made once
_encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


def _formatted(before: str, field: str, after: str) -> str:
    """An f-string's source: `before`, the replacement field `field`, `after`."""

    def literal(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    return "f" + repr(literal(before) + "{" + field + "}" + literal(after))


class _Generator(WriterGenerator):
    def __init__(self) -> None:
        super().__init__({"_enc": json_string, "_x": _any})

    def fields(self, spec: LocatedDict, obj: str, parts: str, lines: list[str], ind: str) -> None:
        """Code appending `"key": value` to the list `parts` for each field of `obj`."""
        for name, child in spec.items():
            if not isinstance(name, str):
                raise NotStatic
            key = json.dumps(name, ensure_ascii=False) + ": "
            with self.at(name):
                self.field(key, child, f"{obj}[{name!r}]", parts, lines, ind)

    def field(
        self, key: str, spec: Any, value: str, parts: str, lines: list[str], ind: str
    ) -> None:
        add = f"{parts}.append"
        if self.written_as_text(spec):
            if spec is not None:
                text = json.dumps(_json_ready(spec), ensure_ascii=False, default=_json_default)
                lines.append(f"{ind}{add}({key + text!r})")
            return
        if isinstance(spec, LocatedDict):
            var, inner = self.fresh("o"), self.fresh("p")
            lines.append(f"{ind}{var} = {value}")
            body = ind
            if self.in_item:
                body = ind + "    "
                lines.append(f"{ind}if {self.shape_check(var, spec)}:")
                lines.append(f"{body}{add}({key!r} + _x({var}, s))")
                lines.append(f"{ind}else:")
            lines.append(f"{body}{inner} = []")
            self.fields(spec, var, inner, lines, body)
            lines.append(f"{body}{add}({key + '{'!r} + ', '.join({inner}) + '}}')")
            return
        if isinstance(spec, LocatedList):
            self.sequence(key, spec, value, parts, lines, ind)
            return
        var, kind = self.fresh("v"), self.fresh("t")
        amount = _formatted(key + '"', self.amount_field(var), '"')  # a Decimal as exact text
        number = _formatted(key, var, "")
        lines += [
            f"{ind}{var} = {value}",
            f"{ind}{kind} = _type({var})",
            f"{ind}if {kind} is _str:",
            f"{ind}    {add}({key!r} + _enc({var}))",
            f"{ind}elif {kind} is Decimal:",
            f"{ind}    {add}({amount})",
            f"{ind}elif {kind} is _bool:",
            f"{ind}    {add}({key + 'true'!r} if {var} else {key + 'false'!r})",
            f"{ind}elif {kind} is _int:",
            f"{ind}    {add}({number})",
            f"{ind}elif {var} is not None:",
            f"{ind}    {add}({key!r} + _x({var}, s))",
        ]

    def sequence(
        self, key: str, spec: LocatedList, value: str, parts: str, lines: list[str], ind: str
    ) -> None:
        """A list built by parts: each item written by its part's function when its keys are
        that part's, else as `payload_json` writes it."""

        def item_text(item: LocatedDict, obj: str, lines: list[str], ind: str) -> str:
            """The lines writing `item`'s fields; returns the expression of its text."""
            fields = self.fresh("p")
            lines.append(f"{ind}{fields} = []")
            self.fields(item, obj, fields, lines, ind)
            return f"'{{' + ', '.join({fields}) + '}}'"

        def item_function(function: str, item: LocatedDict) -> list[str]:
            body = [f"def {function}(b, s):"]
            text = item_text(item, "b", body, "    ")
            return [*body, f"    return {text}"]

        items, item_var = self.fresh("q"), self.fresh("i")
        lines += [f"{ind}{items} = []", f"{ind}for {item_var} in {value}:"]
        single = self.single_item(spec)
        if single is not None:  # every item is of the one shape its parts build: in place
            lines.append(
                f"{ind}    if _type({item_var}) is _dict and _len({item_var}) == {len(single)}:"
            )
            with self.writing_item(spec, single):
                text = item_text(single, item_var, lines, ind + "        ")
            lines += [
                f"{ind}        {items}.append({text})",
                f"{ind}    else:",
                f"{ind}        {items}.append(_x({item_var}, s))",
            ]
        else:
            shapes, found = self.item_functions(spec, item_function), self.fresh("w")
            lines += [
                f"{ind}    {found} = {shapes}.get(_tuple({item_var})) "
                f"if _type({item_var}) is _dict else None",
                f"{ind}    {items}.append({found}({item_var}, s) if {found} is not None "
                f"else _x({item_var}, s))",
            ]
        lines.append(f"{ind}{parts}.append({key + '['!r} + ', '.join({items}) + ']')")


def compile_json_writer(spec: Any) -> JsonWriter | None:
    """The writer of a payload built from `spec` (the target's `output:`), or None."""
    if not isinstance(spec, LocatedDict):
        return None
    generator = _Generator()
    body: list[str] = []
    try:
        generator.fields(spec, "b", "p", body, "        ")
    except NotStatic:
        return None
    writer: JsonWriter = generator.run_writer(
        ["        s = []", "        p = []"],
        body,
        "'{' + ', '.join(p) + '}', _bool(s)",
        lambda payload: (payload_json(payload), True),  # looked over by the caller
        "<json writer>",
    )
    return writer


def json_cannot_carry_xml(text: str) -> bool:
    """Whether JSON `text` may hold a character XML cannot carry. JSON writes every control
    character escaped, so a backslash is a reason to look closer (a quote or a newline gives
    one too: then the payload is looked over and found fine); what else XML cannot carry (a
    lone surrogate, U+FFFE, U+FFFF) lies outside ASCII.

    >>> json_cannot_carry_xml(json.dumps("bell\\x07")), json_cannot_carry_xml('{"a": "thé"}')
    (True, False)
    """
    if "\\" in text:
        return True
    if text.isascii():  # known without reading the text
        return False
    if "\ufffe" in text or "\uffff" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True  # a lone surrogate
    return False
