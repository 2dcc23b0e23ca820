"""Countries: ISO codes, names in a language, and EU membership as dated data."""

from __future__ import annotations

import datetime as dt
import gettext
from functools import cache, lru_cache

# EU member states with the date they joined and, where it applies, the date they left.
# Dated so that an old order is judged by the membership on its own date.
_EU_MEMBERSHIP: dict[str, tuple[dt.date, dt.date | None]] = {
    **{code: (dt.date(1958, 1, 1), None) for code in ("BE", "DE", "FR", "IT", "LU", "NL")},
    **{code: (dt.date(1973, 1, 1), None) for code in ("DK", "IE")},
    "GB": (dt.date(1973, 1, 1), dt.date(2021, 1, 1)),
    "GR": (dt.date(1981, 1, 1), None),
    **{code: (dt.date(1986, 1, 1), None) for code in ("ES", "PT")},
    **{code: (dt.date(1995, 1, 1), None) for code in ("AT", "FI", "SE")},
    **{
        code: (dt.date(2004, 5, 1), None)
        for code in ("CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK")
    },
    **{code: (dt.date(2007, 1, 1), None) for code in ("BG", "RO")},
    "HR": (dt.date(2013, 7, 1), None),
}

# Greece's VAT numbers use the prefix EL; in ISO 3166 it is GR.
_ISO_ALIASES = {"EL": "GR", "UK": "GB"}


def iso_code(code: str) -> str:
    """The ISO 3166 alpha-2 code, upper case, for a code as shops write it (`nl`, `EL`, `UK`)."""
    upper = code.strip().upper()
    return _ISO_ALIASES.get(upper, upper)


def is_eu(code: str, on: dt.date | None = None) -> bool:
    """Whether `code` was an EU member state on `on` (today when not given).

    >>> is_eu("de"), is_eu("US"), is_eu("GB", dt.date(2020, 6, 1)), is_eu("GB", dt.date(2021, 6, 1))
    (True, False, True, False)
    """
    membership = _EU_MEMBERSHIP.get(iso_code(code))
    if membership is None:
        return False
    joined, left = membership
    day = on or dt.date.today()
    return joined <= day and (left is None or day < left)


def eu_members(on: dt.date | None = None) -> list[str]:
    """The member states on a date, sorted: 27 since 2020-02-01."""
    return sorted(code for code in _EU_MEMBERSHIP if is_eu(code, on))


@cache
def _translation(language: str) -> gettext.NullTranslations:
    import pycountry  # on demand: its tables take a while to load, and most runs need no names

    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@lru_cache(maxsize=4096)
def country_name(code: str, language: str = "en") -> str:
    """The country's name from the ISO table, in `language` where a translation exists.

    >>> country_name("NL"), country_name("de", "nl"), country_name("EL")
    ('Netherlands', 'Duitsland', 'Greece')
    """
    import pycountry

    country = pycountry.countries.get(alpha_2=iso_code(code))
    if country is None:
        raise ValueError(f"unknown ISO country code {code!r}")
    name: str = getattr(country, "common_name", None) or country.name
    if language == "en":
        return name
    translated: str = _translation(language).gettext(country.name)
    return translated
