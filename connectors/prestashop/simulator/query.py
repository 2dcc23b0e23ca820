"""PrestaShop's list query language — filter, date, sort, limit, display, language — and its errors.

Parsing follows `WebserviceRequest::manageFilters` and `SQLUtils::getSQLRetrieveFilter`:
`filter[f]=[v]` equals, `[a|b]` any of, `[a,b]` between (inclusive; only digits, `.`, `:`, `-` and
spaces, bounds sorted), `>[v]` / `<[v]` strict, `![a|b]` none of, `%[v]%` like, a bare `v` equals.
`date_add` / `date_upd` can only be filtered or sorted on with `date=1` (else 400, code 32 / 38).
Errors carry PrestaShop's status, code and wording.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, cmp_to_key
from typing import Any

from .resources import ResourceSpec
from .store import Table

_FILTER_KEY = re.compile(r"^filter\[(\w+)\]$")
_BRACKETS = re.compile(r"^(.*)\[(.*)\](.*)$", re.S)
_BETWEEN = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_FIELDS = ("date_add", "date_upd")
_LAST_ID = 2**63


class WebserviceError(Exception):
    """An answer PrestaShop gives as an error document: HTTP status plus (code, message) pairs."""

    def __init__(self, status: int, *errors: tuple[int, str]) -> None:
        super().__init__(errors[0][1] if errors else str(status))
        self.status = status
        self.errors = list(errors)


@dataclass(frozen=True)
class Filter:
    field: str
    kind: str  # "in", "between", "gt", "lt", "not_in", "like"
    values: tuple[str, ...]

    @cached_property
    def keys(self) -> frozenset[Decimal | str]:
        """The values as `_compare` sees them, for quick membership tests."""
        return frozenset(_key(v) for v in self.values)


@dataclass
class Query:
    filters: list[Filter] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: tuple[int, int | None] | None = None  # (offset, count)
    display: str | dict[str, list[str] | None] = "minimum"  # "minimum", "full" or chosen fields
    display_given: bool = False
    languages: tuple[str, ...] = ()
    schema: str | None = None


def parse_languages(value: str | None, available: Sequence[str]) -> tuple[str, ...]:
    """The `language` parameter: `1`, `[1|2]` or `[1,3]`; unknown ids are dropped."""
    if value is None:
        return tuple(available)
    wanted: list[str]
    if value.isdigit():
        wanted = [str(int(value))]
    elif value.startswith("[") and value.endswith("]"):
        inner = value[1:-1]
        if "|" in inner:
            wanted = inner.split("|")
        elif "," in inner:
            low, _, high = inner.partition(",")
            if not (low.isdigit() and high.isdigit()):
                raise WebserviceError(400, (80, "Language ID must be numeric"))
            wanted = [str(i) for i in range(int(low), int(high) + 1)]
        else:
            wanted = [inner]
    else:
        raise WebserviceError(400, (79, "language value is wrong"))
    if not all(w.isdigit() for w in wanted):
        raise WebserviceError(400, (80, "Language ID must be numeric"))
    chosen = tuple(str(int(w)) for w in wanted if str(int(w)) in available)
    if not chosen:
        raise WebserviceError(400, (81, "language is not available"))
    return chosen


def parse_query(
    params: Mapping[str, str], spec: ResourceSpec, languages: Sequence[str]
) -> Query:
    query = Query(languages=parse_languages(params.get("language"), languages))
    available = [f for f in spec.fields if f not in spec.i18n]
    if params.get("date"):
        available += [f for f in _DATE_FIELDS if f not in available]
    else:
        available = [f for f in available if f not in _DATE_FIELDS]

    schema = params.get("schema")
    if schema is not None:
        if schema not in ("blank", "synopsis"):
            raise WebserviceError(400, (28, (
                "Please select a schema of type 'synopsis' to get the whole schema informations "
                "(which fields are required, which kind of content...) or 'blank' to get an empty "
                "schema to fill before using POST request"
            )))
        query.schema = schema
        return query

    for key, value in params.items():
        match = _FILTER_KEY.match(key)
        if match is None or match.group(1) in ("sort", "limit"):
            continue
        name = match.group(1)
        if name not in available:
            if name in spec.i18n and value != "":
                parsed = _parse_filter(name, value)
                if parsed is not None:
                    query.filters.append(parsed)
                continue
            raise WebserviceError(400, (32, _did_you_mean("This filter does not exist", name,
                                                           available)))
        if value == "":
            raise WebserviceError(400, (33, f'The filter "{name}" is malformed.'))
        if name in spec.getters:
            raise WebserviceError(400, (34, (
                f'The field "{name}" is dynamic. It is not possible to filter GET query with '
                "this field."
            )))
        parsed = _parse_filter(name, value)
        if parsed is not None:
            query.filters.append(parsed)

    if "display" in params:
        query.display_given = True
        query.display = _parse_display(params["display"], spec)
    if "sort" in params:
        query.sort = _parse_sort(params["sort"], available, sorted(spec.i18n))
    if "limit" in params:
        query.limit = _parse_limit(params["limit"])
    return query


def _parse_filter(name: str, raw: str) -> Filter | None:
    match = _BRACKETS.match(raw)
    if match is None:
        return Filter(name, "in", (_normalise(name, raw),))
    before, inner, after = match.groups()
    if before == "%" or after == "%":
        return Filter(name, "like", (before + inner + after,))
    if before == "" and after == "":
        if inner.find("|") > 0:
            return Filter(name, "in", tuple(_normalise(name, v) for v in inner.split("|")))
        between = _BETWEEN.match(inner)
        if between:
            low, high = sorted(between.groups(), key=cmp_to_key(_compare))
            return Filter(name, "between", (_normalise(name, low), _normalise(name, high)))
        return Filter(name, "in", (_normalise(name, inner),))
    if before == ">":
        return Filter(name, "gt", (_normalise(name, inner),))
    if before == "<":
        return Filter(name, "lt", (_normalise(name, inner),))
    if before == "!":
        return Filter(name, "not_in", tuple(_normalise(name, v) for v in inner.split("|")))
    return None  # PrestaShop adds no condition for any other prefix


def _normalise(name: str, literal: str) -> str:
    """MySQL compares a DATETIME with a bare date as that date at midnight."""
    if name in _DATE_FIELDS and _DATE_ONLY.match(literal.strip()):
        return literal.strip() + " 00:00:00"
    return literal


def _parse_display(raw: str, spec: ResourceSpec) -> str | dict[str, list[str] | None]:
    if raw in ("full", "minimum"):
        return raw
    if not (raw.startswith("[") and raw.endswith("]")):
        raise WebserviceError(400, (36, (
            "The 'display' syntax is wrong. You can set 'full' or '[field_1,field_2,field_3,...]'."
            " These are available: " + ", ".join(spec.fields)
        )))
    chosen: dict[str, list[str] | None] = {}
    for part in _split_top_level(raw[1:-1]):
        name, _, rest = part.partition("[")
        name = name.strip()
        subfields = [s.strip() for s in rest.rstrip("]").split(",")] if rest else None
        association = spec.association(name)
        if subfields is None:
            ok = name in spec.fields
        else:
            ok = association is not None and all(
                s == "id" or s in association.fields for s in subfields
            )
        if not ok:
            raise WebserviceError(400, (35, (
                f'Unable to display this field "{name}". However, these are available: '
                + ", ".join(spec.fields)
            )))
        chosen[name] = subfields
    return chosen


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
        depth += (char == "[") - (char == "]")
    if current:
        parts.append(current)
    return parts


def _parse_sort(raw: str, available: list[str], i18n: list[str]) -> list[tuple[str, bool]]:
    inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    result = []
    for item in inner.split(","):
        name, sep, direction = item.rpartition("_")
        if not sep or direction.upper() not in ("ASC", "DESC"):
            raise WebserviceError(400, (37, (
                'The "sort" value has to be formed as this example: "field_ASC" or '
                "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an available "
                "field)"
            )))
        if name not in available and name not in i18n:
            raise WebserviceError(400, (38, (
                "Unable to filter by this field. However, these are available: "
                + ", ".join(available) + ", for i18n fields:" + ", ".join(i18n)
            )))
        result.append((name, direction.upper() == "DESC"))
    return result


def _parse_limit(raw: str) -> tuple[int, int | None]:
    parts = raw.split(",")
    if len(parts) > 2:
        raise WebserviceError(400, (39, (
            'The "limit" value has to be formed as this example: "5,25" or "10"'
        )))
    numbers = [_php_int(p) for p in parts]
    return (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])


def _php_int(text: str) -> int:
    match = re.match(r"\s*-?\d+", text)
    return int(match.group()) if match else 0


def _did_you_mean(label: str, wrong: str, available: Sequence[str]) -> str:
    closest = min(available, key=lambda word: levenshtein(wrong, word)) if available else ""
    full = ' The full list is: "' + '", "'.join(available) + '"' if len(available) > 1 else ""
    return f'{label}. Did you mean: "{closest}"?{full}'


def levenshtein(a: str, b: str) -> int:
    """Edit distance, for PHP's \"Did you mean\" suggestions."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# -- evaluation -------------------------------------------------------------------------------
