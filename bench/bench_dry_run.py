"""How fast mapper's rule engine maps PrestaShop orders to Yuki XML, next to plain Python.

Run from the repository root: `python -m bench.bench_dry_run [--orders N] [--check N] [--profile N]`.

Both sides get the same generated PrestaShop order documents (the webservice's JSON shape) and
make the same SalesInvoices document (or JSON lines): mapper through `Pair.map` and the
payload writer with the prestashop and yuki rule sets and their default settings, the pair
making each payload's text in the printed format as `mapper dry-run` does (`Pair.writing`:
the generated XML or JSON writer, the XML checks either way); the other side through
`hand_written`, a plain function written from the rule files line by line. The script first
asserts that both documents are byte-identical (otherwise the figures compare nothing), then
times both over the same orders, 100 at a time and taking turns (CPU time; `side_by_side`),
and prints orders/s and the ratio mapper / hand-written — twice for each format:

- map + render: the orders in memory, as parsed documents (the mapping and the writing only);
- file → text: the orders read from a JSON Lines file, as `mapper dry-run FILE` does its work
  (`end_to_end`): mapper with its own streamed reader, which looks every document over for the
  input limits; the hand-written side with the json module's decoder. `--in-memory` leaves this
  one out.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import difflib
import gc
import itertools
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
)
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from mapper.engine.documents import InputProblem, read_documents
from mapper.engine.library.money import split
from mapper.engine.mapping import Pair, Payload, Skipped
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

Document = dict[str, Any]

PAIR = "prestashop-yuki"
LABEL = "prestashop 1.0.0 > yuki 1.0.0"  # the rule sets' names and versions, as mapper says them

# -- order generator ----------------------------------------------------------------------------
D = Decimal
CENT = D("0.01")
MICRO = D("0.000001")
_GENERATOR_ROUNDING = {2: ROUND_HALF_UP, 4: ROUND_HALF_EVEN}

COUNTRIES: dict[int, tuple[str, str]] = {
    1: ("DE", "Germany"),
    3: ("BE", "Belgium"),
    8: ("FR", "France"),
    9: ("GR", "Greece"),
    13: ("NL", "Netherlands"),
    17: ("GB", "United Kingdom"),
    21: ("US", "United States"),
}
PLACES: dict[int, list[tuple[str, str, str]]] = {  # street, postcode, city
    13: [
        ("Stationsstraat 12", "1012 AB", "Amsterdam"),
        ("Oudegracht 88", "3511 AV", "Utrecht"),
        ("Coolsingel 40", "3011 AD", "Rotterdam"),
        ("Grote Markt 3", "9711 LV", "Groningen"),
        ("Stratumseind 21", "5611 EN", "Eindhoven"),
        ("Kerkstraat 5-bis", "6211 CH", "Maastricht"),
    ],
    1: [("Hauptstraße 14", "10115", "Berlin"), ("Königsallee 60", "40212", "Düsseldorf")],
    3: [("Meir 78", "2000", "Antwerpen"), ("Rue Neuve 12", "1000", "Bruxelles")],
    8: [("12 rue de Rivoli", "75001", "Paris"), ("3 quai Saint-Antoine", "69002", "Lyon")],
    9: [("Ermou 25", "105 63", "Athina")],
    17: [("221B Baker Street", "NW1 6XE", "London"), ("12 High Street", "OX1 4AP", "Oxford")],
    21: [
        ("350 Fifth Avenue", "10118", "New York NY"),
        ("1 Market St", "94105", "San Francisco CA"),
    ],
}
FIRST_NAMES = [
    "Sophie",
    "Daan",
    "Emma",
    "Lars",
    "Daniëlle",
    "Jürgen",
    "Chloé",
    "Noah",
    "Fenna",
    "Mohamed",
    "Anouk",
    "Pieter",
    "Élodie",
    "Sven",
    "Yara",
    "Thijs",
]
LAST_NAMES = [
    "Fischer",
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "O'Brien",
    "Müller",
    "Dubois",
    "Papadopoulos",
    "Smit",
    "Visser",
    "Smith",
    "Meijer",
    "Peeters",
]
COMPANIES = [
    "Bakkerij De Korenaar B.V.",
    "Müller & Söhne GmbH",
    "Atelier Lumière SARL",
    "Brouwerij 't Hoppeke BV",
    "Fietsenmakerij Snel",
    "Hellas Trading A.E.",
    "Peeters & Co NV",
    "Studio <Noord>",
]
PRODUCT_WORDS = [
    ("Badslippers", 21),
    ("Thee Earl Grey 100 g", 9),
    ("Koffiebonen 1 kg", 9),
    ("Wollen sokken", 21),
    ("Theepot gietijzer", 21),
    ("Honing & tijm 250 g", 9),
    ("Notebook A5 <gelinieerd>", 21),
    ("Olijfolie extra vierge 0,5 l", 9),
    ("Kaarsen 'Vanille' 4 st.", 21),
    ("Stroopwafels 8 st.", 9),
    ("Mok 350 ml", 21),
    ("Chocolade puur 72%", 9),
    ("Regenjas", 21),
    ("Boek: Het Achterhuis", 9),
]
PAYMENTS = [
    ("bankwire", "Bank wire", 20),
    ("ps_wirepayment", "Bank transfer", 10),
    ("ps_checkpayment", "Payment by check", 2),
    ("ps_cashondelivery", "Cash on delivery", 5),
    ("paypal", "PayPal", 20),
    ("mollie", "iDEAL", 35),
    ("stripe_official", "Stripe", 8),
]
NOTES = [
    "Graag bellen voor levering",
    "Cadeau & verpakking graag <apart>",
    "Niet aanbellen.\nAchterom leveren s.v.p.",
    "Leveren bij de buren (nr. 14)",
]


def s6(value: Decimal) -> str:
    return format(value.quantize(MICRO, ROUND_HALF_UP), "f")


def _catalog(rng: random.Random) -> list[tuple[int, str, str, Decimal, int]]:
    """(product id, name, reference, price incl. VAT, VAT rate) for a small shop."""
    products = []
    for pid in range(1, 61):
        word, rate = PRODUCT_WORDS[pid % len(PRODUCT_WORDS)]
        variant = rng.choice(["", " rood", " blauw", " maat 39", " maat 42", " XL", " groot"])
        cents = rng.choice(
            [
                195,
                249,
                449,
                595,
                799,
                995,
                1295,
                1495,
                1995,
                2450,
                3995,
                4999,
                7995,
                12950,
                rng.randint(150, 25000),
            ]
        )
        products.append((pid, word + variant, f"SKU-{pid:04d}", D(cents) / 100, rate))
    return products


def _vat_numbers(rng: random.Random) -> dict[str, list[str]]:
    """Checksum-valid EU VAT numbers per country, written the ways customers write them."""
    shapes = {"DE": ("DE", 9), "BE": ("BE0", 9), "FR": ("FR", 11), "GR": ("EL", 9)}
    numbers: dict[str, list[str]] = {}
    for country, (prefix, length) in shapes.items():
        found: list[str] = []
        while len(found) < 12:
            digits = str(rng.randint(10 ** (length - 1), 10**length - 1))
            if eu_vat.is_valid(prefix + digits):
                found.append(prefix + digits)
        spelled = [
            found[0].lower(),
            f"{found[1][:2]} {found[1][2:5]} {found[1][5:]}",
            f"{found[2][:2]}{found[2][2:5]}.{found[2][5:]}",
        ]
        if country == "GR":
            spelled.append("GR" + found[3][2:])  # ISO prefix; mapper writes it as EL
        numbers[country] = spelled + found[len(spelled) :]
    return numbers


def _country(country_id: int) -> dict[str, Any]:
    iso, name = COUNTRIES[country_id]
    return {
        "id": country_id,
        "id_zone": "1",
        "id_currency": "0",
        "call_prefix": "0",
        "iso_code": iso,
        "active": "1",
        "contains_states": "0",
        "need_identification_number": "0",
        "need_zip_code": "1",
        "zip_code_format": "",
        "display_tax_label": "1",
        "name": [{"id": "1", "value": name}],
    }


def _customer(customer_id: int, first: str, last: str, email: str, company: str) -> Document:
    return {
        "id": customer_id,
        "id_default_group": "3",
        "id_lang": "1",
        "newsletter_date_add": "0000-00-00 00:00:00",
        "ip_registration_newsletter": "",
        "last_passwd_gen": "2025-01-05 09:00:00",
        "secure_key": "00000000000000000000000000000000",
        "deleted": "0",
        "passwd": "",
        "lastname": last,
        "firstname": first,
        "email": email,
        "id_gender": "0",
        "birthday": "0000-00-00",
        "newsletter": "0",
        "optin": "0",
        "website": "",
        "company": company,
        "siret": "",
        "ape": "",
        "outstanding_allow_amount": "0.000000",
        "show_public_prices": "0",
        "id_risk": "0",
        "max_payment_days": "0",
        "active": "1",
        "note": "",
        "is_guest": "0",
        "id_shop": "1",
        "id_shop_group": "1",
        "date_add": "2025-01-05 09:00:00",
        "date_upd": "2025-01-05 09:00:00",
        "reset_password_token": "",
        "reset_password_validity": "0000-00-00 00:00:00",
    }


def _address(
    address_id: int,
    customer_id: int,
    country_id: int,
    first: str,
    last: str,
    place: tuple[str, str, str],
    *,
    company: str = "",
    vat: str = "",
    phone: str = "",
    mobile: str = "",
    address2: str = "",
) -> Document:
    street, postcode, city = place
    return {
        "id": address_id,
        "id_customer": str(customer_id),
        "id_manufacturer": "0",
        "id_supplier": "0",
        "id_warehouse": "0",
        "id_country": str(country_id),
        "id_state": "0",
        "alias": "Mijn adres",
        "company": company,
        "lastname": last,
        "firstname": first,
        "vat_number": vat,
        "address1": street,
        "address2": address2,
        "postcode": postcode,
        "city": city,
        "other": "",
        "phone": phone,
        "phone_mobile": mobile,
        "dni": "",
        "deleted": "0",
        "date_add": "2025-01-05 10:00:00",
        "date_upd": "2025-01-05 10:00:00",
    }


class OrderGenerator:
    """Deterministic PrestaShop fetched order documents: same seed, same orders."""

    def __init__(self, seed: int = 42) -> None:
        self.seed = seed
        setup = random.Random(seed)
        self.catalog = _catalog(setup)
        self.vat_numbers = _vat_numbers(setup)
        self.start = dt.datetime(2025, 6, 1, 8, 0, 0)

    def orders(self, count: int, first: int = 0) -> list[Document]:
        """Orders number `first` to `first + count`: another `first`, other orders."""
        rng = random.Random(self.seed * 7919 + 1 + first * 1_000_003)
        return [self.order(rng, n) for n in range(first, first + count)]

    def order(self, rng: random.Random, n: int) -> Document:  # noqa: C901 — one order, top down
        kind = rng.choices(["nl", "eu_consumer", "icp", "export"], weights=[70, 8, 12, 10])[0]
        no_vat = kind in ("icp", "export")
        order_id, customer_id = 100_000 + n, 5_000 + n
        country_id = {
            "nl": 13,
            "eu_consumer": rng.choice([1, 3, 8]),
            "icp": rng.choice([1, 3, 8, 9]),
            "export": rng.choice([21, 21, 21, 17]),
        }[kind]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = vat = ""
        if kind == "icp":
            company = rng.choice(COMPANIES)
            vat = rng.choice(self.vat_numbers[COUNTRIES[country_id][0]])
        elif kind == "nl" and rng.random() < 0.15:
            company = rng.choice(COMPANIES)
            vat = f"NL{rng.randint(10**8, 10**9 - 1)}B0{rng.randint(1, 3)}"
            if rng.random() < 0.3:
                vat = f"{vat[:2]} {vat[2:6]}.{vat[6:10]}.{vat[10:]}".lower()
        email = f"klant{customer_id}@example.{COUNTRIES[country_id][0].lower()}"
        customer = _customer(customer_id, first, last, email, company if rng.random() < 0.5 else "")
        phone = rng.choice(["020 123 4567", "+31 6 1234 5678", "", "030-2345678"])
        mobile = "" if phone else rng.choice(["", "06 98765432"])
        address2 = rng.choice(["", "", "", "2e verdieping", "Postbus 12 & 14"])
        invoice_id = 20_000 + 3 * n
        invoice = _address(
            invoice_id,
            customer_id,
            country_id,
            first,
            last,
            rng.choice(PLACES[country_id]),
            company=company,
            vat=vat,
            phone=phone,
            mobile=mobile,
            address2=address2,
        )
        addresses = [invoice]
        delivery_id = invoice_id
        if rng.random() < 0.2:  # delivered elsewhere in the same country
            delivery_id = invoice_id + 1
            addresses.append(
                _address(
                    delivery_id,
                    customer_id,
                    country_id,
                    first,
                    last,
                    rng.choice(PLACES[country_id]),
                    phone=phone,
                )
            )
        if rng.random() < 0.1:  # an older address that must not be chosen
            addresses.insert(
                0, _address(invoice_id + 2, customer_id, 13, first, last, PLACES[13][0])
            )
        countries = {str(a["id_country"]): _country(int(a["id_country"])) for a in addresses}

        round_type = 2 if not no_vat or rng.random() < 0.8 else rng.choice([1, 3])
        round_mode = 2 if rng.random() < 0.95 else 4
        rows, products = self._rows(rng, n, no_vat)
        pw = self._products_total(rows, "unit_price_tax_incl", round_type, round_mode)
        pe = self._products_total(rows, "unit_price_tax_excl", round_type, round_mode)

        si = se = wi = we = di = de = D(0)
        carrier_rate = "0.000" if no_vat else "21.000"
        if no_vat:
            if rng.random() < 0.9:
                choices = ["19.95", "24.50", "35.00"] if kind == "export" else ["4.95", "8.50"]
                si = se = D(rng.choice(choices))
            if rng.random() < 0.1:
                wi = we = D("2.07")
            if rng.random() < 0.25:
                di = de = (pw * D(rng.choice([5, 10, 15])) / 100).quantize(CENT, ROUND_HALF_UP)
        else:
            if rng.random() < 0.8:
                si = D(rng.choice(["4.95", "6.95", "3.95"]))
                se = (si / D("1.21")).quantize(MICRO, ROUND_HALF_UP)
            if rng.random() < 0.1:
                wi = D(rng.choice(["2.50", "1.00", "3.95"]))
                we = (wi / D("1.21")).quantize(MICRO, ROUND_HALF_UP)
            if rng.random() < 0.25:
                fixed = D(rng.choice(["5.00", "10.00"]))
                di = fixed if pw > 2 * fixed else (pw / 10).quantize(CENT, ROUND_HALF_UP)
                de = (di * pe / pw).quantize(MICRO, ROUND_HALF_UP)
        ti = pw + si + wi - di
        te = pe + se + we - de

        module, title, _ = rng.choices(PAYMENTS, weights=[w for _, _, w in PAYMENTS])[0]
        stamp = self.start + dt.timedelta(
            minutes=rng.randint(0, 300 * 24 * 60), seconds=rng.randint(0, 59)
        )
        date = stamp.strftime("%Y-%m-%d %H:%M:%S")
        order: Document = {
            "id": order_id,
            "id_address_delivery": str(delivery_id),
            "id_address_invoice": str(invoice_id),
            "id_cart": str(order_id + 7),
            "id_currency": "1",
            "id_lang": "1",
            "id_customer": str(customer_id),
            "id_carrier": "2",
            "current_state": rng.choice(["2", "2", "4", "5"]),
            "module": module,
            "invoice_number": str(n + 1) if rng.random() < 0.6 else "0",
            "invoice_date": "0000-00-00 00:00:00",
            "delivery_number": "0",
            "delivery_date": "0000-00-00 00:00:00",
            "valid": "1",
            "date_add": date,
            "date_upd": date,
            "shipping_number": "",
            "id_shop_group": "1",
            "id_shop": "1",
            "secure_key": f"{rng.getrandbits(128):032x}",
            "payment": title,
            "recyclable": "0",
            "gift": "1" if wi else "0",
            "gift_message": "",
            "mobile_theme": "0",
            "total_discounts": s6(di),
            "total_discounts_tax_incl": s6(di),
            "total_discounts_tax_excl": s6(de),
            "total_paid": s6(ti),
            "total_paid_tax_incl": s6(ti),
            "total_paid_tax_excl": s6(te),
            "total_paid_real": s6(ti),
            "total_products": s6(pe),
            "total_products_wt": s6(pw),
            "total_shipping": s6(si),
            "total_shipping_tax_incl": s6(si),
            "total_shipping_tax_excl": s6(se),
            "carrier_tax_rate": carrier_rate,
            "total_wrapping": s6(wi),
            "total_wrapping_tax_incl": s6(wi),
            "total_wrapping_tax_excl": s6(we),
            "round_mode": str(round_mode),
            "round_type": str(round_type),
            "conversion_rate": "1.000000",
            "reference": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(9)),
            "associations": {"order_rows": rows},
        }
        if rng.random() < 0.06:
            order["note"] = rng.choice(NOTES)
        document: Document = {
            "order": order,
            "customer": customer,
            "addresses": addresses,
            "countries": countries,
        }
        if products:
            document["products"] = products
        return document

    def _rows(self, rng: random.Random, n: int, no_vat: bool) -> tuple[list[Document], Document]:
        rows: list[Document] = []
        products: Document = {}
        for index, (pid, name, ref, incl, rate) in enumerate(
            rng.sample(self.catalog, rng.randint(1, 5))
        ):
            excl = (incl / (1 + D(rate) / 100)).quantize(MICRO, ROUND_HALF_UP)
            unit_incl = excl if no_vat else incl
            quantity = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6, 12])
            if no_vat and rng.random() < 0.1:  # a business buys in bulk
                quantity = rng.choice([120, 250, 500])
            if index and rng.random() < 0.03:  # a row left at 0 (never the only one)
                quantity = 0
            reference = ref
            if rng.random() < 0.05:  # rows without reference: mapper reads the product
                reference = ""
                products[str(pid)] = {
                    "id": pid,
                    "reference": ref,
                    "name": name,
                    "active": "1",
                    "price": s6(excl),
                    "id_tax_rules_group": "1",
                }
            rows.append(
                {
                    "id": str(900_000 + 5 * n + index),
                    "product_id": str(pid),
                    "product_attribute_id": "0",
                    "product_quantity": str(quantity),
                    "product_name": name,
                    "product_reference": reference,
                    "product_ean13": "",
                    "product_isbn": "",
                    "product_upc": "",
                    "product_price": s6(excl),
                    "id_customization": "0",
                    "unit_price_tax_incl": s6(unit_incl),
                    "unit_price_tax_excl": s6(excl),
                }
            )
        return rows, products

    @staticmethod
    def _products_total(rows: list[Document], key: str, round_type: int, mode: int) -> Decimal:
        """total_products(_wt) as the shop rounds: per item (1), per line (2), on the total (3)."""
        rounding = _GENERATOR_ROUNDING[mode]
        pairs = [(D(r[key]), D(r["product_quantity"])) for r in rows]
        if round_type == 1:
            return sum((u.quantize(CENT, rounding) * q for u, q in pairs), D(0))
        if round_type == 3:
            return sum((u * q for u, q in pairs), D(0)).quantize(CENT, rounding)
        return sum(((u * q).quantize(CENT, rounding) for u, q in pairs), D(0))


# -- the same mapping, written by hand ----------------------------------------------------------
XML_NAMESPACE = "urn:xmlns:http://www.theyukicompany.com:salesinvoices"
EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class HandConfig:
    """The tenant tables a hand-written integration would keep in its own configuration."""

    shop_country: str
    invoice_states: frozenset[str]
    vat_codes: dict[tuple[str, Decimal], tuple[str, str]]  # (scheme, rate) → (VATType, GL)
    payment_methods: dict[str, str]  # shop module → Yuki PaymentMethod
    default_payment_method: str
    rounding: tuple[str, str, str]  # description, VATType, GL account

    @classmethod
    def from_settings(cls, shop: dict[str, Any], yuki: dict[str, Any]) -> HandConfig:
        """From the rule sets' settings; refuses what `hand_written` does not implement."""
        assumed = {
            "process": False,
            "layout": "",
            "send_currency": False,
            "subject": "order_number",
            "oss_countries": [],
        }
        for key, value in assumed.items():
            if yuki.get(key) != value:
                raise NotImplementedError(f"hand_written assumes yuki.{key} = {value!r}")
        vat_codes: dict[tuple[str, Decimal], tuple[str, str]] = {}
        for row in yuki["vat_codes"]:
            if row["country"] != "*" or "from" in row or "until" in row:
                raise NotImplementedError("hand_written knows VAT codes for country '*' only")
            vat_codes.setdefault(
                (row["scheme"], D(str(row["rate"]))), (str(row["type"]), str(row["gl_account"]))
            )
        methods = {}
        for module, method in yuki["payment_methods"].items():
            if "debtor_code" in method:
                raise NotImplementedError("hand_written books no fixed debtors")
            methods[module] = method["method"]
        rounding = yuki["rounding"]
        return cls(
            shop_country=shop["shop_country"],
            invoice_states=frozenset(str(state) for state in shop["invoice_states"]),
            vat_codes=vat_codes,
            payment_methods=methods,
            default_payment_method=yuki["default_payment_method"],
            rounding=(rounding["description"], str(rounding["type"]), str(rounding["gl_account"])),
        )


