"""Seed data and an order generator for the WooCommerce simulator.

A small Dutch shop ("Fietsenwinkel Het Spaakwiel", EUR) in the shapes of `wc/v3`: orders as
`GET orders/{id}` returns them, tax rates as `GET taxes/{id}`, refunds as
`GET orders/{id}/refunds`. Amounts are `Decimal` here; on the wire money is a string with two
decimals, line `taxes[]` amounts carry up to six (trailing zeros trimmed, as
`wc_format_decimal` does), and line `price` is a JSON number.

How WooCommerce computes an order (FORMATS.md §7), and so how this module does:
- line `subtotal` is before coupons, `total` after; both excl. VAT even when the shop enters
  prices incl. VAT (`prices_include_tax`); the unrounded tax per rate is in `taxes[]`;
- shipping costs are entered excl. VAT and taxed at the standard rate;
- a fee line (`fee_lines`) is taxed like an item, its tax counted in `cart_tax`;
- `tax_lines` round the tax per rate over the order ("round at subtotal"), so the sum of the
  lines' rounded `total_tax` may differ from `cart_tax` by a cent;
- `total = Σ line total + shipping_total + Σ fee total + cart_tax + shipping_tax`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..simulation import COMPANY_VAT_NUMBERS, FIRST_NAMES, LAST_NAMES, PLACES

SHOP_TIMEZONE = ZoneInfo("Europe/Amsterdam")
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
EU = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def micro(value: Decimal) -> Decimal:
    return value.quantize(MICRO, rounding=ROUND_HALF_UP)


def wc_decimal(value: Decimal) -> str:
    """`wc_format_decimal` without `dp`: up to six decimals, trailing zeros trimmed."""
    text = format(micro(value), "f").rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def cents(value: Decimal) -> str:
    """Money as the API writes it with the default `dp=2`: "29.35"."""
    return format(money(value), "f")


@dataclass(frozen=True)
class TaxRate:
    """A row of WooCommerce → Settings → Tax (`GET taxes/{id}`)."""

    id: int
    rate: Decimal
    name: str
    tax_class: str  # "standard", "reduced-rate", "zero-rate"

    @property
    def code(self) -> str:
        return f"NL-{self.name.upper()}-1"

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id, "country": "NL", "state": "", "postcode": "", "city": "",
            "postcodes": [], "cities": [], "rate": f"{self.rate:.4f}", "name": self.name,
            "priority": 1, "compound": False, "shipping": self.tax_class == "standard",
            "order": self.id - 1, "class": self.tax_class,
        }


HIGH = TaxRate(1, Decimal(21), "BTW 21%", "standard")
LOW = TaxRate(2, Decimal(9), "BTW 9%", "reduced-rate")
TAX_RATES = {rate.id: rate for rate in (HIGH, LOW)}


@dataclass(frozen=True)
class Product:
    product_id: int
    name: str
    sku: str
    price: Decimal  # as entered in the shop: incl. VAT when prices_include_tax
    rate: TaxRate
    variation_id: int = 0


CATALOGUE: tuple[Product, ...] = (
    Product(501, "Fietsbel Classic", "SPK-BEL-01", Decimal("12.95"), HIGH),
    Product(502, "Binnenband 28 inch", "SPK-BB-28", Decimal("6.49"), HIGH),
    Product(503, "LED-verlichtingsset", "SPK-LED-SET", Decimal("34.99"), HIGH),
    Product(504, "Fietskaart Veluwe", "SPK-KRT-VEL", Decimal("9.95"), LOW),
    Product(505, "Boek: Fietsonderhoud voor iedereen", "SPK-BOEK-01", Decimal("24.50"), LOW),
    Product(506, "Kettingolie 100 ml", "SPK-OLIE-100", Decimal("7.25"), HIGH),
    Product(507, "Fietstas waterdicht - Zwart", "SPK-TAS-ZW", Decimal("59.00"), HIGH, 5071),
    Product(508, "Energierepen (doos van 12)", "SPK-REP-12", Decimal("17.40"), LOW),
)

SHIPPING = (("flat_rate", "Verzending PostNL", "3", Decimal("5.74")),
            ("free_shipping", "Gratis verzending", "4", Decimal("0.00")),
            ("local_pickup", "Afhalen in de winkel", "5", Decimal("0.00")))
PAYMENTS = (("mollie_wc_gateway_ideal", "iDEAL"), ("bacs", "Directe bankoverschrijving"),
            ("paypal", "PayPal"), ("stripe", "Creditcard (Stripe)"))


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    address_1: str
    postcode: str
    city: str
    country: str = "NL"
    company: str = ""
    phone: str = ""
    vat_number: str = ""
    customer_id: int = 0  # 0: a guest


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: Decimal = Decimal(0)  # discount_type "percent"
    amount: Decimal = Decimal(0)  # discount_type "fixed_cart" (as entered: incl. VAT)


@dataclass(frozen=True)
class OrderSpec:
    """What happened in the shop; `build_order` turns it into the API's order."""

    order_id: int
    person: Person
    items: tuple[tuple[Product, int], ...]
    created: datetime
    status: str = "processing"
    modified: datetime | None = None
    shipping: tuple[str, str, str, Decimal] = SHIPPING[0]
    payment: tuple[str, str] = PAYMENTS[0]
    coupon: Coupon | None = None
    fee: tuple[str, Decimal] | None = None  # (name, amount excl. VAT), taxed at 21 %
    prices_include_tax: bool = True
    vat_exempt: bool = False  # the EU VAT plugin's zero rating (ICP B2B, export)
    vat_meta_key: str = "_billing_vat_number"
    number: str = ""  # an order-number plugin's number; "" = the id
    note: str = ""