def _key(text: str) -> Decimal | str:
    """What equality means to `_compare`: the number for numbers, else the folded text."""
    if _NUMBER.match(text):
        try:
            return Decimal(text).normalize()
        except InvalidOperation:
            pass
    return text.casefold()


def _compare(a: str, b: str) -> int:
    """MySQL-like: numbers numerically, text case-insensitively."""
    if _NUMBER.match(a) and _NUMBER.match(b):
        try:
            x, y = Decimal(a), Decimal(b)
            return (x > y) - (x < y)
        except InvalidOperation:
            pass
    x_text, y_text = a.casefold(), b.casefold()
    return (x_text > y_text) - (x_text < y_text)


def _texts(value: Any, languages: Sequence[str]) -> list[str]:
    if isinstance(value, list):
        return [str(v["value"]) for v in value if str(v.get("id")) in languages]
    return ["" if value is None else str(value)]


def _like(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.split("%"))
    return re.compile(".*".join(parts).replace("_", "."), re.S | re.I)


def matches(value: Any, flt: Filter, languages: Sequence[str]) -> bool:
    for text in _texts(value, languages):
        if flt.kind == "in" and _key(text) in flt.keys:
            return True
        if flt.kind == "not_in" and _key(text) not in flt.keys:
            return True
        if flt.kind == "between" and (
            _compare(text, flt.values[0]) >= 0 and _compare(text, flt.values[1]) <= 0
        ):
            return True
        if flt.kind == "gt" and _compare(text, flt.values[0]) > 0:
            return True
        if flt.kind == "lt" and _compare(text, flt.values[0]) < 0:
            return True
        if flt.kind == "like" and _like(flt.values[0]).fullmatch(text):
            return True
    return False


