"""Write payloads out: XML documents (Yuki) and JSON (Factuursturen, the canonical order).

Values are typed in memory (Decimal, bool, None); here they become text exactly once. In XML an
element whose value is None or "" is left out (Yuki: "empty optional elements are best
omitted"); a list repeats its element; Decimals never use exponent notation.
An element may carry a namespace prefix (`cbc:ID`); an object's `@name` keys are attributes of
its element and `#text` its text (UBL: `{"@currencyID": "EUR", "#text": 12.50}`), and such an
element with neither text nor child elements is left out too.

`payload_problem` says what in a payload its format cannot carry (XML 1.0: control characters,
U+FFFE/U+FFFF, invalid element names; any format: lone surrogates), naming the field, so the
order fails alone before it is written or batched. A comment never carries `--`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..library.money import amount_text
from .expressions import to_text

_PADS = ["  " * depth for depth in range(16)]
# What XML 1.0 cannot carry (its Char production), and what no UTF-8 text can: lone surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_TEXT = re.compile("[\ud800-\udfff]")
# The same test over a whole written payload, on its UTF-8 bytes (a regex search costs ~10 ns a
# character; this ~1): lone surrogates do not encode; in UTF-8 a byte below 0x20 is always that
# control character; U+FFFE and U+FFFF are EF BF BE and EF BF BF.
_ALL_BUT_CONTROL = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0D))


def cannot_carry(text: str, *, xml: bool) -> bool:
    """Whether `text` holds a character the format cannot carry (see `_NOT_XML`, `_NOT_TEXT`).

    >>> cannot_carry("tea & <cake>", xml=True), cannot_carry("tea\\x00", xml=True)
    (False, True)
    >>> cannot_carry("tea\\x00", xml=False), cannot_carry("\\udc00", xml=False)
    (False, True)
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True  # a lone surrogate
    if not xml:
        return False
    if data.translate(None, _ALL_BUT_CONTROL):
        return True
    return not text.isascii() and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*\Z")


def element_name(name: object) -> bool:
    """Whether `name` is a name an XML element can have (without prefix; not `xml…`)."""
    return (
        isinstance(name, str) and bool(_XML_NAME.match(name)) and not name.lower().startswith("xml")
    )


# A payload's key: an element name with an optional prefix, an `@attribute`, or `#text`.
_XML_KEY = re.compile(r"@?(?:[A-Za-z_][A-Za-z0-9._-]*:)?[A-Za-z_][A-Za-z0-9._-]*\Z|#text\Z")
TEXT_KEY = "#text"
_NAMES_SEEN: set[str] = set()  # element names already found valid (the same few every order)


def payload_problem(body: Any, *, xml: bool) -> tuple[str, str] | None:
    """(field, what is wrong) for the first value of `body` the format cannot carry, or None.

    >>> payload_problem({"Lines": [{"Description": "tea\\x00"}]}, xml=True)
    ('Lines[0].Description', 'contains a control character (U+0000) that XML cannot carry')
    >>> payload_problem({"Description": "tea\\x00"}, xml=False) is None
    True
    """
    pattern = _NOT_XML if xml else _NOT_TEXT
    if _clean(body, pattern.search, xml):
        return None  # the common case: one quick pass, no field names built
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack:
        value, path = stack.pop()
        kind = type(value)
        if kind is str:
            found = pattern.search(value)
            if found is not None:
                return path, _character_problem(found.group(), xml)
        elif isinstance(value, Mapping):
            for key, child in value.items():
                name = key if type(key) is str else str(key)
                field = f"{path}.{name}" if path else name
                if xml and name not in _NAMES_SEEN:
                    if not _XML_KEY.match(name) or name.lower().startswith("xml"):
                        return field, f"{name!r} is not a name an XML element can have"
                    if len(_NAMES_SEEN) < 10_000:
                        _NAMES_SEEN.add(name)
                stack.append((child, field))
        elif isinstance(value, list | tuple):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
    return None


