"""Write payloads out: XML documents (Yuki) and JSON (Factuursturen, the canonical order).

Values are typed in memory (Decimal, bool, None); here they become text exactly once. In XML an
element whose value is None or "" is left out (Yuki: "empty optional elements are best
omitted"); a list repeats its element; Decimals never use exponent notation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from engine.expressions import to_text


def xml_element(name: str, value: Any, out: list[str], depth: int = 0) -> None:
    """Append `value` as element `name`, indented two spaces per level of `depth`."""
    # Text and amounts first: this runs for every field of every payload.
    kind = type(value)
    if kind is str:
        if value:
            out.append(f"{'  ' * depth}<{name}>{escape(value)}</{name}>")
        return
    if kind is Decimal:  # to_text's own format; digits, sign and point need no escaping
        out.append(f"{'  ' * depth}<{name}>{value:f}</{name}>")
        return
    if value is None or value == "":
        return
    pad = "  " * depth
    if isinstance(value, Mapping):
        out.append(f"{pad}<{name}>")
        for key, child in value.items():
            xml_element(key, child, out, depth + 1)
        out.append(f"{pad}</{name}>")
    elif isinstance(value, list):
        for item in value:
            xml_element(name, item, out, depth)
    else:
        out.append(f"{pad}<{name}>{escape(to_text(value))}</{name}>")


def xml_document(
    root: str, namespace: str, item: str, bodies: Iterable[tuple[Mapping[str, Any], str]]
) -> str:
    """One document holding an `item` element per (body, comment) — e.g. SalesInvoices."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', f'<{root} xmlns="{escape(namespace)}">']
    for body, comment in bodies:
        out.append(f"  <{item}>")
        if comment:
            out.append(f"    <!-- {comment.replace('--', '- -')} -->")
        for key, child in body.items():
            xml_element(key, child, out, 2)
        out.append(f"  </{item}>")
    out.append(f"</{root}>")
    return "\n".join(out) + "\n"


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
