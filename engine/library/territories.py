"""VAT territories: where an invoice address lies for VAT, decided from its country, postcode
and the customer's VAT-number prefix, on the order's date.

The table is `mappings/common/vat_territories.yaml` (each row with its source: VAT Directive
2006/112/EC art. 6 and 7, the Windsor Framework). An address in none of its territories is
judged by its country's EU membership on that date:

>>> place = vat_territory("ES", "38001", "", dt.date(2024, 5, 1))
>>> place.code, place.eu_vat, place.vat_country
('IC', False, 'IC')
>>> vat_territory("MC", "98000", "", dt.date(2024, 5, 1)).vat_country
'FR'
>>> vat_territory("GB", "BT1 5GS", "XI123456782", dt.date(2024, 5, 1)).eu_vat
True
>>> vat_territory("GB", "BT1 5GS", "", dt.date(2020, 5, 1)).code  # the UK was still in the EU
'GB'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .countries import is_eu, iso_code
from .data_files import read_data_file

TABLE = Path(__file__).resolve().parents[2] / "mappings" / "common" / "vat_territories.yaml"
_NOT_POSTCODE = re.compile(r"[\s\-.]")


@dataclass(frozen=True)
class Territory:
    """One row of the table."""

    code: str
    name: str
    country: str
    codes: tuple[str, ...]
    postcodes: tuple[str, ...]
    vat_prefix: str
    eu_vat: bool
    vat_country: str
    source: str
    start: dt.date | None = None
    end: dt.date | None = None
    verified: bool = True

    def holds_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Place:
    """Where an address lies for VAT. `code` is the territory's code, or the country's own ISO
    code when no territory applies; `vat_country` is the country a sale there is judged as
    (Monaco: FR); `eu_vat` whether it is inside the EU VAT area on the day."""

    code: str
    name: str
    country: str
    vat_country: str
    eu_vat: bool
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "country": self.country,
            "vat_country": self.vat_country,
            "eu_vat": self.eu_vat,
            "special": self.code != self.country,
            "source": self.source,
        }


@cache
def territory_table() -> tuple[Territory, ...]:
    rows = read_data_file(TABLE)
    return tuple(_territory(row) for row in rows)


def _territory(row: dict[str, Any]) -> Territory:
    return Territory(
        code=str(row["code"]),
        name=str(row["name"]),
        country=str(row["country"]),
        codes=tuple(str(c) for c in row.get("codes", ())),
        postcodes=tuple(_normal_postcode(str(p)) for p in row.get("postcodes", ())),
        vat_prefix=str(row.get("vat_prefix", "")),
        eu_vat=bool(row["eu_vat"]),
        vat_country=str(row["vat_country"]),
        source=str(row["source"]),
        start=_day(row.get("from")),
        end=_day(row.get("until")),
        verified=bool(row.get("verified", True)),
    )


def _day(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _normal_postcode(text: str) -> str:
    return _NOT_POSTCODE.sub("", text).upper()


def vat_territory(
    country: str, postcode: str = "", vat_number: str = "", on: dt.date | None = None
) -> Place:
    """Where an address in `country` with `postcode`, for a customer with `vat_number`, lies
    for VAT on `on` (today when not given)."""
    return _known_place(country, postcode, vat_number, on)[0]


def place_data(
    country: str, postcode: str = "", vat_number: str = "", on: dt.date | None = None
) -> dict[str, Any]:
    """`vat_territory(...).as_dict()`, made once per place (a copy for each call)."""
    return dict(_known_place(country, postcode, vat_number, on)[1])


def has_territories(country: str) -> bool:
    """Whether some address in `country` may lie in a territory of the table (else every
    address there is the country itself)."""
    return bool(_rows_for(iso_code(country or "")))


_Known = tuple[Place, dict[str, Any]]  # a place and its `as_dict()`


def _known_place(country: str, postcode: str, vat_number: str, on: dt.date | None) -> _Known:
    day = on or dt.date.today()
    code = iso_code(country or "")
    rows = _rows_for(code)
    if rows:  # most countries have no territory of their own: no postcode is read
        prefix = (vat_number or "").strip().upper()[:2]
        zipcode = _normal_postcode(postcode or "")
        for row, known in rows:  # in the table's order: the first that holds on the day wins
            if _matches(row, code, zipcode, prefix) and row.holds_on(day):
                return known
    return _country_place(code, is_eu(code, day))


def _row_place(row: Territory) -> _Known:
    return _known(Place(row.code, row.name, row.country, row.vat_country, row.eu_vat, row.source))


@lru_cache(maxsize=512)
def _country_place(code: str, member: bool) -> _Known:
    source = (
        "EU member state on that date (VAT Directive 2006/112/EC art. 5)"
        if member
        else "not an EU member state on that date"
    )
    return _known(Place(code, code, code, code, member, source))


def _known(place: Place) -> _Known:
    return place, place.as_dict()


@lru_cache(maxsize=512)  # keyed by the text an address gives
def _rows_for(country: str) -> tuple[tuple[Territory, _Known], ...]:
    """The rows an address in `country` may lie in, with their places, in the table's order
    (the first that matches wins): those of that country, and those the country's code
    itself names."""
    return tuple(
        (row, _row_place(row))
        for row in territory_table()
        if row.country == country or country in row.codes
    )


def _matches(row: Territory, country: str, postcode: str, prefix: str) -> bool:
    if country in row.codes:
        return True
    if country != row.country:
        return False
    if row.vat_prefix and prefix == row.vat_prefix:
        return True
    # A postcode written with its country's prefix (FI-22100, AX-22100) is read without it.
    for lead in (row.country, *row.codes):
        if postcode.startswith(lead) and postcode[len(lead) : len(lead) + 1].isdigit():
            postcode = postcode[len(lead) :]
            break
    return postcode.startswith(row.postcodes)


def sources() -> list[str]:
    """The distinct sources the table cites, in order of first use."""
    return list(dict.fromkeys(row.source for row in territory_table()))
