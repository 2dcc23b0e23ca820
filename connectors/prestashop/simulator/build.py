"""Builds PrestaShop order, customer and address objects from small specs, with consistent money.

The amounts follow PrestaShop's own arithmetic for a shop that rounds per line, half up
(`round_type` "2", `round_mode` "2"): unit prices incl. VAT have 2 decimals, `unit_price_tax_excl`
is incl / (1 + rate) to 6 decimals; `total_products_wt` = Σ incl × qty, `total_products` =
Σ round(excl × qty, 2); shipping and gift wrapping carry 21 %; a voucher is split over the rates in
proportion to the lines. VAT-free orders (intra-community supplies to companies with a VAT number,
exports outside the EU) have every *_tax_incl equal to its *_tax_excl.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .catalog import (
    CARRIER_ID,
    CATALOGUE,
    COUNTRY_ID,
    FREE_SHIPPING_FROM,
    SHIPPING_INCL,
    WRAPPING_INCL,
    JsonObject,
    six,
    state_flag,
)

NO_DATE = "0000-00-00 00:00:00"
_CARRIER_VAT = Decimal("21")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _without_vat(incl: Decimal, rate: Decimal) -> Decimal:
    return cents(incl / (1 + rate / 100))


@dataclass(frozen=True)
class LineSpec:
    product_id: int
    quantity: int = 1
    option: int | None = None  # index into the product's combination options


@dataclass(frozen=True)
class OrderSpec:
    """Everything that makes one order; the amounts are computed from it."""

    order_id: int
    customer_id: int
    invoice_address_id: int
    delivery_address_id: int
    country: str  # ISO code of the delivery country
    lines: tuple[LineSpec, ...]
    state_id: int
    date_add: str
    date_upd: str
    reference: str
    secure_key: str
    payment: tuple[str, str]
    id_lang: str = "2"
    vat_free: bool = False
    paid_at: str | None = None  # when the order reached a paid state, if it did
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None  # a fixed voucher, incl. VAT
    gift_message: str | None = None  # not None = gift-wrapped
    total_error: Decimal = Decimal("0")  # added to the totals: an order that does not add up
    note: str = ""


@dataclass(frozen=True)
class CustomerSpec:
    customer_id: int
    firstname: str
    lastname: str
    email: str
    date_add: str
    id_lang: str = "2"
    company: str = ""
    gender: str = "1"
    birthday: str = "0000-00-00"
    newsletter: bool = False
    is_guest: bool = False
    secure_key: str = ""
    passwd: str = ""


@dataclass(frozen=True)
class AddressSpec:
    address_id: int
    customer_id: int
    country: str
    firstname: str
    lastname: str
    address1: str
    postcode: str
    city: str
    date_add: str
    alias: str = "Mijn adres"
    company: str = ""
    vat_number: str = ""
    address2: str = ""
    id_state: str = "0"
    phone: str = ""
    phone_mobile: str = ""
    other: str = ""
    deleted: bool = False


def _line_row(spec: OrderSpec, index: int, line: LineSpec) -> tuple[JsonObject, Decimal, Decimal]:
    """One `order_row` and its line totals (incl, excl)."""
    item = CATALOGUE[line.product_id]
    excl = item.price_excl
    incl = excl if spec.vat_free else item.price_incl
    name = item.names.get(spec.id_lang, item.names["1"])
    attribute = "0"
    if line.option is not None and item.options:
        name = f"{name} - {item.options[line.option]}"
        attribute = str(item.id * 10 + line.option + 1)
    row = {
        "id": str(spec.order_id * 10 + index + 1),
        "product_id": str(item.id),
        "product_attribute_id": attribute,
        "product_quantity": str(line.quantity),
        "product_name": name,
        "product_reference": item.reference,
        "product_ean13": item.ean13,
        "product_isbn": "",
        "product_upc": "",
        "product_price": six(excl),
        "id_customization": "0",
        "unit_price_tax_incl": six(incl),
        "unit_price_tax_excl": six(excl),
    }
    line_excl = cents(excl * line.quantity)
    line_incl = line_excl if spec.vat_free else incl * line.quantity
    return row, line_incl, line_excl


def _discount(spec: OrderSpec, products_wt: Decimal, products: Decimal) -> tuple[Decimal, Decimal]:
    if spec.discount_percent is not None:
        share = spec.discount_percent / 100
        return cents(products_wt * share), cents(products * share)
    if spec.discount_amount is not None:
        if spec.vat_free:
            amount = min(_without_vat(spec.discount_amount, _CARRIER_VAT), products)
            return amount, amount
        incl = min(spec.discount_amount, products_wt)
        return incl, cents(incl * products / products_wt)
    return Decimal("0"), Decimal("0")


def build_order(spec: OrderSpec) -> JsonObject:
    """The order as GET /api/orders/{id}?output_format=JSON gives it (the "order" value)."""
    rows: list[JsonObject] = []
    products_wt = products = Decimal("0")
    for index, line in enumerate(spec.lines):
        row, line_incl, line_excl = _line_row(spec, index, line)
        rows.append(row)
        products_wt += line_incl
        products += line_excl

    shipping_base = SHIPPING_INCL[spec.country]
    if spec.country == "NL" and products_wt >= FREE_SHIPPING_FROM:
        shipping_base = Decimal("0")
    shipping_excl = _without_vat(shipping_base, _CARRIER_VAT)
    shipping_incl = shipping_excl if spec.vat_free else shipping_base
    wrapped = spec.gift_message is not None
    wrapping_excl = _without_vat(WRAPPING_INCL, _CARRIER_VAT) if wrapped else Decimal("0")
    wrapping_incl = wrapping_excl if spec.vat_free or not wrapped else WRAPPING_INCL
    discount_incl, discount_excl = _discount(spec, products_wt, products)

    paid_incl = products_wt + shipping_incl + wrapping_incl - discount_incl + spec.total_error
    paid_excl = products + shipping_excl + wrapping_excl - discount_excl + spec.total_error
    order: JsonObject = {
        "id": spec.order_id,
        "id_address_delivery": str(spec.delivery_address_id),
        "id_address_invoice": str(spec.invoice_address_id),
        "id_cart": str(spec.order_id + 1000),
        "id_currency": "1",
        "id_lang": spec.id_lang,
        "id_customer": str(spec.customer_id),
        "id_carrier": CARRIER_ID[spec.country],
        "current_state": "0",
        "module": spec.payment[0],
        "invoice_number": "0",
        "invoice_date": NO_DATE,
        "delivery_number": "0",
        "delivery_date": NO_DATE,
        "valid": "0",
        "date_add": spec.date_add,
        "date_upd": spec.date_add,
        "shipping_number": "",
        "note": spec.note,
        "id_shop_group": "1",
        "id_shop": "1",
        "secure_key": spec.secure_key,
        "payment": spec.payment[1],
        "recyclable": "0",
        "gift": "1" if wrapped else "0",
        "gift_message": spec.gift_message or "",
        "mobile_theme": "0",
        "total_discounts": six(discount_incl),
        "total_discounts_tax_incl": six(discount_incl),
        "total_discounts_tax_excl": six(discount_excl),
        "total_paid": six(paid_incl),
        "total_paid_tax_incl": six(paid_incl),
        "total_paid_tax_excl": six(paid_excl),
        "total_paid_real": six(Decimal("0")),
        "total_products": six(products),
        "total_products_wt": six(products_wt),
        "total_shipping": six(shipping_incl),
        "total_shipping_tax_incl": six(shipping_incl),
        "total_shipping_tax_excl": six(shipping_excl),
        "carrier_tax_rate": "0.000" if spec.vat_free else "21.000",
        "total_wrapping": six(wrapping_incl),
        "total_wrapping_tax_incl": six(wrapping_incl),
        "total_wrapping_tax_excl": six(wrapping_excl),
        "round_mode": "2",
        "round_type": "2",
        "conversion_rate": "1.000000",
        "reference": spec.reference,
        "associations": {"order_rows": rows},
    }
    if spec.paid_at is not None and spec.paid_at != spec.date_upd:
        apply_state(order, 2, spec.paid_at)
    apply_state(order, spec.state_id, spec.date_upd)
    return order


def apply_state(order: JsonObject, state_id: int, when: str) -> None:
    """Move `order` to `state_id` at `when`, as PrestaShop's OrderHistory does.

    A state with the `invoice` flag gives the order its invoice number (here: the order id) the
    first time; `delivery` its delivery slip; `shipped` a tracking number; `paid` records the amount
    received. `valid` follows the `logable` flag.
    """
    order["current_state"] = str(state_id)
    order["date_upd"] = when
    if state_flag(state_id, "logable"):
        order["valid"] = "1"
    elif state_id in (6, 8):
        order["valid"] = "0"
    if state_flag(state_id, "invoice") and order["invoice_number"] == "0":
        order["invoice_number"] = str(order["id"])
        order["invoice_date"] = when
    if state_flag(state_id, "delivery") and order["delivery_number"] == "0":
        order["delivery_number"] = str(order["id"])
        order["delivery_date"] = when
    if state_flag(state_id, "shipped") and not order["shipping_number"]:
        order["shipping_number"] = f"3STEST{int(order['id']):09d}"
    if state_flag(state_id, "paid"):
        order["total_paid_real"] = order["total_paid"]


def build_customer(spec: CustomerSpec) -> JsonObject:
    """The customer as GET /api/customers/{id}?output_format=JSON gives it."""
    return {
        "id": spec.customer_id,
        "id_default_group": "2" if spec.is_guest else "3",
        "id_lang": spec.id_lang,
        "newsletter_date_add": spec.date_add if spec.newsletter else NO_DATE,
        "ip_registration_newsletter": "",
        "last_passwd_gen": spec.date_add,
        "secure_key": spec.secure_key,
        "deleted": "0",
        "passwd": spec.passwd,
        "lastname": spec.lastname,
        "firstname": spec.firstname,
        "email": spec.email,
        "id_gender": spec.gender,
        "birthday": spec.birthday,
        "newsletter": "1" if spec.newsletter else "0",
        "optin": "0",
        "website": "",
        "company": spec.company,
        "siret": "",
        "ape": "",
        "outstanding_allow_amount": "0.000000",
        "show_public_prices": "0",
        "id_risk": "0",
        "max_payment_days": "0",
        "active": "1",
        "note": "",
        "is_guest": "1" if spec.is_guest else "0",
        "id_shop": "1",
        "id_shop_group": "1",
        "date_add": spec.date_add,
        "date_upd": spec.date_add,
        "reset_password_token": "",
        "reset_password_validity": NO_DATE,
        "associations": {"groups": [{"id": "2" if spec.is_guest else "3"}]},
    }


def build_address(spec: AddressSpec) -> JsonObject:
    """The address as GET /api/addresses/{id}?output_format=JSON gives it."""
    return {
        "id": spec.address_id,
        "id_customer": str(spec.customer_id),
        "id_manufacturer": "0",
        "id_supplier": "0",
        "id_warehouse": "0",
        "id_country": str(COUNTRY_ID[spec.country]),
        "id_state": spec.id_state,
        "alias": spec.alias,
        "company": spec.company,
        "lastname": spec.lastname,
        "firstname": spec.firstname,
        "vat_number": spec.vat_number,
        "address1": spec.address1,
        "address2": spec.address2,
        "postcode": spec.postcode,
        "city": spec.city,
        "other": spec.other,
        "phone": spec.phone,
        "phone_mobile": spec.phone_mobile,
        "dni": "",
        "deleted": "1" if spec.deleted else "0",
        "date_add": spec.date_add,
        "date_upd": spec.date_add,
    }