def _clean(value: Any, search: Any, xml: bool, depth: int = 0) -> bool:
    """Whether nothing in `value` needs reporting (element names all seen valid before)."""
    kind = type(value)
    if kind is dict:
        if (xml and not _NAMES_SEEN.issuperset(value)) or depth > 64:
            return False
        children: Any = value.values()
    elif kind is list:
        children = value
    elif kind is str:
        return search(value) is None
    else:
        return not isinstance(value, Mapping | list | tuple)
    for child in children:
        child_kind = type(child)
        if child_kind is str:
            if search(child) is not None:
                return False
        elif (child_kind is dict or child_kind is list or not _scalar(child_kind)) and not _clean(
            child, search, xml, depth + 1
        ):
            return False
    return True


def _scalar(kind: type) -> bool:
    return kind is Decimal or kind is int or kind is bool or kind is type(None)


def _character_problem(char: str, xml: bool) -> str:
    code = f"U+{ord(char):04X}"
    if 0xD800 <= ord(char) <= 0xDFFF:
        kind = "a lone surrogate"
    elif ord(char) < 0x20:
        kind = "a control character"
    else:
        kind = "the non-character"
    return f"contains {kind} ({code}) that {'XML' if xml else 'UTF-8 text'} cannot carry"


def comment_text(text: str) -> str:
    """Text safe inside `<!-- … -->`: no `--`, no trailing `-`, nothing XML cannot carry."""
    if text.isascii() and text.isprintable() and "--" not in text and text[-1:] != "-":
        return text  # the common case, an order number and the rule sets' names
    text = _NOT_XML.sub("?", text)
    while "--" in text:
        text = text.replace("--", "- -")
    return text + " " if text.endswith("-") else text


def escape(text: str, entities: Mapping[str, str] | None = None) -> str:
    """`&`, `<` and `>` (and any of `entities`) as XML entities: xml.sax.saxutils.escape,
    without importing urllib.request, email and http with it."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for character, entity in (entities or {}).items():
        text = text.replace(character, entity)
    return text


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return escape(text)
    return text


def xml_element(name: str, value: Any, out: list[str], depth: int = 0) -> None:
    """Append `value` as element `name`, indented two spaces per level of `depth`."""
    # Text and amounts first: this runs for every field of every payload.
    kind = type(value)
    pad = _PADS[depth] if depth < 16 else "  " * depth
    if kind is str:
        if value:
            out.append(f"{pad}<{name}>{_escape(value)}</{name}>")
        return
    if kind is Decimal:  # to_text's own format; digits, sign and point need no escaping
        out.append(f"{pad}<{name}>{amount_text(value)}</{name}>")
        return
    if value is None:
        return
    if isinstance(value, Mapping):
        if TEXT_KEY in value or any(key[:1] == "@" for key in value):
            _attributed_element(name, value, out, depth)
            return
        out.append(f"{pad}<{name}>")
        inner = _PADS[depth + 1] if depth < 15 else "  " * (depth + 1)
        for key, child in value.items():
            child_kind = type(child)
            if child_kind is str:
                if child:
                    out.append(f"{inner}<{key}>{_escape(child)}</{key}>")
            elif child_kind is Decimal:
                out.append(f"{inner}<{key}>{amount_text(child)}</{key}>")
            elif child is not None:
                xml_element(key, child, out, depth + 1)
        out.append(f"{pad}</{name}>")
    elif isinstance(value, list):
        for item in value:
            xml_element(name, item, out, depth)
    else:
        text = to_text(value)
        if text:
            out.append(f"{pad}<{name}>{_escape(text)}</{name}>")


def _attributed_element(name: str, value: Mapping[str, Any], out: list[str], depth: int) -> None:
    """`value` as element `name` with its `@` keys as attributes and `#text` as text; left
    out when it has neither text nor child elements (nothing but attributes is no value)."""
    pad = _PADS[depth] if depth < 16 else "  " * depth
    attributes = "".join(
        f' {key[1:]}="{_attribute(child)}"'
        for key, child in value.items()
        if key[:1] == "@" and child is not None and child != ""
    )
    children: list[str] = []
    for key, child in value.items():
        if key[:1] != "@" and key != TEXT_KEY:
            xml_element(key, child, children, depth + 1)
    text = to_text(value.get(TEXT_KEY))
    if children:
        out.append(f"{pad}<{name}{attributes}>")
        out.extend(children)
        out.append(f"{pad}</{name}>")
    elif text:
        out.append(f"{pad}<{name}{attributes}>{_escape(text)}</{name}>")


def _attribute(value: Any) -> str:
    return escape(to_text(value), {'"': "&quot;"})


def xml_document(body: Mapping[str, Any], comment: str = "") -> str:
    """One payload as a whole XML document: its top element (UBL: `Invoice`, with its `@xmlns`
    declarations) is the document element; `comment` goes before it."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    if comment:
        out.append(f"<!-- {comment_text(comment)} -->")
    for key, child in body.items():
        xml_element(key, child, out, 0)
    return "\n".join(out) + "\n"