@cache
def default_config() -> HandConfig:
    pair = Pair.load(PAIR, lean=True)
    return HandConfig.from_settings(pair.source.settings, pair.target.settings)


_ISO_ALIASES = {"EL": "GR", "UK": "GB"}
_SHOP_ROUNDING = {
    0: ROUND_CEILING,
    1: ROUND_FLOOR,
    2: ROUND_HALF_UP,
    3: ROUND_HALF_DOWN,
    4: ROUND_HALF_EVEN,
}
_ONE, _ZERO = D(1), D(0)
_Q = {2: CENT, 3: D("0.001"), 4: D("0.0001")}
_WRAPPING_21 = (D("0.204"), D("0.21"))


class Rejected(Exception):
    """The order would be turned away by a check."""


def _iso(code: str) -> str:
    upper = code.strip().upper()
    return _ISO_ALIASES.get(upper, upper)


def _in_eu(country: str, day: str) -> bool:
    """EU membership on an order date from 2013-07-01 on (Croatia's accession)."""
    return country in EU_MEMBERS or (country == "GB" and day < "2021-01-01")


def _vat_number(raw: str | None) -> tuple[str, bool]:
    """The VAT number normalised (country prefix + digits; Greece as EL) and whether it is
    a valid EU number by checksum."""
    text = (raw or "").strip()
    if not text:
        return "", False
    try:
        compact = eu_vat.compact(text)
    except ValidationError:
        return text, False
    prefix = compact[:2].upper()
    if prefix == "GR":
        compact, prefix = "EL" + compact[2:], "EL"
    if prefix == "EU" or _iso(prefix) not in EU_MEMBERS:
        return compact, False
    try:
        eu_vat.validate(compact)
    except ValidationError:
        return compact, False
    return compact, True


