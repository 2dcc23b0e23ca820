"""Seed data and an order generator for the Shopify simulator.

A small Dutch shop ("Spaakwiel", shop currency EUR, Europe/Amsterdam) in the shape of the Admin
REST API 2024-07 `GET orders/{id}.json` body. Amounts are `Decimal` here; on the wire money is a
string with two decimals, `tax_lines[].rate` a JSON number (a fraction: 0.21).

How Shopify computes an order, and so how this module does (FORMATS.md §8):
- line `price` is the unit price, gross when `taxes_included`, net when not;
- a discount code is allocated over the lines (`discount_allocations`, in the same gross/net
  sense as `price`); the legacy `total_discount` stays "0.00";
- the tax of a line is computed on its price after discounts and rounded per line (half up
  here), in `tax_lines[{price, rate, title}]`; shipping lines are taxed the same way;
- `total_price = subtotal_price + shipping (+ total_tax when taxes are not included)`;
- every amount has a `*_set` with `shop_money` and `presentment_money`; with a presentment
  currency other than the shop's, the presentment amounts are the shop amounts times a rate.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..simulation import COMPANY_VAT_NUMBERS, FIRST_NAMES, LAST_NAMES, PLACES

SHOP_TIMEZONE = ZoneInfo("Europe/Amsterdam")
SHOP_CURRENCY = "EUR"
CENT = Decimal("0.01")
HIGH, LOW = Decimal("0.21"), Decimal("0.09")
PAID_STATUSES = frozenset({"paid", "partially_refunded"})
# Presentment currencies (Shopify Markets) and what one EUR is in them.
EXCHANGE = {"EUR": Decimal(1), "USD": Decimal("1.0850"), "GBP": Decimal("0.8420"),
            "DKK": Decimal("7.4600")}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def cents(value: Decimal) -> str:
    """Money as the API writes it: "29.35"."""
    return format(money(value), "f")


@dataclass(frozen=True)
class Product:
    product_id: int
    variant_id: int
    title: str
    variant_title: str | None
    sku: str
    price: Decimal  # as entered in the admin: incl. VAT for a taxes_included shop
    rate: Decimal


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    address1: str
    zip: str
    city: str
    country_code: str = "NL"
    company: str | None = None
    phone: str | None = None
    vat_number: str = ""
    customer_id: int | None = 0  # 0: derived from the email; None: no customer (POS)


@dataclass(frozen=True)
class Discount:
    code: str
    percent: Decimal | None = None
    amount: Decimal | None = None  # fixed_amount, allocated across the lines


@dataclass
class OrderSpec:
    """One order as a shop owner would describe it; `build_order` computes the rest."""

    order_id: int
    number: int
    person: Person
    items: tuple[tuple[Product, int], ...]
    created: datetime
    financial_status: str = "paid"
    taxes_included: bool = True
    tax_exempt: bool = False
    shipping: tuple[str, str, Decimal] = ("PostNL Standaard", "postnl-standard", Decimal("6.95"))
    discount: Discount | None = None
    presentment_currency: str = SHOP_CURRENCY
    gateway: str = "mollie"
    note: str | None = None
    modified: datetime | None = None
    cancelled: bool = False


COUNTRIES = {"NL": "Netherlands", "BE": "Belgium", "DE": "Germany", "FR": "France",
             "US": "United States", "GB": "United Kingdom", "NO": "Norway", "DK": "Denmark"}

CATALOGUE = (
    Product(8011001, 45011001, "Fietsbel Classic", "Chroom", "SPK-BEL-CHR", Decimal("12.95"), HIGH),
    Product(8011002, 45011002, "Binnenband 28 inch", None, "SPK-BAND-28", Decimal("8.49"), HIGH),
    Product(8011003, 45011003, "LED-verlichtingsset", None, "SPK-LED-SET", Decimal("34.99"), HIGH),
    Product(8011004, 45011004, "Fietskaart Veluwe", None, "SPK-KAART-VEL", Decimal("11.50"), LOW),
    Product(8011005, 45011005, "Boek: Fietsen door Nederland", None, "SPK-BOEK-NL",
            Decimal("24.95"), LOW),
    Product(8011006, 45011006, "Kettingolie 100 ml", None, "SPK-OLIE-100", Decimal("7.25"), HIGH),
    Product(8011007, 45011007, "Fietstas Waterdicht", "Zwart", "SPK-TAS-ZW", Decimal("59.00"), HIGH),
    Product(8011008, 45011008, "Energierepen (doos van 12)", None, "SPK-REP-12", Decimal("17.40"), LOW),
)
SHIPPING = (("PostNL Standaard", "postnl-standard", Decimal("6.95")),
            ("DHL Express", "dhl-express", Decimal("12.50")),
            ("Gratis verzending", "free", Decimal("0.00")))
GATEWAYS = ("mollie", "shopify_payments", "paypal", "manual")


def _set(amount: Decimal, spec: OrderSpec) -> dict[str, Any]:
    """A money bag: shop money, and presentment money at the order's exchange rate."""
    other = spec.presentment_currency
    return {"shop_money": {"amount": cents(amount), "currency_code": SHOP_CURRENCY},
            "presentment_money": {"amount": cents(amount * EXCHANGE[other]), "currency_code": other}}