@dataclass
class _Line:
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal
    rate: TaxRate | None


def _line_amounts(
    gross: Decimal, discount: Decimal, rate: TaxRate, incl: bool, exempt: bool
) -> _Line:
    """Amounts of one line at six decimals: `gross` and `discount` as entered (incl. VAT when
    `incl`); an exempt order pays the net amount and no VAT."""
    factor = 1 + rate.rate / 100
    if incl:
        subtotal = micro(gross / factor)
        total = micro((gross - discount) / factor)
        subtotal_tax, total_tax = gross - subtotal, gross - discount - total
    else:
        subtotal, total = gross, gross - discount
        subtotal_tax, total_tax = micro(subtotal * rate.rate / 100), micro(total * rate.rate / 100)
    if exempt:
        return _Line(subtotal, Decimal(0), total, Decimal(0), None)
    return _Line(subtotal, subtotal_tax, total, total_tax, rate)


def _discounts(spec: OrderSpec) -> list[Decimal]:
    """The coupon's discount per item, as entered (percent per line; fixed_cart split in
    proportion to the lines, to the cent, the remainder on the first lines)."""
    grosses = [product.price * quantity for product, quantity in spec.items]
    coupon = spec.coupon
    if coupon is None:
        return [Decimal(0)] * len(grosses)
    if coupon.percent:
        return [money(g * coupon.percent / 100) for g in grosses]
    whole = sum(grosses, Decimal(0))
    parts = [(coupon.amount * g / whole).quantize(CENT, rounding="ROUND_DOWN") for g in grosses]
    left = coupon.amount - sum(parts, Decimal(0))
    index = 0
    while left > 0:
        parts[index % len(parts)] += CENT
        left -= CENT
        index += 1
    return parts


def _taxes(rate: TaxRate | None, total: Decimal, subtotal: Decimal | None) -> list[dict[str, Any]]:
    if rate is None:
        return []
    return [{"id": rate.id, "total": wc_decimal(total),
             "subtotal": "" if subtotal is None else wc_decimal(subtotal)}]


def _address(person: Person, *, billing: bool) -> dict[str, Any]:
    address: dict[str, Any] = {
        "first_name": person.first_name, "last_name": person.last_name,
        "company": person.company, "address_1": person.address_1, "address_2": "",
        "city": person.city, "state": "", "postcode": person.postcode,
        "country": person.country,
    }
    if billing:
        address["email"] = person.email
    address["phone"] = person.phone
    return address


