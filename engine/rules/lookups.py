"""Lookup tables: rows found by key columns, with '*' wildcards and validity dates.

`lookup('vat_codes', scheme, country, rate, on=order_date)` in a rule returns the most specific
row whose key columns match (a row's '*' matches anything) and whose `from` / `until` dates
hold the date; None when there is none, so a check can turn the order away with a message.
The index is built once per tenant (`Lookup.bind`), never per order.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, Place, RuleError
from ..library.functions import parse_date
from .confine import allowed_roots, confined
from .expressions import constant
from .load import LocatedDict, display_path, load_yaml

if TYPE_CHECKING:
    from .compile import _Compiler
    from .expressions import Value

WILDCARD = "*"


def key_text(value: object) -> str:
    """Key values compare as text: 21, Decimal('21.00') and '21' are one key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize() if number != 0 else Decimal(0), "f")
    return str(value).strip()


@dataclass
class Lookup:
    name: str
    key: list[str]
    rows: Value
    place: Place

    @classmethod
    def compile(
        cls, name: str, spec: LocatedDict, place: Place, compiler: _Compiler, folder: Path
    ) -> Lookup:
        if "file" in spec:
            from .settings import plain_data

            path = confined(
                spec["file"], folder, allowed_roots(folder), spec.places["file"], "lookup file"
            )
            table = plain_data(load_yaml(path, display_path(path)))
            return cls(name, list(spec["key"]), constant(table), place)
        if "rows" not in spec:
            raise RuleError(f"lookup {name!r} needs `rows` or `file`", place)
        rows = compiler.value(spec["rows"], spec.places["rows"], f"lookups.{name}")
        return cls(name, list(spec["key"]), rows, place)

    def bind(self, settings: Mapping[str, Any]) -> LookupIndex:
        rows = self.rows({"settings": settings})
        if not isinstance(rows, Sequence):
            raise ConfigError(f"lookup {self.name!r} ({self.place}): rows must be a list")
        index: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
        for number, row in enumerate(rows, 1):
            missing = [column for column in self.key if column not in row]
            if missing:
                raise ConfigError(
                    f"lookup {self.name!r} row {number} lacks {', '.join(missing)} ({self.place})"
                )
            index.setdefault(tuple(key_text(row[c]) for c in self.key), []).append(row)
        return LookupIndex(self.name, len(self.key), index)


@dataclass
class LookupIndex:
    name: str
    width: int
    rows: dict[tuple[str, ...], list[Mapping[str, Any]]]
    memo: dict[Any, Any] = field(default_factory=dict)
    # The answers by key values (compared as `memo` compares them) and period: which rows
    # hold changes only on a row's `from` or `until`, so every day between two such dates has
    # the same answer (a new order day costs a dict lookup, not a search).
    by_period: dict[Any, Any] = field(default_factory=dict)
    boundaries: list[dt.date] | None = None  # None: a date no row can be read by (`find` says)

    def __post_init__(self) -> None:
        try:
            dates = {
                _date(row[edge])
                for rows in self.rows.values()
                for row in rows
                for edge in ("from", "until")
                if row.get(edge) is not None
            }
        except (TypeError, ValueError):
            return  # each lookup searches, and the one that reads that date fails as it did
        self.boundaries = sorted(dates)

    def answer(self, values: Sequence[object], on: dt.date | None) -> Mapping[str, Any] | None:
        """`find`, remembered by the values and the period `on` lies in."""
        if self.boundaries is None:
            return self.find(values, on)
        period = None if on is None else bisect.bisect_right(self.boundaries, on)
        key = (tuple(values), period)
        found = self.by_period.get(key, _MISS)
        if found is _MISS:
            found = self.find(values, on)
            if len(self.by_period) >= MEMO_SIZE:
                self.by_period.clear()
            self.by_period[key] = found
        return found  # type: ignore[no-any-return]

    def find(self, values: Sequence[object], on: dt.date | None) -> Mapping[str, Any] | None:
        if len(values) != self.width:
            raise ValueError(
                f"lookup {self.name!r} takes {self.width} key values, got {len(values)}"
            )
        keys = [key_text(v) for v in values]
        # Most specific first: fewest wildcards, and wildcards on later columns before earlier.
        for wildcards in range(self.width + 1):
            for positions in itertools.combinations(reversed(range(self.width)), wildcards):
                candidate = tuple(WILDCARD if i in positions else k for i, k in enumerate(keys))
                for row in self.rows.get(candidate, ()):
                    if _valid_on(row, on):
                        return row
        return None


def _valid_on(row: Mapping[str, Any], on: dt.date | None) -> bool:
    if on is None:
        return True
    start, end = row.get("from"), row.get("until")
    return (start is None or _date(start) <= on) and (end is None or on < _date(end))


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


_MISS = object()
MEMO_SIZE = 10_000


def lookup_function(scope: Mapping[str, Any], name: str, *values: object, on: object = None) -> Any:
    """The `lookup(...)` rules call; the tenant's indexes travel in the scope. Answers are
    remembered per tenant: the same few keys come back on every order."""
    indexes: Mapping[str, LookupIndex] = scope["$lookups"]
    index = indexes.get(name)
    if index is None:
        raise ValueError(f"no lookup table {name!r} (tables: {', '.join(indexes) or 'none'})")
    memo_key = (*values, on)  # one flat tuple: what the generated stages build (remembered)
    found = index.memo.get(memo_key, _MISS)
    if found is _MISS:
        found = index.answer(values, parse_date(on) if on else None)
        if len(index.memo) >= MEMO_SIZE:
            index.memo.clear()
        index.memo[memo_key] = found
    return found


@dataclass(frozen=True)
class ScopeMemo:
    """Where a function's remembered answers are (see expressions.py `remembered`)."""

    scope_key: str  # the scope's key of the tenant's indexes
    missing: object  # what the memo gives for a question not asked yet


lookup_function.needs_scope = True  # type: ignore[attr-defined]
lookup_function.memo_in_scope = ScopeMemo("$lookups", _MISS)  # type: ignore[attr-defined]
