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


def xml_element(name: str, value: Any, out: list[str]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, child in value.items():
            xml_element(key, child, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        for item in value:
            xml_element(name, item, out)
    else:
        out.append(f"<{name}>{escape(to_text(value))}</{name}>")


def xml_document(
    root: str, namespace: str, item: str, bodies: Iterable[tuple[Mapping[str, Any], str]]
) -> str:
    """One document holding an `item` element per (body, comment) — e.g. SalesInvoices."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', f'<{root} xmlns="{escape(namespace)}">']
    for body, comment in bodies:
        out.append(f"<{item}>")
        if comment:
            out.append(f"<!-- {comment.replace('--', '- -')} -->")
        for key, child in body.items():
            xml_element(key, child, out)
        out.append(f"</{item}>")
    out.append(f"</{root}>")
    return "\n".join(_indent(out)) + "\n"


def _indent(lines: list[str]) -> Iterable[str]:
    depth = 0
    for line in lines:
        closing = line.startswith("</")
        opening = line.startswith("<") and not closing and not line.startswith(("<?", "<!--"))
        self_contained = opening and "</" in line
        if closing:
            depth -= 1
        yield "  " * max(depth, 0) + line
        if opening and not self_contained:
            depth += 1


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