def _choose_address(
    addresses: Sequence[Document], address_id: object, first: object, last: object
) -> Document:
    wanted = str(address_id)
    for address in addresses:
        if str(address.get("id")) == wanted:
            return address
    for address in addresses:
        if address.get("firstname") == first and address.get("lastname") == last:
            return address
    return addresses[0]


def _money(text: str) -> Decimal:
    return D(text).quantize(CENT, ROUND_HALF_UP)


def _shop_round(value: Decimal, mode: int) -> Decimal:
    if mode == 5:  # half-odd
        down = value.quantize(CENT, rounding=ROUND_DOWN)
        if abs(value - down) * 2 != CENT:
            return value.quantize(CENT, rounding=ROUND_HALF_UP)
        return down if int(down.scaleb(2)) % 10 % 2 == 1 else down + CENT.copy_sign(value)
    return value.quantize(CENT, rounding=_SHOP_ROUNDING.get(mode, ROUND_HALF_UP))


def _percent(fraction: Decimal, places: int) -> Decimal:
    """A fraction rounded to `places` decimals as a VAT percentage, without trailing zeros."""
    rate = fraction.quantize(_Q[places], ROUND_HALF_UP)
    if 0 < rate < 1:
        rate = rate * 100
    return _normal_rate(rate)


def _normal_rate(rate: Decimal) -> Decimal:
    rate = rate.quantize(CENT, ROUND_HALF_UP)
    whole = rate.to_integral_value()
    return whole if rate == whole else rate.normalize()


