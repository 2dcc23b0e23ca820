"""`--explain`: which rule (file:line) made each field of a payload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine.mapping import Pair, Payload
from engine.render import plain

_INDEX = re.compile(r"\[\d+\]")


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, f"{path}[{index}]")
    else:
        yield path, value


def explain_payload(pair: Pair, payload: Payload) -> str:
    """One line per field: path = value  ← file:line  rule text."""
    rules = pair.target.rules.explain
    lines = [f"order {payload.order_id} ({payload.rules}):"]
    for path, value in leaves(plain(payload.body)):
        if value is None or value == "":
            continue
        rule_path = _INDEX.sub("[]", path)
        while rule_path and rule_path not in rules:
            rule_path = rule_path.rpartition(".")[0]
        place, text = rules.get(rule_path, (None, ""))
        where = f"{place}  {' '.join(text.split())[:70]}" if place else "(literal)"
        lines.append(f"  {path} = {value}  ← {where}")
    return "\n".join(lines)