def _priced(amount: Decimal, spec: OrderSpec, key: str = "price") -> dict[str, Any]:
    return {key: cents(amount), f"{key}_set": _set(amount, spec)}


def _tax(line_amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    return money(line_amount * rate / (1 + rate) if included else line_amount * rate)


def _tax_lines(tax: Decimal, rate: Decimal, spec: OrderSpec) -> list[dict[str, Any]]:
    if spec.tax_exempt or rate == 0:
        return []
    return [{"channel_liable": False, **_priced(tax, spec), "rate": rate,
             "title": f"NL BTW {rate * 100:.0f}%" if spec.person.country_code == "NL"
             else f"{spec.person.country_code} VAT"}]


def _allocations(spec: OrderSpec, gross: list[Decimal]) -> list[Decimal]:
    """What the order's discount takes off each line, to the cent."""
    if spec.discount is None:
        return [Decimal(0)] * len(gross)
    if spec.discount.percent is not None:
        return [money(g * spec.discount.percent / 100) for g in gross]
    amount = money(spec.discount.amount or Decimal(0))
    total, left, parts = sum(gross, Decimal(0)), amount, []
    for index, g in enumerate(gross):
        part = left if index == len(gross) - 1 else money(amount * g / total)
        parts.append(part)
        left -= part
    return parts


def _address(person: Person) -> dict[str, Any]:
    return {
        "first_name": person.first_name, "address1": person.address1, "phone": person.phone,
        "city": person.city, "zip": person.zip, "province": None,
        "country": COUNTRIES[person.country_code], "last_name": person.last_name,
        "address2": "", "company": person.company, "latitude": None, "longitude": None,
        "name": f"{person.first_name} {person.last_name}", "country_code": person.country_code,
        "province_code": None,
    }


def _customer(person: Person, created: str) -> dict[str, Any] | None:
    if person.customer_id is None:
        return None
    customer_id = person.customer_id or 6100000000 + sum(map(ord, person.email)) * 7
    return {
        "id": customer_id, "email": person.email, "created_at": created, "updated_at": created,
        "first_name": person.first_name, "last_name": person.last_name, "state": "enabled",
        "note": None, "verified_email": True, "tax_exempt": bool(person.vat_number),
        "phone": person.phone, "currency": SHOP_CURRENCY, "tax_exemptions": [], "tags": "",
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
        "default_address": {"id": customer_id + 1, "customer_id": customer_id,
                            **_address(person), "country_name": COUNTRIES[person.country_code],
                            "default": True},
    }


def stamp(moment: datetime) -> str:
    """Shopify's timestamps: the shop's local time with its offset."""
    return moment.astimezone(SHOP_TIMEZONE).isoformat()


def build_order(spec: OrderSpec) -> dict[str, Any]:  # noqa: C901 — one order, field by field
    """The `GET orders/{id}.json` `order` of what `spec` describes; totals are sums of parts."""
    oid, person, incl = spec.order_id, spec.person, spec.taxes_included
    # A shop entering net prices has the catalogue's gross prices less 21 % / 9 %.
    units = [p.price if incl else money(p.price / (1 + p.rate)) for p, _ in spec.items]
    gross = [unit * quantity for unit, (_, quantity) in zip(units, spec.items, strict=True)]
    off = _allocations(spec, gross)
    lines: list[dict[str, Any]] = []
    tax_total, per_rate = Decimal(0), dict[Decimal, Decimal]()
    for index, ((product, quantity), unit, amount, discount) in enumerate(
        zip(spec.items, units, gross, off, strict=True)
    ):
        tax = Decimal(0) if spec.tax_exempt else _tax(amount - discount, product.rate, incl)
        tax_total += tax
        if tax:
            per_rate[product.rate] = per_rate.get(product.rate, Decimal(0)) + tax
        lines.append({
            "id": oid * 100 + index + 1,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{oid * 100 + index + 1}",
            "current_quantity": quantity, "fulfillable_quantity": quantity,
            "fulfillment_service": "manual", "fulfillment_status": None, "gift_card": False,
            "grams": 250, "name": product.title + (f" - {product.variant_title}"
                                                   if product.variant_title else ""),
            **_priced(unit, spec), "product_exists": True, "product_id": product.product_id,
            "properties": [], "quantity": quantity, "requires_shipping": True,
            "sku": product.sku, "taxable": True, "title": product.title,
            **_priced(Decimal(0), spec, "total_discount"), "variant_id": product.variant_id,
            "variant_inventory_management": "shopify", "variant_title": product.variant_title,
            "vendor": "Spaakwiel", "tax_lines": _tax_lines(tax, product.rate, spec),
            "duties": [],
            "discount_allocations": [
                {**_priced(discount, spec, "amount"), "discount_application_index": 0}
            ] if discount else [],
        })
    title, code, cost = spec.shipping
    if not incl:
        cost = money(cost / (1 + HIGH))
    ship_tax = Decimal(0) if spec.tax_exempt else _tax(cost, HIGH, incl)
    if ship_tax:
        per_rate[HIGH] = per_rate.get(HIGH, Decimal(0)) + ship_tax
    shipping_lines = [{
        "id": oid * 100 + 90, "carrier_identifier": None, "code": code,
        **_priced(cost, spec, "discounted_price"), "phone": None, **_priced(cost, spec),
        "requested_fulfillment_service_id": None, "source": "shopify", "title": title,
        "tax_lines": _tax_lines(ship_tax, HIGH, spec), "discount_allocations": [],
    }]
    total_tax = tax_total + ship_tax
    items = sum(gross, Decimal(0))
    discounts = sum(off, Decimal(0))
    subtotal = items - discounts
    total = subtotal + cost + (Decimal(0) if incl else total_tax)
    created = stamp(spec.created)
    updated = stamp(spec.modified or spec.created + timedelta(minutes=3))
    paid = spec.financial_status in PAID_STATUSES or spec.financial_status == "refunded"
    note_attributes = ([{"name": "vat_number", "value": person.vat_number}]
                       if person.vat_number else [])
    discount_codes, applications = [], []
    if spec.discount is not None:
        kind = "percentage" if spec.discount.percent is not None else "fixed_amount"
        value = spec.discount.percent if spec.discount.percent is not None else spec.discount.amount
        discount_codes.append({"code": spec.discount.code, "amount": cents(discounts), "type": kind})
        applications.append({"target_type": "line_item", "type": "discount_code",
                             "value": f"{value:.1f}", "value_type": kind,
                             "allocation_method": "across", "target_selection": "all",
                             "code": spec.discount.code})
    order: dict[str, Any] = {
        "id": oid, "admin_graphql_api_id": f"gid://shopify/Order/{oid}", "app_id": 580111,
        "browser_ip": f"192.0.2.{oid % 250 + 1}", "buyer_accepts_marketing": False,
        "cancel_reason": "customer" if spec.cancelled else None,
        "cancelled_at": updated if spec.cancelled else None,
        "closed_at": updated if spec.cancelled else None,
        "confirmation_number": f"K{random.Random(oid).getrandbits(36):09X}"[:10],
        "confirmed": True, "contact_email": person.email, "created_at": created,
        "currency": SHOP_CURRENCY, "customer_locale": "nl",
        "email": person.email, "estimated_taxes": False,
        "financial_status": spec.financial_status, "fulfillment_status": None,
        "name": f"#{spec.number}", "note": spec.note, "note_attributes": note_attributes,
        "number": spec.number - 1000, "order_number": spec.number,
        "payment_gateway_names": [spec.gateway],
        "presentment_currency": spec.presentment_currency, "processed_at": created,
        "source_name": "web", "tags": "",
        **_priced(subtotal, spec, "subtotal_price"),
        "tax_exempt": spec.tax_exempt,
        "tax_lines": [{**_priced(amount, spec), "rate": rate, "title": _tax_lines(
            amount, rate, spec)[0]["title"], "channel_liable": False}
            for rate, amount in sorted(per_rate.items(), reverse=True)],
        "taxes_included": incl, "test": False,
        **_priced(discounts, spec, "total_discounts"),
        **_priced(items, spec, "total_line_items_price"),
        "total_outstanding": "0.00" if paid else cents(total),
        **_priced(total, spec, "total_price"),
        "total_shipping_price_set": _set(cost, spec),
        **_priced(total_tax, spec, "total_tax"),
        "total_tip_received": "0.00", "updated_at": updated, "user_id": None,
        "billing_address": _address(person), "customer": _customer(person, created),
        "discount_applications": applications, "discount_codes": discount_codes,
        "fulfillments": [], "line_items": lines, "payment_terms": None, "refunds": [],
        "shipping_address": _address(person), "shipping_lines": shipping_lines,
    }
    for name in ("subtotal_price", "total_discounts", "total_price", "total_tax"):
        order[f"current_{name}"] = order[name]
        order[f"current_{name}_set"] = copy.deepcopy(order[f"{name}_set"])
    return order


def _bag(amount: Decimal, order: dict[str, Any]) -> dict[str, Any]:
    """A money bag of an existing order: shop money, and presentment money at its rate."""
    other = str(order["presentment_currency"])
    return {"shop_money": {"amount": cents(amount), "currency_code": order["currency"]},
            "presentment_money": {"amount": cents(amount * EXCHANGE[other]),
                                  "currency_code": other}}


def _shop(bag: dict[str, Any]) -> Decimal:
    return Decimal(bag["shop_money"]["amount"])


def _presented(bag: dict[str, Any]) -> Decimal:
    return Decimal(bag["presentment_money"]["amount"])


def _adjustment(
    kind: str, reason: str, amount: Decimal, tax: Decimal, order: dict[str, Any],
    refund_id: int, number: int,
) -> dict[str, Any]:
    return {"id": refund_id * 10 + number, "order_id": order["id"], "refund_id": refund_id,
            "amount": cents(amount), "tax_amount": cents(tax), "kind": kind, "reason": reason,
            "amount_set": _bag(amount, order), "tax_amount_set": _bag(tax, order)}


def build_refund(  # noqa: C901 — one refund, part by part
    order: dict[str, Any],
    refund_id: int,
    moment: datetime,
    quantities: dict[int, int],
    *,
    shipping: bool = False,
    amount: Decimal | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The `GET orders/{id}/refunds/{refund_id}.json` `refund` of refunding `quantities` of
    the order's lines (line item id → quantity), its shipping, and/or an `amount` (a
    `refund_discrepancy`), as Shopify's admin does it:
    - a refund line's `subtotal` is what the line was paid after its discount allocations, in
      the sense of `price` (gross when `taxes_included`), for the quantity refunded; its
      `total_tax` the line's tax for that quantity (both JSON numbers, their `*_set` strings);
    - the shipping refund is an order adjustment `shipping_refund`, its `amount` excl. tax and
      its `tax_amount`, both negative; an amount refunded beyond the rows one of kind
      `refund_discrepancy` (negative, no tax);
    - the refund transaction is in the presentment currency: what the customer gets back."""
    rows: list[dict[str, Any]] = []
    presented = Decimal(0)
    included = bool(order["taxes_included"])
    lines = {int(line["id"]): line for line in order["line_items"]}
    for line_id, quantity in quantities.items():
        line = lines[line_id]
        ordered = int(line["quantity"])
        after = Decimal(line["price"]) * ordered - sum(
            (Decimal(a["amount"]) for a in line["discount_allocations"]), Decimal(0))
        tax = sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))
        subtotal, part_tax = money(after * quantity / ordered), money(tax * quantity / ordered)
        subtotal_set, tax_set = _bag(subtotal, order), _bag(part_tax, order)
        presented += _presented(subtotal_set) + (Decimal(0) if included else _presented(tax_set))
        rows.append({
            "id": refund_id * 100 + len(rows) + 1, "quantity": quantity, "line_item_id": line_id,
            "location_id": 70110001, "restock_type": "return",
            "subtotal": subtotal, "total_tax": part_tax,
            "subtotal_set": subtotal_set, "total_tax_set": tax_set,
            "line_item": copy.deepcopy(line),
        })
    adjustments: list[dict[str, Any]] = []
    if shipping:
        for line in order["shipping_lines"]:
            tax = sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))
            charged = Decimal(line["price"])
            excl = charged - tax if included else charged
            if excl or tax:
                adjustment = _adjustment("shipping_refund", "Shipping refund", -excl, -tax,
                                         order, refund_id, len(adjustments) + 1)
                presented -= _presented(adjustment["amount_set"])
                presented -= _presented(adjustment["tax_amount_set"])
                adjustments.append(adjustment)
    if amount:
        adjustment = _adjustment("refund_discrepancy", "Refund discrepancy", -money(amount),
                                 Decimal(0), order, refund_id, len(adjustments) + 1)
        presented -= _presented(adjustment["amount_set"])
        adjustments.append(adjustment)
    at = stamp(moment)
    zero = _bag(Decimal(0), order)
    gateway = (order.get("payment_gateway_names") or ["manual"])[0]
    return {
        "id": refund_id, "order_id": order["id"], "created_at": at, "note": note,
        "user_id": 99100001, "processed_at": at, "restock": bool(rows), "duties": [],
        "total_duties_set": zero, "additional_fees": [],
        "total_additional_fees_set": copy.deepcopy(zero), "return": None,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "refund_line_items": rows,
        "transactions": [{
            "id": refund_id + 500000000, "order_id": order["id"], "kind": "refund",
            "gateway": gateway, "status": "success", "message": "Refunded",
            "created_at": at, "test": False, "authorization": None, "location_id": None,
            "user_id": None, "parent_id": int(order["id"]) + 700000000, "processed_at": at,
            "device_id": None, "error_code": None, "source_name": "web", "receipt": {},
            "amount": cents(presented), "currency": order["presentment_currency"],
            "payment_id": f"{order['confirmation_number']}.{refund_id % 100}",
            "manual_payment_gateway": gateway == "manual",
            "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{refund_id + 500000000}",
        }],
        "order_adjustments": adjustments,
    }


def refunded_shop_money(refund: dict[str, Any], included: bool) -> Decimal:
    """What a refund gives back in shop money: its rows (incl. tax) and adjustments."""
    total = Decimal(0)
    for row in refund["refund_line_items"]:
        total += _shop(row["subtotal_set"]) + (Decimal(0) if included else _shop(row["total_tax_set"]))
    for adjustment in refund["order_adjustments"]:
        total -= _shop(adjustment["amount_set"]) + _shop(adjustment["tax_amount_set"])
    return total


@dataclass
class ShopData:
    """The shop's orders by id."""

    orders: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, spec: OrderSpec) -> dict[str, Any]:
        order = build_order(spec)
        self.orders[spec.order_id] = order
        return order

    def add_refund(self, order_id: int, refund: dict[str, Any], moment: datetime) -> None:
        """Record a refund on its order as Shopify does: `refunds[]`, the lines' current
        quantities and the current totals, the financial status; `updated_at` moves."""
        order = self.orders[order_id]
        order["refunds"].append(refund)
        included = bool(order["taxes_included"])
        for row in refund["refund_line_items"]:
            for line in order["line_items"]:
                if line["id"] == row["line_item_id"]:
                    line["current_quantity"] -= row["quantity"]
        back = refunded_shop_money(refund, included)
        tax = sum((_shop(r["total_tax_set"]) for r in refund["refund_line_items"]), Decimal(0)) \
            - sum((_shop(a["tax_amount_set"]) for a in refund["order_adjustments"]), Decimal(0))
        current_total = Decimal(order["current_total_price"]) - back
        current_tax = Decimal(order["current_total_tax"]) - tax
        order["current_total_price"] = cents(current_total)
        order["current_total_price_set"] = _bag(current_total, order)
        order["current_total_tax"] = cents(current_tax)
        order["current_total_tax_set"] = _bag(current_tax, order)
        order["financial_status"] = "refunded" if current_total <= 0 else "partially_refunded"
        order["updated_at"] = stamp(moment)

    def merge(self, other: ShopData) -> ShopData:
        self.orders.update(other.orders)
        return self


