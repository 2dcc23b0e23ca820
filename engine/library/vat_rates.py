"""EU VAT rates with their history: which rates a member state applied on a given day.

The table is `mappings/common/eu_vat_rates.yaml` (the same file Yuki's `eu_rates` lookup
reads): one row per period, `from` inclusive and `until` exclusive, standard rate first, each
row with its `source`. Loaded once per process; a past order (or its refund) is judged by the
rates of its own date:

>>> rates_on("FI", dt.date(2024, 6, 15)).standard, rates_on("FI", dt.date(2024, 9, 1)).standard
(Decimal('24'), Decimal('25.5'))
>>> [str(r) for r in rates_on("DE", dt.date(2020, 10, 1)).rates]
['16', '5']
>>> rates_on("US", dt.date(2024, 1, 1)) is None
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from .countries import iso_code
from .data_files import read_data_file

TABLE = Path(__file__).resolve().parents[2] / "mappings" / "common" / "eu_vat_rates.yaml"


@dataclass(frozen=True)
class RatePeriod:
    """The rates of one member state from `start` (inclusive) until `end` (exclusive)."""

    country: str
    start: dt.date
    end: dt.date | None
    rates: tuple[Decimal, ...]  # standard first, then the reduced rates
    source: str
    verified: bool = True
    note: str = ""

    @property
    def standard(self) -> Decimal:
        return self.rates[0]

    @property
    def reduced(self) -> tuple[Decimal, ...]:
        return self.rates[1:]

    def holds_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@cache
def rate_table() -> tuple[RatePeriod, ...]:
    """Every row of the table, in file order."""
    rows = read_data_file(TABLE)
    return tuple(_period(row) for row in rows)


def _period(row: dict[str, Any]) -> RatePeriod:
    until = row.get("until")
    return RatePeriod(
        country=str(row["country"]),
        start=_day(row["from"]),
        end=None if until is None else _day(until),
        rates=tuple(Decimal(str(rate)) for rate in row["rates"]),
        source=str(row["source"]),
        verified=bool(row.get("verified", True)),
        note=str(row.get("note", "")),
    )


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def rates_on(country: str, day: dt.date) -> RatePeriod | None:
    """The period of `country`'s rates that holds on `day`; None for a non-member (or a day
    before the table starts)."""
    code = iso_code(country)
    for period in rate_table():
        if period.country == code and period.holds_on(day):
            return period
    return None


def history(country: str) -> list[RatePeriod]:
    """All periods of one country, oldest first."""
    code = iso_code(country)
    return sorted((p for p in rate_table() if p.country == code), key=lambda p: p.start)


def sources() -> list[str]:
    """The distinct sources the table cites, in order of first use."""
    return list(dict.fromkeys(period.source for period in rate_table()))
