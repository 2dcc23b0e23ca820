"""Reference data of the Factuursturen simulator: countries, the account's VAT rates, defaults.

Country ids are Factuursturen's own numeric ids (146 = Nederland, 18 = België, ...); the list
here is the EU plus a few neighbours, enough for a Dutch webshop, not the full 227 entries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# (Factuursturen id, ISO 3166 alpha-2, Dutch name, English name)
COUNTRIES: tuple[tuple[str, str, str, str], ...] = (
    ("18", "BE", "België", "Belgium"),
    ("30", "BG", "Bulgarije", "Bulgaria"),
    ("34", "CA", "Canada", "Canada"),
    ("45", "CY", "Cyprus", "Cyprus"),
    ("46", "DK", "Denemarken", "Denmark"),
    ("50", "DE", "Duitsland", "Germany"),
    ("56", "EE", "Estland", "Estonia"),
    ("62", "FI", "Finland", "Finland"),
    ("63", "FR", "Frankrijk", "France"),
    ("73", "GR", "Griekenland", "Greece"),
    ("84", "HU", "Hongarije", "Hungary"),
    ("86", "IE", "Ierland", "Ireland"),
    ("93", "IT", "Italië", "Italy"),
    ("110", "HR", "Kroatië", "Croatia"),
    ("113", "LV", "Letland", "Latvia"),
    ("118", "LT", "Litouwen", "Lithuania"),
    ("119", "LU", "Luxemburg", "Luxembourg"),
    ("129", "MT", "Malta", "Malta"),
    ("146", "NL", "Nederland", "Netherlands"),
    ("157", "NO", "Noorwegen", "Norway"),
    ("163", "AT", "Oostenrijk", "Austria"),
    ("171", "PL", "Polen", "Poland"),
    ("172", "PT", "Portugal", "Portugal"),
    ("176", "RO", "Roemenië", "Romania"),
    ("188", "SI", "Slovenië", "Slovenia"),
    ("189", "SK", "Slowakije", "Slovakia"),
    ("192", "ES", "Spanje", "Spain"),
    ("213", "CZ", "Tsjechië", "Czech Republic"),
    ("224", "GB", "Verenigd Koninkrijk", "United Kingdom"),
    ("226", "US", "Verenigde Staten", "United States"),
    ("236", "SE", "Zweden", "Sweden"),
    ("237", "CH", "Zwitserland", "Switzerland"),
)


def country_list(lang: str) -> list[dict[str, str]]:
    """`countrylist/{lang}`: a bare array of {"id", "name"}, sorted by name like the real one."""
    column = 2 if lang == "nl" else 3
    rows = [{"id": row[0], "name": row[column]} for row in COUNTRIES]
    return sorted(rows, key=lambda row: row["name"])


def country_id(value: object) -> str | None:
    """A client's `country` as written (id, Dutch or English name, ISO code) → its id."""
    text = str(value).strip()
    for cid, iso, name_nl, name_en in COUNTRIES:
        if text == cid or text.casefold() in (iso.casefold(), name_nl.casefold(),
                                              name_en.casefold()):
            return cid
    return None


# The `taxes` of a Dutch account: percentage, type (H high, L low, Z zero), default.
DEFAULT_TAXES: tuple[dict[str, Any], ...] = (
    {"percentage": 21, "type": "H", "default": True, "country": "NL"},
    {"percentage": 9, "type": "L", "default": False, "country": "NL"},
    {"percentage": 0, "type": "Z", "default": False, "country": "NL"},
)


def tax_rates(taxes: tuple[dict[str, Any], ...]) -> set[Decimal]:
    return {Decimal(str(tax["percentage"])) for tax in taxes}


CLIENT_DEFAULTS: dict[str, Any] = {
    "contact": "",
    "showcontact": True,
    "company": "",
    "address": "",
    "zipcode": "",
    "city": "",
    "country": "146",
    "phone": "",
    "mobile": "",
    "email": "",
    "bankcode": "",
    "biccode": "",
    "taxnumber": "",
    "tax_shifted": False,
    "lastinvoice": "",
    "sendmethod": "email",
    "paymentmethod": "bank",
    "top": "14",
    "stddiscount": "0",
    "mailintro": "",
    "reference": {"line1": "", "line2": "", "line3": ""},
    "notes": "",
    "notes_on_invoice": False,
    "active": True,
    "default_doclang": "nl",
    "default_email": "",
    "currency": "EUR",
    "mandate_id": "",
    "mandate_date": "",
    "collecttype": "FRST",
    "tax_type": "extax",
    "default_category": "",
    "timestamp": "",
}

PAYMENT_CONDITION = (
    "Wij verzoeken u het bedrag binnen %PAYMENT_PERIOD% dagen over te maken onder vermelding "
    "van factuurnummer %INVOICE_NUMBER%."
)

# A client booked by hand before the link was made: lets the demo show a lookup that finds one.
DEMO_CLIENTS: tuple[dict[str, Any], ...] = (
    {
        "clientnr": "3104502",
        "contact": "Pieter Bakker",
        "company": "",
        "address": "Oudegracht 27bis",
        "zipcode": "3511 AC",
        "city": "Utrecht",
        "country": "146",
        "email": "p.bakker@example.nl",
        "sendmethod": "email",
        "tax_type": "intax",
    },
)