def _from_index(index: list[tuple[str, int]], flt: Filter) -> list[int] | None:
    """The ids an indexed date filter selects, in (value, id) order; None if it can't say."""
    low, high = 0, len(index)
    if flt.kind == "between":
        low = bisect.bisect_left(index, (flt.values[0], -1))
        high = bisect.bisect_right(index, (flt.values[1], _LAST_ID))
    elif flt.kind == "gt":
        low = bisect.bisect_right(index, (flt.values[0], _LAST_ID))
    elif flt.kind == "lt":
        high = bisect.bisect_left(index, (flt.values[0], -1))
    elif flt.kind == "in" and len(flt.values) == 1:
        low = bisect.bisect_left(index, (flt.values[0], -1))
        high = bisect.bisect_right(index, (flt.values[0], _LAST_ID))
    else:
        return None
    return [row_id for _, row_id in index[low:high]]


def select(table: Table, query: Query) -> list[int]:
    """The ids a list query answers with, in answer order, limit applied."""
    filters = list(query.filters)
    ids: list[int] | None = None
    order = "id"
    for flt in filters:
        if flt.field == "id" and flt.kind == "in":
            wanted = {int(v) for v in flt.values if v.strip().isdigit()}
            ids = sorted(i for i in wanted if table.exists(i))
            filters.remove(flt)
            break
    if ids is None:
        for flt in filters:
            index = table.index(flt.field)
            chosen = None if index is None else _from_index(index, flt)
            if chosen is not None:
                ids, order = chosen, flt.field
                filters.remove(flt)
                break
    if ids is None:
        for flt in filters:
            if flt.kind == "in":
                found = table.lookup(flt.field, flt.values)
                if found is not None:
                    ids = found  # a superset: the filter is still applied below
                    break
    if ids is None:
        index = table.index(query.sort[0][0]) if query.sort and not query.sort[0][1] else None
        if index is not None:
            ids, order = [row_id for _, row_id in index], query.sort[0][0]
        else:
            ids = list(table.ids())

    languages = query.languages
    for flt in filters:
        ids = [i for i in ids if matches(table.value(i, flt.field), flt, languages)]

    already = [(order, False), ("id", False)]
    if query.sort and query.sort not in (already, already[:1]):
        for name, descending in reversed(query.sort):
            texts = {i: _sort_text(table.value(i, name), languages) for i in ids}
            by_text = cmp_to_key(_compare)
            ids.sort(key=lambda i: by_text(texts[i]), reverse=descending)
    elif not query.sort and order != "id":
        ids.sort()

    if query.limit is not None:
        offset, count = query.limit
        ids = ids[max(offset, 0):] if count is None else ids[max(offset, 0):max(offset, 0) + count]
    return ids


def _sort_text(value: Any, languages: Sequence[str]) -> str:
    texts = _texts(value, languages)
    return texts[0] if texts else ""
