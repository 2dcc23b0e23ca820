"""Moneybird's error bodies as one line a person reads.

`{"error": "<text>", "symbolic": {"<field>": "<code>"}}` (400/401/402/404), `{"error": {"<field>":
["<message>", …]}, "details": {…}}` (422), or a bare JSON string (`"Retry later"` with 429).
Field messages name the field, never its value.
"""

from __future__ import annotations

import json
from typing import Any

LIMIT = 300


def error_text(content: bytes, fallback: str) -> str:
    """The message of an error body; `fallback` (the reason phrase) when it has none."""
    try:
        body: Any = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", "replace").strip().replace("\n", " ")
        return text[:LIMIT] or fallback
    if isinstance(body, str):
        return body[:LIMIT] or fallback
    if isinstance(body, dict) and "error" in body:
        return (_error(body["error"], body.get("symbolic")) or fallback)[:LIMIT]
    return fallback


def _error(error: Any, symbolic: Any) -> str:
    if isinstance(error, str):
        codes = ", ".join(f"{field} {code}" for field, code in symbolic.items()) if isinstance(
            symbolic, dict) else ""
        return f"{error} ({codes})" if codes else error
    if isinstance(error, dict):
        parts = []
        for field, messages in error.items():
            listed = messages if isinstance(messages, list) else [messages]
            parts.append(f"{field} " + ", ".join(str(m) for m in listed))
        return "; ".join(parts)
    return ""