DEMO_PEOPLE = (
    Person("Sanne", "de Vries", "sanne.devries@example.nl", "Lindengracht 112", "1015 KK",
           "Amsterdam", phone="+31 20 555 0142"),
    Person("Pieter", "Bakker", "p.bakker@example.nl", "Oudegracht 27bis", "3511 AC", "Utrecht"),
    Person("Lotte", "Peeters", "inkoop@fietsen-peeters.example.be", "Veldstraat 9", "9000",
           "Gent", country_code="BE", company="Fietsen Peeters BV", phone="+32 9 555 12 34",
           vat_number="BE0403019261"),
    Person("Emily", "Carter", "emily.carter@example.com", "969 Market Street", "94103",
           "San Francisco", country_code="US"),
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def demo_shop() -> ShopData:
    """Seven orders the sync must tell apart: paid, partially refunded, pending, authorized,
    a discount code over two rates, ICP with a VAT number, export in USD."""
    sanne, pieter, lotte, emily = DEMO_PEOPLE
    bell, tube, led, _map, book, oil, bag, bars = CATALOGUE
    shop = ShopData()
    for spec in (
        OrderSpec(5801001, 1001, sanne, ((bell, 1), (book, 1)), _at("2026-03-02T09:15:00+01:00")),
        OrderSpec(5801002, 1002, pieter, ((tube, 2),), _at("2026-03-03T10:02:45+01:00"),
                  "pending", gateway="manual"),
        OrderSpec(5801003, 1003, sanne, ((led, 1), (bars, 2), (oil, 1)),
                  _at("2026-03-05T19:47:03+01:00"), discount=Discount("LENTE10", Decimal(10))),
        OrderSpec(5801004, 1004, lotte, ((bag, 4), (led, 2)), _at("2026-03-09T11:20:00+01:00"),
                  tax_exempt=True),
        OrderSpec(5801005, 1005, emily, ((book, 2),), _at("2026-03-12T16:31:09+01:00"),
                  tax_exempt=True, presentment_currency="USD", gateway="shopify_payments",
                  shipping=SHIPPING[1]),
        OrderSpec(5801006, 1006, pieter, ((oil, 1),), _at("2026-03-14T08:00:00+01:00"),
                  "authorized", gateway="shopify_payments"),
        OrderSpec(5801007, 1007, sanne, ((bell, 1), (bag, 1)), _at("2026-04-02T09:12:00+02:00"),
                  "partially_refunded"),
    ):
        shop.add(spec)
    return shop


_STATUSES = ((55, "paid"), (8, "partially_refunded"), (12, "pending"), (10, "authorized"),
             (5, "refunded"), (5, "voided"), (5, "partially_paid"))


def _person(rng: random.Random, index: int) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, postcode, country = rng.choice(PLACES)
    company = f"{last.split()[-1]} Tweewielers" if rng.random() < 0.25 else None
    vat = COMPANY_VAT_NUMBERS.get(country, "") if company else ""
    return Person(first, last, f"{first.lower()}.{index}@example.nl",
                  f"{rng.choice(('Dorpsstraat', 'Kerkweg', 'Molenlaan'))} {rng.randrange(1, 250)}",
                  postcode, city, country_code=country, company=company, vat_number=vat,
                  customer_id=None if rng.random() < 0.1 else 0)


def generated_shop(
    count: int, *, seed: int = 0, start: datetime | None = None, first_order_id: int = 6200001,
) -> ShopData:
    """`count` random but repeatable orders (one seed, one shop)."""
    rng = random.Random(seed)
    moment = start or datetime(2026, 2, 1, 9, 0, tzinfo=SHOP_TIMEZONE)
    people = [_person(rng, i) for i in range(max(1, count // 3))]
    shop = ShopData()
    for i in range(count):
        moment += timedelta(minutes=rng.randrange(3, 240))
        status = rng.choices([s for _, s in _STATUSES], [w for w, _ in _STATUSES])[0]
        person = rng.choice(people)
        items = tuple((p, rng.randrange(1, 4)) for p in rng.sample(CATALOGUE, rng.randrange(1, 4)))
        exempt = person.country_code not in ("NL", "BE", "DE") or (
            bool(person.vat_number) and person.country_code != "NL")
        discount = rng.choice((None, None, None, Discount("WELKOM5", amount=Decimal(5)),
                               Discount("LENTE10", percent=Decimal(10))))
        spec = OrderSpec(
            first_order_id + i, 2001 + i, person, items, moment, status,
            taxes_included=rng.random() < 0.8, tax_exempt=exempt,
            shipping=rng.choice(SHIPPING), discount=discount, gateway=rng.choice(GATEWAYS),
            presentment_currency=rng.choice(("EUR", "EUR", "EUR", "USD", "GBP")),
            modified=moment + timedelta(minutes=rng.randrange(1, 600)),
            cancelled=status == "voided",
        )
        shop.add(spec)
    return shop


__all__ = ["CATALOGUE", "build_refund", "Discount", "OrderSpec", "Person", "Product", "ShopData",
           "build_order", "demo_shop", "generated_shop", "stamp"]