def gmt(moment: datetime) -> str:
    """`date_*_gmt`: naive UTC, no `Z` (quirk 3)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def local(moment: datetime) -> str:
    """`date_*`: the site's local time, no offset."""
    return moment.astimezone(SHOP_TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S")


PAID_STATUSES = frozenset({"processing", "completed", "refunded"})


def build_order(spec: OrderSpec) -> dict[str, Any]:  # noqa: C901 — one order, field by field
    """The `GET orders/{id}` body of what `spec` describes; totals are the sums of its parts."""
    oid, person = spec.order_id, spec.person
    incl, exempt = spec.prices_include_tax, spec.vat_exempt
    per_rate: dict[int, Decimal] = {}
    items: list[dict[str, Any]] = []
    for index, ((product, quantity), discount) in enumerate(
        zip(spec.items, _discounts(spec), strict=True)
    ):
        line = _line_amounts(product.price * quantity, discount, product.rate, incl, exempt)
        if line.rate is not None:
            per_rate[line.rate.id] = per_rate.get(line.rate.id, Decimal(0)) + line.total_tax
        items.append({
            "id": oid * 10 + index + 1, "name": product.name, "product_id": product.product_id,
            "variation_id": product.variation_id, "quantity": quantity,
            "tax_class": "" if product.rate.tax_class == "standard" else product.rate.tax_class,
            "subtotal": cents(line.subtotal), "subtotal_tax": cents(line.subtotal_tax),
            "total": cents(line.total), "total_tax": cents(line.total_tax),
            "taxes": _taxes(line.rate, line.total_tax, line.subtotal_tax),
            "meta_data": [], "sku": product.sku,
            "price": line.subtotal / quantity, "parent_name": None,
        })
    method_id, title, instance, cost = spec.shipping
    ship_rate = None if exempt else HIGH
    ship_tax = micro(cost * HIGH.rate / 100) if ship_rate else Decimal(0)
    shipping_lines = [{
        "id": oid * 10 + 8, "method_title": title, "method_id": method_id,
        "instance_id": instance, "total": cents(cost), "total_tax": cents(ship_tax),
        "taxes": _taxes(ship_rate, ship_tax, None), "meta_data": [],
    }]
    fee_lines: list[dict[str, Any]] = []
    fee_total = Decimal(0)
    if spec.fee is not None:
        name, amount = spec.fee
        fee_tax = Decimal(0) if exempt else micro(amount * HIGH.rate / 100)
        if not exempt:
            per_rate[HIGH.id] = per_rate.get(HIGH.id, Decimal(0)) + fee_tax
        fee_total = money(amount)
        fee_lines.append({
            "id": oid * 10 + 9, "name": name, "tax_class": "", "tax_status": "taxable",
            "amount": wc_decimal(amount), "total": cents(amount), "total_tax": cents(fee_tax),
            "taxes": _taxes(None if exempt else HIGH, fee_tax, fee_tax), "meta_data": [],
        })
    tax_lines: list[dict[str, Any]] = []
    for rate_id in sorted(per_rate):
        rate = TAX_RATES[rate_id]
        shipping_part = ship_tax if rate_id == HIGH.id and ship_rate else Decimal(0)
        tax_lines.append({
            "id": oid * 10 + 5 + len(tax_lines), "rate_code": rate.code, "rate_id": rate.id,
            "label": rate.name, "compound": False, "tax_total": cents(per_rate[rate_id]),
            "shipping_tax_total": cents(shipping_part), "rate_percent": rate.rate,
            "meta_data": [],
        })
    if ship_rate and HIGH.id not in per_rate:
        tax_lines.append({
            "id": oid * 10 + 7, "rate_code": HIGH.code, "rate_id": HIGH.id, "label": HIGH.name,
            "compound": False, "tax_total": "0.00", "shipping_tax_total": cents(ship_tax),
            "rate_percent": HIGH.rate, "meta_data": [],
        })
    items_total = sum((Decimal(i["total"]) for i in items), Decimal(0))
    subtotal = sum((Decimal(i["subtotal"]) for i in items), Decimal(0))
    cart_tax = sum((money(v) for v in per_rate.values()), Decimal(0))
    discount_tax = sum(
        (Decimal(i["subtotal_tax"]) - Decimal(i["total_tax"]) for i in items), Decimal(0)
    )
    total = items_total + money(cost) + fee_total + cart_tax + money(ship_tax)
    coupon_lines = []
    if spec.coupon is not None:
        kind = "percent" if spec.coupon.percent else "fixed_cart"
        coupon_lines.append({
            "id": oid * 10 + 6, "code": spec.coupon.code, "discount": cents(subtotal - items_total),
            "discount_tax": cents(discount_tax),
            "meta_data": [{"id": oid * 100 + 61, "key": "coupon_data", "value": {
                "code": spec.coupon.code, "discount_type": kind,
                "amount": wc_decimal(spec.coupon.percent or spec.coupon.amount)}}],
        })
    created = spec.created
    modified = spec.modified or created + timedelta(minutes=2)
    paid = spec.status in PAID_STATUSES
    completed = spec.status == "completed"
    meta: list[dict[str, Any]] = [
        {"id": oid * 100 + 1, "key": "is_vat_exempt", "value": "yes" if exempt else "no"},
    ]
    if person.vat_number:
        meta.append({"id": oid * 100 + 2, "key": spec.vat_meta_key, "value": person.vat_number})
    meta.append({"id": oid * 100 + 3, "key": "_new_order_email_sent", "value": "true"})
    return {
        "id": oid, "parent_id": 0, "number": spec.number or str(oid),
        "order_key": f"wc_order_{random.Random(oid).getrandbits(40):010x}",
        "created_via": "checkout", "version": "8.9.3", "status": spec.status,
        "currency": "EUR", "currency_symbol": "€",
        "date_created": local(created), "date_created_gmt": gmt(created),
        "date_modified": local(modified), "date_modified_gmt": gmt(modified),
        "discount_total": cents(subtotal - items_total), "discount_tax": cents(discount_tax),
        "shipping_total": cents(cost), "shipping_tax": cents(ship_tax),
        "cart_tax": cents(cart_tax), "total": cents(total),
        "total_tax": cents(cart_tax + money(ship_tax)),
        "prices_include_tax": incl, "customer_id": person.customer_id,
        "customer_ip_address": f"192.0.2.{oid % 250 + 1}",
        "customer_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "customer_note": spec.note,
        "billing": _address(person, billing=True), "shipping": _address(person, billing=False),
        "payment_method": spec.payment[0], "payment_method_title": spec.payment[1],
        "transaction_id": f"tr_{oid:08d}" if paid else "",
        "date_paid": local(created + timedelta(minutes=1)) if paid else None,
        "date_paid_gmt": gmt(created + timedelta(minutes=1)) if paid else None,
        "date_completed": local(modified) if completed else None,
        "date_completed_gmt": gmt(modified) if completed else None,
        "cart_hash": f"{random.Random(-oid).getrandbits(128):032x}",
        "meta_data": meta, "line_items": items, "tax_lines": tax_lines,
        "shipping_lines": shipping_lines, "fee_lines": fee_lines,
        "coupon_lines": coupon_lines, "refunds": [],
    }


def build_refund(
    order: dict[str, Any],
    refund_id: int,
    at: datetime,
    reason: str,
    quantities: dict[int, int] | None = None,
    *,
    shipping: bool = False,
    amount: Decimal | None = None,
) -> dict[str, Any]:
    """A `GET orders/{id}/refunds/{rid}` body: `quantities` of the order's lines (line id →
    quantity; None: the first line in full), and with `shipping` its shipping lines in full;
    line values negative, `amount` positive (the lines' total, unless `amount` is given — a
    refund of an amount without lines has none), `_refunded_item_id` naming the original."""
    if quantities is None:
        quantities = {order["line_items"][0]["id"]: order["line_items"][0]["quantity"]}
    lines = [line for line in order["line_items"] if quantities.get(line["id"], 0) > 0]
    counter = iter(range(refund_id * 10 + 1, refund_id * 10 + 1000))

    def part(value: Any, line: dict[str, Any]) -> Decimal:
        share = Decimal(quantities[line["id"]]) / Decimal(line["quantity"])
        return money(Decimal(value or 0) * share)

    line_items = []
    for line in lines:
        share = Decimal(quantities[line["id"]]) / Decimal(line["quantity"])
        line_items.append({
            **{k: line[k] for k in ("name", "product_id", "variation_id", "tax_class", "sku")},
            "id": next(counter), "quantity": -quantities[line["id"]],
            "subtotal": cents(-part(line["subtotal"], line)),
            "subtotal_tax": cents(-part(line["subtotal_tax"], line)),
            "total": cents(-part(line["total"], line)),
            "total_tax": cents(-part(line["total_tax"], line)),
            "taxes": [{"id": t["id"], "total": wc_decimal(-micro(Decimal(t["total"] or 0) * share)),
                       "subtotal": wc_decimal(-micro(Decimal(t["subtotal"] or 0) * share))}
                      for t in line["taxes"]],
            "meta_data": [{"id": next(counter), "key": "_refunded_item_id",
                           "value": str(line["id"])}],
            "price": -line["price"],
        })
    shipping_lines = [{
        "id": next(counter), "method_title": ship["method_title"], "method_id": ship["method_id"],
        "instance_id": ship["instance_id"], "total": cents(-Decimal(ship["total"])),
        "total_tax": cents(-Decimal(ship["total_tax"])),
        "taxes": [{"id": t["id"], "total": wc_decimal(-Decimal(t["total"] or 0)), "subtotal": ""}
                  for t in ship["taxes"]],
        "meta_data": [{"id": next(counter), "key": "_refunded_item_id", "value": str(ship["id"])}],
    } for ship in (order["shipping_lines"] if shipping else []) if Decimal(ship["total"]) != 0]
    if amount is None:
        amount = -sum((Decimal(r["total"]) + Decimal(r["total_tax"])
                       for r in [*line_items, *shipping_lines]), Decimal(0))
    return {
        "id": refund_id, "date_created": local(at), "date_created_gmt": gmt(at),
        "amount": cents(amount), "reason": reason, "refunded_by": 1, "refunded_payment": True,
        "meta_data": [], "line_items": line_items, "shipping_lines": shipping_lines,
        "fee_lines": [],
    }


@dataclass
class ShopData:
    """The shop's orders by id, with their refunds, and its tax rates."""

    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tax_rates: dict[int, TaxRate] = field(default_factory=lambda: dict(TAX_RATES))

    def add(self, spec: OrderSpec) -> dict[str, Any]:
        order = build_order(spec)
        self.orders[spec.order_id] = order
        return order

    def merge(self, other: ShopData) -> ShopData:
        self.orders.update(other.orders)
        self.refunds.update(other.refunds)
        return self

    def refund_first_line(self, order_id: int, refund_id: int, at: datetime, reason: str) -> None:
        """Refund an order's first line; the order's `refunds[]` summary shows it (negative)."""
        self.add_refund(order_id, build_refund(self.orders[order_id], refund_id, at, reason), at)

    def add_refund(self, order_id: int, refund: dict[str, Any], at: datetime) -> None:
        """Record a refund made at `at`: newest first, in the order's `refunds[]` summary too
        (negative), and the order's `date_modified` moves to `at`."""
        order = self.orders[order_id]
        reason = refund["reason"]
        refund_id = refund["id"]
        self.refunds.setdefault(order_id, []).insert(0, refund)
        order["refunds"].insert(0, {"id": refund_id, "reason": reason,
                                    "total": cents(-Decimal(refund["amount"]))})
        order["date_modified"], order["date_modified_gmt"] = local(at), gmt(at)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


DEMO_PEOPLE = (
    Person("Sanne", "de Vries", "sanne.devries@example.nl", "Lindengracht 112", "1015 KK",
           "Amsterdam", phone="+31 20 555 0142", customer_id=12),
    Person("Pieter", "Bakker", "p.bakker@example.nl", "Oudegracht 27bis", "3511 AC", "Utrecht"),
    Person("Lotte", "Peeters", "inkoop@fietsen-peeters.example.be", "Veldstraat 9", "9000",
           "Gent", country="BE", company="Fietsen Peeters BV", phone="+32 9 555 12 34",
           vat_number="BE0403019261", customer_id=31),
    Person("Emily", "Carter", "emily.carter@example.com", "969 Market Street", "94103",
           "San Francisco", country="US", customer_id=44),
)


def demo_shop() -> ShopData:
    """Seven orders covering what the sync must tell apart: paid (processing, completed),
    not paid (on-hold, pending), cancelled, ICP with a VAT number, export, a coupon."""
    sanne, pieter, lotte, emily = DEMO_PEOPLE
    bell, tube, led, _map, book, oil, bag, bars = CATALOGUE
    shop = ShopData()
    for spec in (
        OrderSpec(1101, sanne, ((bell, 1), (book, 1)), _at("2026-03-02T09:15:00+01:00")),
        OrderSpec(1102, pieter, ((tube, 2),), _at("2026-03-03T10:02:45+01:00"), "on-hold",
                  payment=PAYMENTS[1]),
        OrderSpec(1103, sanne, ((led, 1), (bars, 2), (oil, 1)),
                  _at("2026-03-05T19:47:03+01:00"), "completed",
                  coupon=Coupon("LENTE10", percent=Decimal(10)), payment=PAYMENTS[2]),
        OrderSpec(1104, lotte, ((bag, 4), (led, 2)), _at("2026-03-09T11:20:00+01:00"),
                  vat_exempt=True, payment=PAYMENTS[1]),
        OrderSpec(1105, emily, ((book, 2),), _at("2026-03-12T16:31:09+01:00"),
                  vat_exempt=True, payment=PAYMENTS[3]),
        OrderSpec(1106, pieter, ((oil, 1),), _at("2026-03-14T08:00:00+01:00"), "pending"),
        OrderSpec(1107, sanne, ((bell, 1),), _at("2026-04-02T09:12:00+02:00"), "cancelled"),
    ):
        shop.add(spec)
    return shop


_STATUSES = ((50, "processing"), (20, "completed"), (10, "on-hold"), (8, "pending"),
             (5, "cancelled"), (4, "failed"), (3, "refunded"))


def _person(rng: random.Random, index: int) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, postcode, country = rng.choice(PLACES)
    company = f"{last.split()[-1]} Tweewielers" if rng.random() < 0.25 else ""
    vat = COMPANY_VAT_NUMBERS.get(country, "") if company else ""
    return Person(first, last, f"{first.lower()}.{index}@example.nl",
                  f"{rng.choice(('Dorpsstraat', 'Kerkweg', 'Molenlaan'))} {rng.randrange(1, 250)}",
                  postcode, city, country=country, company=company, vat_number=vat,
                  customer_id=0 if rng.random() < 0.3 else 200 + index)


def generated_shop(
    count: int, *, seed: int = 0, start: datetime | None = None, first_order_id: int = 5001
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
        exempt = person.country not in EU or (bool(person.vat_number) and person.country != "NL")
        coupon = rng.choice((None, None, None, Coupon("WELKOM5", amount=Decimal(5)),
                             Coupon("LENTE10", percent=Decimal(10))))
        spec = OrderSpec(
            first_order_id + i, person, items, moment, status,
            modified=moment + timedelta(minutes=rng.randrange(1, 600)),
            shipping=rng.choice(SHIPPING), payment=rng.choice(PAYMENTS), coupon=coupon,
            fee=("Verpakking cadeau", Decimal("2.50")) if rng.random() < 0.1 else None,
            prices_include_tax=rng.random() < 0.85, vat_exempt=exempt,
        )
        shop.add(spec)
        if status == "refunded":
            shop.refund_first_line(spec.order_id, 90000 + i, spec.modified or moment,
                                   "Retour ontvangen")
    return shop

