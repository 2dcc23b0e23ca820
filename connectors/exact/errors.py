"""Exact Online's error bodies as one line a person reads.

The REST API answers OData-style `{"error": {"code": "", "message": {"lang": "", "value":
"Bad Request - Error in query syntax."}}}` (client-reported by several independent clients;
no captured body with provenance, reference FORMATS.md §10); the token endpoint answers
OAuth-style `{"error": "invalid_grant", "error_description": "…"}`. A 403 may carry a
`Reason` header (BlockedUser, NoDivisionAccess, …), added by the client.
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
        return (text if text and not text.startswith("<") else fallback)[:LIMIT]
    if not isinstance(body, dict):
        return fallback
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        value = message.get("value") if isinstance(message, dict) else message
        return str(value or error.get("code") or fallback)[:LIMIT]
    if isinstance(error, str):
        description = body.get("error_description")
        return (f"{error}: {description}" if description else error)[:LIMIT]
    return fallback
