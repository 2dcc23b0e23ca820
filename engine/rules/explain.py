"""`--explain`: which rule (file:line) made each field of a payload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..mapping import Pair, Payload
from .expressions import to_text
from .render import plain

_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?$")


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, f"{path}[{index}]")
    else:
        yield path, value


def rule_key(path: str, parts: dict[str, list[int]]) -> str:
    """`InvoiceLines.InvoiceLine[3].Product` → `InvoiceLines.InvoiceLine[#1].Product`: the
    element's index replaced by the list part (rule) that made it."""
    key = ""
    for step in path.split("."):
        match = _STEP.match(step)
        name = match["name"] if match else step
        key = f"{key}.{name}" if key else name
        if match and match["index"] is not None:
            made_by = parts.get(key, [])
            index = int(match["index"])
            key = f"{key}[#{made_by[index] if index < len(made_by) else 0}]"
    return key


def explain_payload(pair: Pair, payload: Payload) -> str:
    """One line per field: path = value  ← file:line  rule text."""
    rules = pair.target.rules.explain
    parts: dict[str, list[int]] = {}
    pair.target.apply({"order": payload.canonical}, payload.order_id, parts)
    lines = [f"order {payload.order_id} ({payload.rules}):"]
    for path, value in leaves(plain(payload.body)):
        if value is None or value == "":
            continue
        key = rule_key(path, parts)
        while key and key not in rules:
            key = key.rpartition(".")[0]
        place, text = rules.get(key, (None, ""))
        where = f"{place}  {' '.join(text.split())[:70]}" if place else "(literal)"
        lines.append(f"  {path} = {to_text(value)}  ← {where}")
    return "\n".join(lines)