def _unit_price(amount: Decimal, quantity: Decimal) -> Decimal:
    """At most 4 decimals, at least 2."""
    rounded = (amount / quantity).quantize(_Q[4], ROUND_HALF_UP)
    cents = rounded.quantize(CENT, ROUND_HALF_UP)
    return cents if cents == rounded else rounded.normalize()


# quantity, description, SKU, VAT rate, amount incl. VAT, whether it is the rounding line
Line = tuple[Decimal, str, str | None, Decimal, Decimal, bool]


Invoice = tuple[Document, Document, str, Document, str, str, str, list[Line], Decimal]


def hand_invoice(  # noqa: C901 — the whole mapping, top down
    document: Document, config: HandConfig
) -> Invoice:
    """What both formats are written from: order, customer, day, invoice address, country,
    VAT number, VAT scheme, the lines and the total paid."""
    order = document["order"]
    if str(order["current_state"]) not in config.invoice_states:
        raise Rejected(f"order state {order['current_state']} makes no invoice yet")
    customer = document["customer"]
    mode = int(order["round_mode"]) or 2
    round_type = int(order["round_type"])
    day = order["date_add"][:10]
    if not day[:4].isdigit() or day.startswith("0000"):
        raise ValueError(f"order date {order['date_add']!r}")
    address = _choose_address(
        document["addresses"],
        order["id_address_invoice"],
        customer["firstname"],
        customer["lastname"],
    )
    country = _iso(document["countries"][str(address["id_country"])]["iso_code"])
    vat_no, vat_valid = _vat_number(address["vat_number"])

    shipping = _money(order["total_shipping_tax_incl"])
    shipping_excl = _money(order["total_shipping_tax_excl"])
    wrapping = _money(order["total_wrapping_tax_incl"])
    wrapping_excl = _money(order["total_wrapping_tax_excl"])
    discount = _money(order["total_discounts_tax_incl"])
    paid = _money(order["total_paid_tax_incl"])
    no_vat = paid != 0 and paid == _money(order["total_paid_tax_excl"])
    scheme = "domestic"
    if no_vat and country != config.shop_country:
        scheme = "icp" if _in_eu(country, day) else "export"
    if scheme == "icp" and not vat_valid:
        raise Rejected(f"ICP order to {country} without a valid VAT number")

    # Order lines, as the shop rule set makes them.
    lines: list[Line] = []
    weights: dict[Decimal, Decimal] = {}  # amount incl per VAT rate, for the discount split
    articles = _ZERO
    for row in order["associations"]["order_rows"] or ():
        quantity = D(row["product_quantity"])
        if quantity == 0:
            continue
        sku = row["product_reference"] or document["products"][str(row["product_id"])]["reference"]
        unit = D(row["unit_price_tax_incl"])
        unit_excl = D(row["unit_price_tax_excl"])
        rate = _percent(unit / unit_excl - 1 if unit_excl else _ZERO, 3)
        if round_type == 1:  # each item rounded as the shop does
            amount = _shop_round(unit, mode) * quantity
        elif round_type == 3:  # the shop rounds only its total: the line to the nearest cent
            amount = (unit * quantity).quantize(CENT, ROUND_HALF_UP)
        else:
            amount = _shop_round(unit * quantity, mode)
        lines.append((quantity, row["product_name"], sku, rate, amount, False))
        weights[rate] = weights.get(rate, _ZERO) + amount
        articles += amount
    gap = paid - (articles + shipping + wrapping - discount)
    if abs(gap) > CENT * len(lines):
        raise Rejected(f"order total {paid} differs {gap} from its lines")
    if shipping != 0:
        rate = _ZERO if shipping == shipping_excl else _normal_rate(D(order["carrier_tax_rate"]))
        lines.append((_ONE, "Verzendkosten", None, rate, shipping, False))
    if discount:
        rates = sorted(weights, reverse=True)
        for rate, part in zip(rates, split(-discount, [weights[r] for r in rates])):
            lines.append((_ONE, "Korting", None, rate, part, False))
    if wrapping != 0:
        fraction = wrapping / wrapping_excl - 1 if wrapping_excl else _ZERO
        low, high = _WRAPPING_21
        rate = D(21) if low < fraction < high else _percent(fraction, 2)
        lines.append((_ONE, "Toeslag", None, rate, wrapping, False))
    if gap != 0:
        lines.append((_ONE, "Afronding", None, _ZERO, gap, True))  # the shop rules' own text

    return order, customer, day, address, country, vat_no, scheme, lines, paid