class XmlDocumentWriter:
    """Writes one document holding an `item` element per payload, element by element, so a
    large batch is streamed and no payload is kept once written."""

    def __init__(self, root: str, namespace: str, item: str) -> None:
        self.root, self.namespace, self.item = root, namespace, item
        self.started = False

    def element(self, body: Mapping[str, Any], comment: str = "") -> str:
        out: list[str] = []
        if not self.started:
            out.append('<?xml version="1.0" encoding="utf-8"?>')
            out.append(f'<{self.root} xmlns="{escape(self.namespace)}">')
            self.started = True
        out.append(f"  <{self.item}>")
        if comment:
            out.append(f"    <!-- {comment_text(comment)} -->")
        for key, child in body.items():
            xml_element(key, child, out, 2)
        out.append(f"  </{self.item}>")
        return "\n".join(out) + "\n"

    def element_text(self, body: str, comment: str = "") -> str:
        """`element` for a body already written (by engine/rules/xml_writer.py)."""
        head = ""
        if not self.started:
            head = (
                '<?xml version="1.0" encoding="utf-8"?>\n'
                f'<{self.root} xmlns="{escape(self.namespace)}">\n'
            )
            self.started = True
        note = f"    <!-- {comment_text(comment)} -->\n" if comment else ""
        if not body:
            return f"{head}  <{self.item}>\n{note}  </{self.item}>\n"
        return f"{head}  <{self.item}>\n{note}{body}\n  </{self.item}>\n"  # the body copied once

    def end(self) -> str:
        return f"</{self.root}>\n" if self.started else ""


def plain(value: Any) -> Any:
    """JSON-ready data: Decimals as exact strings, nested containers converted."""
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, Mapping):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [plain(child) for child in value]
    return value


def without_empty(value: Any) -> Any:
    """A payload as an API takes it: fields that are None are left out, as in XML."""
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {
            key: child if _scalar(type(child)) or type(child) is str else without_empty(child)
            for key, child in value.items()
            if child is not None
        }
    if kind is list or isinstance(value, list | tuple):
        return [
            child if _scalar(type(child)) or type(child) is str else without_empty(child)
            for child in value
        ]
    return value


def _json_default(value: Any) -> Any:
    """What json.dumps cannot write itself, as `plain` turns it: Decimals as exact text."""
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def payload_json(value: Any) -> str:
    """`json_text(without_empty(value))` in one pass: the payload is made JSON-ready (None
    fields left out, Decimals as exact text) as it is copied, so json.dumps writes it without
    calling back for each amount.

    >>> payload_json({"a": Decimal("1.50"), "b": None, "c": [None, True, {"d": Decimal("2")}]})
    '{"a": "1.50", "c": [null, true, {"d": "2"}]}'
    """
    return json.dumps(_json_ready(value), ensure_ascii=False, default=_json_default)


def _json_ready(value: Any) -> Any:
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        ready = {}
        for key, child in value.items():
            child_kind = type(child)
            if child_kind is str or child_kind is bool or child_kind is int:
                ready[key] = child
            elif child_kind is Decimal:
                ready[key] = amount_text(child)
            elif child is not None:
                ready[key] = _json_ready(child)
        return ready
    if kind is list or isinstance(value, list | tuple):
        return [
            child
            if type(child) is str
            else amount_text(child)
            if type(child) is Decimal
            else _json_ready(child)
            for child in value
        ]
    if kind is Decimal:
        return amount_text(value)
    return value


def json_ready(value: Any) -> Any:
    """`plain(without_empty(value))` in one pass: what `payload_json` writes."""
    return _json_ready(value)


# A text as json.dumps(…, ensure_ascii=False) writes it, quotes and all (the json module's C
# encoder, without building a JSONEncoder per call).
json_string: Callable[[str], str] = json.encoder.encode_basestring


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON text of a payload: `plain(value)` written, without building it first."""
    return json.dumps(value, ensure_ascii=False, indent=indent, default=_json_default)
