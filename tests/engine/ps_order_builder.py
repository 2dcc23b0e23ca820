"""Build PrestaShop fetched order documents for the engine tests.

The shape is what the fetcher stores for one order: the webservice's JSON resources verbatim
(`order`, `customer`, the customer's `addresses`, `countries` by id). Amounts are strings with six
decimals, as PrestaShop sends them. Totals are computed the way the shop computes them for its
`round_type` (1 per item, 2 per line, 3 on the total) and `round_mode`, so a generated order is
always one a real shop could have stored.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
)
from pathlib import Path
from typing import Any

D = Decimal
CENT = D("0.01")
_MODES = {0: ROUND_CEILING, 1: ROUND_FLOOR, 2: ROUND_HALF_UP, 3: ROUND_HALF_DOWN, 4: ROUND_HALF_EVEN}

COUNTRIES = {
    1: ("DE", "Germany"),
    3: ("BE", "Belgium"),
    8: ("FR", "France"),
    13: ("NL", "Netherlands"),
    21: ("US", "United States"),
}


def six(value: object) -> str:
    """An amount as PrestaShop writes it: six decimals."""
    return format(D(str(value)).quantize(D("0.000001"), ROUND_HALF_UP), "f")


def shop_round(value: Decimal, mode: int) -> Decimal:
    """Tools::ps_round to cents: PS_ROUND_UP 0, DOWN 1, HALF_UP 2, HALF_DOWN 3, HALF_EVEN 4,
    HALF_ODD 5 (a tie goes to the odd cent)."""
    if mode != 5:
        return value.quantize(CENT, _MODES[mode])
    toward_zero = value.quantize(CENT, ROUND_DOWN)
    if abs(value - toward_zero) != D("0.005"):
        return value.quantize(CENT, ROUND_HALF_UP)
    if int(abs(toward_zero) * 100) % 2 == 1:
        return toward_zero
    return toward_zero + CENT.copy_sign(value)


def country(country_id: int) -> dict[str, Any]:
    iso, name = COUNTRIES[country_id]
    return {
        "id": country_id, "id_zone": "1", "id_currency": "0", "call_prefix": "0",
        "iso_code": iso, "active": "1", "contains_states": "0",
        "need_identification_number": "0", "need_zip_code": "1", "zip_code_format": "",
        "display_tax_label": "1", "name": [{"id": "1", "value": name}],
    }


def address(
    address_id: int, customer_id: int, country_id: int, first: str, last: str, *,
    company: str = "", vat: str = "", street: str = "Lindengracht 8",
    postcode: str = "1015 KE", city: str = "Amsterdam", phone: str = "020 555 0101",
) -> dict[str, Any]:
    return {
        "id": address_id, "id_customer": str(customer_id), "id_manufacturer": "0",
        "id_supplier": "0", "id_warehouse": "0", "id_country": str(country_id), "id_state": "0",
        "alias": "Thuis", "company": company, "lastname": last, "firstname": first,
        "vat_number": vat, "address1": street, "address2": "", "postcode": postcode,
        "city": city, "other": "", "phone": phone, "phone_mobile": "", "dni": "",
        "deleted": "0", "date_add": "2026-01-05 10:00:00", "date_upd": "2026-01-05 10:00:00",
    }


def customer(customer_id: int, first: str, last: str, email: str) -> dict[str, Any]:
    return {
        "id": customer_id, "id_default_group": "3", "id_lang": "1", "deleted": "0",
        "passwd": "", "lastname": last, "firstname": first, "email": email, "id_gender": "0",
        "birthday": "0000-00-00", "newsletter": "0", "optin": "0", "website": "", "company": "",
        "active": "1", "note": "", "is_guest": "0", "id_shop": "1", "id_shop_group": "1",
        "date_add": "2026-01-05 09:00:00", "date_upd": "2026-01-05 09:00:00",
    }


def row(
    row_id: int, product_id: int, name: str, reference: str, quantity: int,
    unit_incl: object, rate: object,
) -> dict[str, Any]:
    """An order row; the unit price excl. VAT is derived from the one incl. VAT and the rate."""
    incl = D(str(unit_incl))
    excl = incl / (1 + D(str(rate)) / 100)
    return {
        "id": str(row_id), "product_id": str(product_id), "product_attribute_id": "0",
        "product_quantity": str(quantity), "product_name": name,
        "product_reference": reference, "product_ean13": "", "product_isbn": "",
        "product_upc": "", "product_price": six(excl), "id_customization": "0",
        "unit_price_tax_incl": six(incl), "unit_price_tax_excl": six(excl),
    }


def products_total(rows: Sequence[dict[str, Any]], key: str, round_type: int, mode: int) -> Decimal:
    """The products total as the shop rounds it: per item (1), per line (2), or once (3)."""
    units = [(D(r[key]), D(r["product_quantity"])) for r in rows]
    if round_type == 1:
        return sum((shop_round(u, mode) * q for u, q in units), D("0.00"))
    if round_type == 2:
        return sum((shop_round(u * q, mode) for u, q in units), D("0.00"))
    return shop_round(sum((u * q for u, q in units), D(0)), mode)


def order(
    order_id: int, reference: str, rows: list[dict[str, Any]], *,
    customer_id: int = 7, invoice_address: int = 11, delivery_address: int = 11,
    module: str = "bankwire", payment: str = "Bank wire", date: str = "2026-03-02 14:05:09",
    shipping: tuple[str, str, str] = ("0", "0", "0"), discount: tuple[str, str] = ("0", "0"),
    round_type: int = 2, round_mode: int = 2, paid: str | None = None,
) -> dict[str, Any]:
    """An order resource; shipping is (incl, excl, carrier rate), discount (incl, excl)."""
    products_incl = products_total(rows, "unit_price_tax_incl", round_type, round_mode)
    products_excl = products_total(rows, "unit_price_tax_excl", round_type, round_mode)
    ship_incl, ship_excl, carrier_rate = shipping
    disc_incl, disc_excl = discount
    total_incl = products_incl + D(ship_incl) - D(disc_incl)
    total_excl = products_excl + D(ship_excl) - D(disc_excl)
    if paid is not None:
        total_incl = D(paid)
    return {
        "id": order_id, "id_address_delivery": str(delivery_address),
        "id_address_invoice": str(invoice_address), "id_cart": str(order_id),
        "id_currency": "1", "id_lang": "1", "id_customer": str(customer_id), "id_carrier": "2",
        "current_state": "2", "module": module, "invoice_number": "0",
        "invoice_date": "0000-00-00 00:00:00", "delivery_number": "0",
        "delivery_date": "0000-00-00 00:00:00", "valid": "1", "date_add": date,
        "date_upd": date, "shipping_number": "", "id_shop_group": "1", "id_shop": "1",
        "secure_key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "payment": payment, "recyclable": "0",
        "gift": "0", "gift_message": "", "mobile_theme": "0",
        "total_discounts": six(disc_incl), "total_discounts_tax_incl": six(disc_incl),
        "total_discounts_tax_excl": six(disc_excl), "total_paid": six(total_incl),
        "total_paid_tax_incl": six(total_incl), "total_paid_tax_excl": six(total_excl),
        "total_paid_real": six(total_incl), "total_products": six(products_excl),
        "total_products_wt": six(products_incl), "total_shipping": six(ship_incl),
        "total_shipping_tax_incl": six(ship_incl), "total_shipping_tax_excl": six(ship_excl),
        "carrier_tax_rate": format(D(carrier_rate), "f"), "total_wrapping": "0.000000",
        "total_wrapping_tax_incl": "0.000000", "total_wrapping_tax_excl": "0.000000",
        "round_mode": str(round_mode), "round_type": str(round_type), "conversion_rate": "1.000000",
        "reference": reference, "associations": {"order_rows": rows},
    }


def document(
    the_order: dict[str, Any], the_customer: dict[str, Any], addresses: list[dict[str, Any]],
) -> dict[str, Any]:
    country_ids = {int(a["id_country"]) for a in addresses}
    return {
        "order": the_order,
        "customer": the_customer,
        "addresses": addresses,
        "countries": {str(i): country(i) for i in sorted(country_ids)},
    }


_SAMPLE: dict[str, Any] | None = None


def sample_document(order_id: int = 1042, reference: str = "QWZTRPLMX") -> dict[str, Any]:
    """A Dutch consumer's order: two articles at 21 % and 9 %, shipping, a € 5 discount.

    Totals: 2 × 14.95 + 3 × 4.49 + 4.95 − 5.00 = 43.32.
    """
    global _SAMPLE
    if _SAMPLE is None:
        rows = [
            row(101, 3, "Badslippers maat 39", "BS-39", 2, "14.95", "21"),
            row(102, 5, "Thee Earl Grey 100 g", "TEA-EG", 3, "4.49", "9"),
        ]
        _SAMPLE = document(
            order(1042, "QWZTRPLMX", rows, shipping=("4.95", "4.090909", "21.000"),
                  discount=("5.00", "4.35")),
            customer(7, "Sophie", "Fischer", "sophie@example.nl"),
            [address(11, 7, 13, "Sophie", "Fischer")],
        )
    result = copy.deepcopy(_SAMPLE)
    result["order"]["id"] = order_id
    result["order"]["id_cart"] = str(order_id)
    result["order"]["reference"] = reference
    return result


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