def hand_written(document: Document, config: HandConfig | None = None, label: str = LABEL) -> str:
    """One <SalesInvoice> element (indented as inside SalesInvoices) for one fetched order."""
    config = config or default_config()
    order, customer, day, address, country, vat_no, scheme, lines, paid = hand_invoice(
        document, config
    )
    # The Yuki invoice.
    first, last = address["firstname"], address["lastname"]
    company = address["company"] or ""
    default_method = config.default_payment_method
    comment = f"order {order['id']} by mapper: {label}".replace("--", "- -")
    out = [
        "  <SalesInvoice>\n",
        f"    <!-- {comment} -->\n",
        f"    <Subject>Bestelling {escape(order['reference'])}</Subject>\n",
        f"    <PaymentMethod>{config.payment_methods.get(order['module'], default_method)}"
        "</PaymentMethod>\n",
        "    <Process>false</Process>\n",
        "    <EmailToCustomer>false</EmailToCustomer>\n",
        f"    <Date>{day}</Date>\n",
    ]
    note = (order.get("note") or "").strip()
    if note:
        out.append(f"    <Remarks>{escape(note)}</Remarks>\n")
    out.append("    <Contact>\n")
    for name, value in (
        ("FullName", f"{first} {last}"),
        ("FirstName", first),
        ("LastName", last),
        ("Gender", "Unknown"),
        ("CountryCode", country),
        ("City", address["city"]),
        ("Zipcode", address["postcode"]),
        ("AddressLine_1", address["address1"]),
        ("AddressLine_2", address["address2"]),
        ("CoCNumber", customer.get("siret") or ""),
        ("VATNumber", vat_no),
        ("ContactType", "Company" if company else "Person"),
        ("PhoneHome", address["phone"] or address["phone_mobile"]),
    ):
        if value:
            out.append(f"      <{name}>{escape(value)}</{name}>\n")
    out.append("    </Contact>\n    <ContactPerson>\n")
    for name, value in (
        ("FirstName", first),
        ("LastName", last),
        ("Gender", "Unknown"),
        ("EmailAddress", customer["email"]),
    ):
        if value:
            out.append(f"      <{name}>{escape(value)}</{name}>\n")
    out.append("    </ContactPerson>\n    <InvoiceLines>\n")
    priced = D("0.00")
    vat_codes = config.vat_codes
    rounding_text, rounding_type, rounding_account = config.rounding
    for quantity, description, sku, rate, amount, rounding in lines:
        if rounding:
            vat_type, account = rounding_type, rounding_account
        else:
            code = vat_codes.get((scheme, rate))
            if code is None:
                raise Rejected(f"no Yuki VAT code for {rate} % ({scheme}, {country})")
            vat_type, account = code
        price = _unit_price(amount, quantity)
        priced += (quantity * price).quantize(CENT, ROUND_HALF_UP)
        out.append(
            "      <InvoiceLine>\n"
            f"        <ProductQuantity>{quantity:f}</ProductQuantity>\n"
            "        <Product>\n"
            f"          <Description>{escape(description)}</Description>\n"
        )
        if sku:
            out.append(f"          <Reference>{escape(sku)}</Reference>\n")
        out.append(
            f"          <SalesPrice>{price:f}</SalesPrice>\n"
            f"          <VATPercentage>{rate.quantize(CENT, ROUND_HALF_UP):f}</VATPercentage>\n"
            "          <VATIncluded>true</VATIncluded>\n"
            f"          <VATType>{vat_type}</VATType>\n"
            f"          <GLAccountCode>{account}</GLAccountCode>\n"
            "        </Product>\n"
            "      </InvoiceLine>\n"
        )
    precision_gap = paid - priced
    if precision_gap != 0:
        out.append(
            "      <InvoiceLine>\n"
            "        <ProductQuantity>1</ProductQuantity>\n"
            "        <Product>\n"
            f"          <Description>{escape(rounding_text)}</Description>\n"
            f"          <SalesPrice>{precision_gap:f}</SalesPrice>\n"
            "          <VATPercentage>0.00</VATPercentage>\n"
            "          <VATIncluded>true</VATIncluded>\n"
            f"          <VATType>{rounding_type}</VATType>\n"
            f"          <GLAccountCode>{rounding_account}</GLAccountCode>\n"
            "        </Product>\n"
            "      </InvoiceLine>\n"
        )
    out.append("    </InvoiceLines>\n  </SalesInvoice>\n")
    return "".join(out)


