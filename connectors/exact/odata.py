"""The OData v2 conventions of Exact Online's REST API, without any HTTP.

Bodies are always under `d`: a list answer is `{"d": {"results": [...], "__next": "<URL>"}}`
(sometimes a bare list under `d`), a single entity or a created one `{"d": {...}}`. Dates are
`/Date(<ms since epoch>)/`. Filter literals are quoted with `'` doubled; account Codes are
18 characters right-aligned and VAT codes 3 characters left-aligned, padded with spaces, and
filters only match with the padding (reference FORMATS.md §10). Money goes out as JSON numbers
written digit for digit from Decimals, never through a float.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from ..errors import ProtocolError

SYSTEM = "exact"
ACCOUNT_CODE_WIDTH = 18
VAT_CODE_WIDTH = 3
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def rows(document: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The records of a list answer and its `__next` URL (None on the last page)."""
    inner = _d(document)
    if isinstance(inner, list):
        return [r for r in inner if isinstance(r, dict)], None
    if isinstance(inner, dict) and isinstance(inner.get("results"), list):
        following = inner.get("__next")
        return [r for r in inner["results"] if isinstance(r, dict)], (
            str(following) if following else None)
    if isinstance(inner, dict):
        return [inner], None
    raise ProtocolError(SYSTEM, "answer has no records under 'd'")


def entity(document: Any) -> dict[str, Any]:
    """The one record of a single GET or a POST's answer."""
    inner = _d(document)
    if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], dict):
        return inner[0]
    if isinstance(inner, dict):
        results = inner.get("results")
        if isinstance(results, list) and len(results) == 1 and isinstance(results[0], dict):
            return results[0]
        return inner
    raise ProtocolError(SYSTEM, "answer has no record under 'd'")


def _d(document: Any) -> Any:
    if not isinstance(document, dict) or "d" not in document:
        raise ProtocolError(SYSTEM, "answer is not under 'd' (Atom XML instead of JSON?)")
    return document["d"]


def quoted(value: str) -> str:
    """An OData string literal."""
    return "'" + value.replace("'", "''") + "'"


def account_code(code: str) -> str:
    """An account Code as Exact keeps it: right-aligned in 18 characters."""
    return code.strip().rjust(ACCOUNT_CODE_WIDTH)


def vat_code(code: str) -> str:
    """A VAT code as Exact keeps it: left-aligned in 3 characters ("2" → "2  ")."""
    return code.strip().ljust(VAT_CODE_WIDTH)


def date_value(value: Any) -> dt.datetime | None:
    """`/Date(1351209600000)/` (UTC) as a datetime; None when absent or not such a date."""
    match = _DATE.match(str(value or ""))
    if match is None:
        return None
    return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC)


def date_text(day: dt.date | dt.datetime) -> str:
    """A date as Exact writes it in answers."""
    moment = day if isinstance(day, dt.datetime) else dt.datetime(
        day.year, day.month, day.day, tzinfo=dt.UTC)
    return f"/Date({int(moment.timestamp() * 1000)})/"


def dumps(value: Any) -> str:
    """JSON with Decimals as numbers, digit for digit."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
