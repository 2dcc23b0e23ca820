"""Write payloads out: XML documents (Yuki) and JSON (Factuursturen, the canonical order).

Values are typed in memory (Decimal, bool, None); here they become text exactly once. In XML an
element whose value is None or "" is left out (Yuki: "empty optional elements are best
omitted"); a list repeats its element; Decimals never use exponent notation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from .expressions import to_text

_PADS = ["  " * depth for depth in range(16)]


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
        out.append(f"{pad}<{name}>{value:f}</{name}>")
        return
    if value is None:
        return
    if isinstance(value, Mapping):
        out.append(f"{pad}<{name}>")
        inner = _PADS[depth + 1] if depth < 15 else "  " * (depth + 1)
        for key, child in value.items():
            child_kind = type(child)
            if child_kind is str:
                if child:
                    out.append(f"{inner}<{key}>{_escape(child)}</{key}>")
            elif child_kind is Decimal:
                out.append(f"{inner}<{key}>{child:f}</{key}>")
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
            out.append(f"    <!-- {comment.replace('--', '- -')} -->")
        for key, child in body.items():
            xml_element(key, child, out, 2)
        out.append(f"  </{self.item}>")
        return "\n".join(out) + "\n"

    def end(self) -> str:
        return f"</{self.root}>\n" if self.started else ""


def plain(value: Any) -> Any:
    """JSON-ready data: Decimals as exact strings, nested containers converted."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [plain(child) for child in value]
    return value


def without_empty(value: Any) -> Any:
    """A payload as an API takes it: fields that are None are left out, as in XML."""
    if isinstance(value, Mapping):
        return {key: without_empty(child) for key, child in value.items() if child is not None}
    if isinstance(value, list | tuple):
        return [without_empty(child) for child in value]
    return value


def json_text(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(plain(value), ensure_ascii=False, indent=indent)