def hand_written_json(document: Document, config: HandConfig, label: str = LABEL) -> str:
    """One JSON line, as `mapper dry-run --format json` prints it, for one fetched order."""
    order, customer, day, address, country, vat_no, scheme, lines, paid = hand_invoice(
        document, config
    )
    first, last = address["firstname"], address["lastname"]
    company = address["company"] or ""
    method = config.payment_methods.get(order["module"], config.default_payment_method)
    vat_codes = config.vat_codes
    rounding_text, rounding_type, rounding_account = config.rounding
    invoice_lines: list[dict[str, Any]] = []
    priced = D("0.00")
    for quantity, description, sku, rate, amount, rounding in lines:
        if rounding:
            vat_type, account = rounding_type, rounding_account
        else:
            code = vat_codes.get((scheme, rate))
            if code is None:
                raise Rejected(f"no Yuki VAT code for {rate} % ({scheme}, {country})")
            vat_type, account = code
        price = _unit_price(amount, quantity)
        priced += (quantity * price).quantize(CENT, ROUND_HALF_UP)
        product: dict[str, Any] = {"Description": description}
        if sku:
            product["Reference"] = sku
        product["SalesPrice"] = f"{price:f}"
        product["VATPercentage"] = f"{rate.quantize(CENT, ROUND_HALF_UP):f}"
        product["VATIncluded"] = True
        product["VATType"] = int(vat_type)
        product["GLAccountCode"] = account
        invoice_lines.append({"ProductQuantity": f"{quantity:f}", "Product": product})
    gap = paid - priced
    if gap != 0:
        invoice_lines.append(
            {
                "ProductQuantity": 1,
                "Product": {
                    "Description": rounding_text,
                    "SalesPrice": f"{gap:f}",
                    "VATPercentage": "0.00",
                    "VATIncluded": True,
                    "VATType": int(rounding_type),
                    "GLAccountCode": rounding_account,
                },
            }
        )
    payload = {
        "Subject": f"Bestelling {order['reference']}",
        "PaymentMethod": method,
        "Process": False,
        "EmailToCustomer": False,
        "Layout": "",
        "Date": day,
        "Remarks": (order.get("note") or "").strip(),
        "Contact": {
            "FullName": f"{first} {last}",
            "FirstName": first,
            "LastName": last,
            "Gender": "Unknown",
            "CountryCode": country,
            "City": address["city"],
            "Zipcode": address["postcode"],
            "AddressLine_1": address["address1"],
            "AddressLine_2": address["address2"] or "",
            "CoCNumber": customer.get("siret") or "",
            "VATNumber": vat_no,
            "ContactType": "Company" if company else "Person",
            "PhoneHome": address["phone"] or address["phone_mobile"] or "",
        },
        "ContactPerson": {
            "FirstName": first,
            "LastName": last,
            "Gender": "Unknown",
            "EmailAddress": customer["email"],
        },
        "InvoiceLines": {"InvoiceLine": invoice_lines},
    }
    line = {"order": str(order["id"]), "rules": label, "payload": payload}
    return json.dumps(line, ensure_ascii=False) + "\n"


def hand_written_document(invoices: Iterable[str]) -> str:
    """The SalesInvoices document around SalesInvoice elements from `hand_written`."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<SalesInvoices xmlns="{XML_NAMESPACE}">\n' + "".join(invoices) + "</SalesInvoices>\n"
    )


# -- the two runs -------------------------------------------------------------------------------
def run_mapper(pair: Pair, documents: Sequence[Document], fmt: str = "xml") -> str:
    """Map and write each order as it comes, as `mapper dry-run` does (streamed)."""
    writer = pair.writer(fmt)
    pair = pair.writing(fmt)
    parts: list[str] = []
    for document in documents:
        outcome = pair.map(document)
        if not isinstance(outcome, Payload):
            why = outcome.reason if isinstance(outcome, Skipped) else outcome.reasons()
            raise AssertionError(f"mapper turned away order {document['order']['id']}: {why}")
        parts.append(writer.write(outcome))
    return "".join(parts) + writer.end()


def run_hand_written(
    documents: Sequence[Document], config: HandConfig, label: str, fmt: str = "xml"
) -> str:
    if fmt == "json":
        return "".join(hand_written_json(document, config, label) for document in documents)
    return hand_written_document(hand_written(document, config, label) for document in documents)


def check_identical(
    pair: Pair, documents: Sequence[Document], config: HandConfig, fmt: str = "xml"
) -> None:
    """Fail loudly, with a diff per order, when the two documents differ."""
    label = pair.rules
    if run_mapper(pair, documents, fmt) == run_hand_written(documents, config, label, fmt):
        return
    mismatches = []
    for document in documents:
        ours = run_hand_written([document], config, label, fmt)
        theirs = run_mapper(pair, [document], fmt)
        if ours != theirs:
            mismatches.append((document, theirs, ours))
    print(
        f"MISMATCH: {len(mismatches)} of {len(documents)} orders differ; the first ones:",
        file=sys.stderr,
    )
    for document, theirs, ours in mismatches[:3]:
        diff = difflib.unified_diff(
            theirs.splitlines(), ours.splitlines(), "mapper", "hand_written", lineterm="", n=2
        )
        print(f"-- order {document['order']['id']}", *diff, sep="\n", file=sys.stderr)
    raise SystemExit(1)


def side_by_side(
    pair: Pair,
    rounds: Iterable[Sequence[Document]],
    config: HandConfig,
    label: str,
    fmt: str,
    chunk: int,
) -> tuple[list[float], list[float], int]:
    """CPU seconds of each side per round, each round over orders of its own (none mapped
    before, so no cache holds an answer for them that a real pass would not have), timed
    `chunk` orders at a time, the two sides taking turns chunk by chunk: a machine whose
    speed drifts (other processes, clock scaling) weighs on both alike. Each chunk's two
    texts must be equal."""
    mapper_times, hand_times, size = [], [], 0
    for documents in rounds:
        # A real run streams orders from the shop page by page and holds none of them; here
        # they are all in memory. Freezing them keeps the garbage collector from re-scanning
        # thousands of order documents on every collection — for both sides alike.
        gc.collect()
        gc.freeze()
        mapper_seconds = hand_seconds = 0.0
        size = 0
        for start in range(0, len(documents), chunk):
            piece = documents[start : start + chunk]
            began = time.process_time()
            ours = run_mapper(pair, piece, fmt)
            mapper_seconds += time.process_time() - began
            began = time.process_time()
            theirs = run_hand_written(piece, config, label, fmt)
            hand_seconds += time.process_time() - began
            if ours != theirs:
                raise SystemExit(f"MISMATCH in the timed {fmt} run: the outputs differ (--check)")
            size += len(ours)
        mapper_times.append(mapper_seconds)
        hand_times.append(hand_seconds)
        gc.unfreeze()
    return mapper_times, hand_times, size


def end_to_end(
    pair: Pair,
    files: Iterable[Path],
    config: HandConfig,
    label: str,
    fmt: str,
    chunk: int,
) -> tuple[list[float], list[float]]:
    """`side_by_side` from a JSON Lines file, as `mapper dry-run FILE` runs: CPU seconds of
    each side per round (a file of orders of its own), reading included. mapper reads the file
    with its own reader (engine/documents.py: streamed, every document looked over for the
    input limits); the hand-written side with the json module's decoder, a line at a time. The
    sides take turns `chunk` orders at a time, each reading on from where it stopped."""
    mapper_times, hand_times = [], []
    for path in files:
        mapper_seconds = hand_seconds = 0.0
        with path.open(encoding="utf-8") as lines:
            ours = read_documents(path)
            while True:
                began = time.process_time()
                piece = list(itertools.islice(ours, chunk))
                written = run_mapper(pair, piece, fmt) if piece else ""
                mapper_seconds += time.process_time() - began
                began = time.process_time()
                texts = list(itertools.islice(lines, chunk))
                theirs = [_read_json(text) for text in texts]
                hand = run_hand_written(theirs, config, label, fmt) if theirs else ""
                hand_seconds += time.process_time() - began
                if written != hand or any(isinstance(d, InputProblem) for d in piece):
                    raise SystemExit(f"MISMATCH in the end-to-end {fmt} run: the outputs differ")
                if not piece:
                    break
        mapper_times.append(mapper_seconds)
        hand_times.append(hand_seconds)
    return mapper_times, hand_times


# the hand-written side's reader: the json module's, amounts as Decimal, made once
_read_json = json.JSONDecoder(parse_float=D).decode


def orders_file(documents: Sequence[Document], folder: Path, number: int) -> Path:
    """The orders as a JSON Lines file (the webservice's JSON: texts and integers only)."""
    path = folder / f"orders-{number}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
    return path


def print_ratio(
    what: str, fmt: str, count: int, mapper_times: list[float], hand_times: list[float]
) -> None:
    mapper_rate, hand_rate = count / min(mapper_times), count / min(hand_times)
    ratios = [h / m for m, h in zip(mapper_times, hand_times)]
    print(
        f"mapper ({what}):       {mapper_rate:8.0f} orders/s  "
        f"({min(mapper_times) / count * 1e6:.0f} µs per order; best of {len(mapper_times)})"
    )
    print(
        f"hand-written ({what}): {hand_rate:8.0f} orders/s  "
        f"({min(hand_times) / count * 1e6:.0f} µs per order; best of {len(hand_times)})"
    )
    print(
        f"ratio mapper / hand-written ({fmt}, {what}): "
        f"{sum(hand_times) / sum(mapper_times):.2f}  "
        f"(per run: {', '.join(f'{r:.2f}' for r in ratios)}; bar 0.5, aim 0.7)"
    )


def profile_mapper(pair: Pair, documents: Sequence[Document], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_mapper(pair, documents)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=20_000, help="orders timed (20000)")
    parser.add_argument("--check", type=int, default=500, help="orders compared first (500)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over all orders (3)")
    parser.add_argument(
        "--chunk", type=int, default=100, help="orders timed at a time, sides in turn (100)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also profile mapper over N orders and print the top functions",
    )
    parser.add_argument(
        "--format", choices=["xml", "json", "both"], default="both", help="output (both)"
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="time the mapping of parsed orders only (not also from a JSON Lines file)",
    )
    args = parser.parse_args(argv)

    began = time.perf_counter()
    pair = Pair.load(PAIR, lean=True)
    compile_seconds = time.perf_counter() - began
    label = pair.rules

    generator = OrderGenerator(args.seed)
    began = time.perf_counter()
    checked = generator.orders(max(args.check, args.profile))
    generate_seconds = time.perf_counter() - began
    config = HandConfig.from_settings(pair.source.settings, pair.target.settings)
    formats = ["xml", "json"] if args.format == "both" else [args.format]
    for fmt in formats:
        check_identical(pair, checked[: args.check], config, fmt)
    print(
        f"identical output: the first {min(args.check, len(checked))} orders "
        f"(mapper vs hand-written, byte for byte; {' and '.join(formats)})"
    )
    # Every round of every format maps orders of its own, after those checked.
    firsts = iter(range(len(checked), 10**12, args.orders))
    count = args.orders
    print(
        f"orders: {count} a round, other orders every round, of the same mix as the "
        f"{len(checked)} checked ({_describe(checked)}); generated as they are needed (not "
        f"timed: {generate_seconds / max(len(checked), 1) * count:.2f} s a round)"
    )
    print(
        f"rule sets {label}: loaded, validated, compiled and bound once in "
        f"{compile_seconds * 1000:.0f} ms"
    )
    for fmt in formats:
        rounds = (generator.orders(count, next(firsts)) for _ in range(args.repeat))
        mapper_times, hand_times, size = side_by_side(pair, rounds, config, label, fmt, args.chunk)
        print(f"-- {fmt.upper()}: {size / 1e6:.1f} MB a round, identical on both sides")
        print_ratio("map + render", fmt, count, mapper_times, hand_times)
        if not args.in_memory:
            with tempfile.TemporaryDirectory(prefix="mapper-bench-") as folder:
                files = (
                    orders_file(generator.orders(count, next(firsts)), Path(folder), number)
                    for number in range(args.repeat)
                )
                mapper_times, hand_times = end_to_end(pair, files, config, label, fmt, args.chunk)
            print_ratio("file → text", fmt, count, mapper_times, hand_times)
    if args.profile:
        profile_mapper(pair, checked[: args.profile], 30)


def _describe(documents: Sequence[Document]) -> str:
    counts: dict[str, int] = {}
    for document in documents:
        order = document["order"]
        no_vat = order["total_paid_tax_incl"] == order["total_paid_tax_excl"]
        country = document["countries"][
            str(
                _choose_address(document["addresses"], order["id_address_invoice"], None, None)[
                    "id_country"
                ]
            )
        ]
        kind = (
            "NL"
            if country["iso_code"] == "NL"
            else (
                "EU+VAT" if not no_vat else "ICP" if country["iso_code"] in EU_MEMBERS else "export"
            )
        )
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {number}" for kind, number in sorted(counts.items()))


if __name__ == "__main__":
    main()
