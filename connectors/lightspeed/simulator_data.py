"""Seed data and an order generator for the Lightspeed eCom simulator.

A small Dutch shop ("Theehuis de Linde", EUR) in the shapes of the real API: order fields as in
`orders/{id}.json`, order lines as in `orders/{id}/products.json`, customers as in
`customers/{id}.json`. Amounts are `Decimal` here and become JSON numbers on the wire; tax rates
are fractions (0.21, 0.09); missing values are `false`, as the PHP backend sends them.

Prices are entered including VAT (as Dutch shops do): the unit price excl. VAT is derived with
four decimals, line totals are rounded to cents, and order totals are the sums of their parts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

SHOP_TIMEZONE = ZoneInfo("Europe/Amsterdam")
CENT = Decimal("0.01")
BASE = Decimal("0.0001")

# ISO code → (id, code3, Dutch title, English title); ids are the shop's own country ids.
COUNTRIES: dict[str, tuple[int, str, str, str]] = {
    "nl": (150, "nld", "Nederland", "Netherlands"),
    "be": (21, "bel", "België", "Belgium"),
    "de": (80, "deu", "Duitsland", "Germany"),
    "fr": (73, "fra", "Frankrijk", "France"),
    "lu": (126, "lux", "Luxemburg", "Luxembourg"),
    "gb": (222, "gbr", "Verenigd Koninkrijk", "United Kingdom"),
}

LANGUAGES: dict[str, dict[str, Any]] = {
    "nl": {"id": 1, "code": "nl", "locale": "nl_NL", "title": "Nederlands"},
    "en": {"id": 2, "code": "en", "locale": "en_GB", "title": "English"},
    "de": {"id": 3, "code": "de", "locale": "de_DE", "title": "Deutsch"},
    "fr": {"id": 4, "code": "fr", "locale": "fr_FR", "title": "Français"},
}


@dataclass(frozen=True)
class Article:
    """A catalogue item: price incl. VAT per unit and its VAT rate as a fraction."""

    product_id: int
    variant_id: int
    title: str
    variant: str
    article_code: str
    brand: str
    price_incl: Decimal
    tax_rate: Decimal
    ean: str = ""


CATALOGUE: tuple[Article, ...] = (
    Article(6101, 9101, "Sencha Kyoto", "100 gram", "TH-SEN-100", "De Linde",
            Decimal("8.95"), Decimal("0.09"), "8712345000011"),
    Article(6102, 9102, "Earl Grey Blue Flower", "250 gram", "TH-EGB-250", "De Linde",
            Decimal("12.50"), Decimal("0.09"), "8712345000028"),
    Article(6103, 9103, "Gietijzeren theepot", "0,8 liter zwart", "TP-GIJ-08Z", "Tetsubin",
            Decimal("49.95"), Decimal("0.21")),
    Article(6104, 9104, "Theeglas met houder", "set van 2", "TG-HLD-2", "Bodum",
            Decimal("19.99"), Decimal("0.21"), "5702016000023"),
    Article(6105, 9105, "Rooibos Vanille", "100 gram", "TH-ROO-100", "De Linde",
            Decimal("5.25"), Decimal("0.09")),
    Article(6106, 9106, "Theezeef RVS", "fijnmazig", "AC-ZEEF-RVS", "Cilio",
            Decimal("7.49"), Decimal("0.21")),
    Article(6107, 9107, "Matcha ceremonieel", "30 gram blik", "TH-MAT-30", "Uji",
            Decimal("24.95"), Decimal("0.09")),
    Article(6108, 9108, "Cadeaubon", "25 euro", "CB-25", "De Linde",
            Decimal("25.00"), Decimal("0.21")),
    Article(6109, 9109, "Bamboe matcha klopper", "100 tanden", "AC-CHA-100", "Uji",
            Decimal("14.95"), Decimal("0.21")),
    Article(6110, 9110, "Jasmijn parels", "50 gram", "TH-JAS-50", "De Linde",
            Decimal("11.75"), Decimal("0.09")),
)

SHIPPING_METHODS = (
    ("core|7301|41001", "PostNL pakket", Decimal("5.95")),
    ("core|7301|41002", "PostNL brievenbuspakje", Decimal("3.95")),
    ("core|7302|41010", "Afhalen in de winkel", Decimal("0.00")),
)
PAYMENT_METHODS = (
    ("ideal", "iDEAL", Decimal("0.00")),
    ("paypal", "PayPal", Decimal("0.00")),
    ("invoice", "Achteraf betalen", Decimal("1.50")),
    ("banktransfer", "Bankoverschrijving", Decimal("0.00")),
)


@dataclass
class OrderLine:
    """One `orderProducts` item (without its resource links) and the ids the links point to."""

    fields: dict[str, Any]
    product_id: int
    variant_id: int


@dataclass
class ShopOrder:
    """One order's own fields (API shape, without resource links), its customer and lines."""

    fields: dict[str, Any]
    customer_id: int
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.fields["id"])


@dataclass
class CreditNote:
    """A credit invoice (`invoices/{id}.json` with `isCreditNote: true`, without its resource
    links), the order and invoice it credits, and its `invoices/{id}/items.json` items."""

    fields: dict[str, Any]
    order_id: int
    customer_id: int
    original_invoice_id: int
    items: list[dict[str, Any]]

    @property
    def id(self) -> int:
        return int(self.fields["id"])


@dataclass
class ShopData:
    orders: dict[int, ShopOrder] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[int, CreditNote] = field(default_factory=dict)

    def add(self, order: ShopOrder) -> None:
        self.orders[order.id] = order

    def merge(self, other: ShopData) -> ShopData:
        self.orders.update(other.orders)
        self.customers.update(other.customers)
        self.credit_notes.update(other.credit_notes)
        return self


@dataclass(frozen=True)
class Person:
    """What a customer typed at checkout."""

    customer_id: int
    firstname: str
    lastname: str
    email: str
    street: str
    number: str
    zipcode: str
    city: str
    country: str = "nl"
    middlename: str = ""
    extension: str = ""
    phone: str = ""
    company: str = ""
    coc_number: str = ""
    vat_number: str = ""
    gender: str | bool = False
    created: str = "2025-11-02T10:14:00+01:00"
    kind: str = "registered"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def timestamp(moment: datetime) -> str:
    """Shop-local ISO 8601 with offset, like "2026-03-01T23:30:00+01:00"."""
    return moment.astimezone(SHOP_TIMEZONE).isoformat(timespec="seconds")


def country_object(code: str, language: str = "nl") -> dict[str, Any]:
    country_id, code3, title_nl, title_en = COUNTRIES[code]
    title = title_nl if language == "nl" else title_en
    return {"id": country_id, "code": code, "code3": code3, "title": title}


def _full_name(person: Person) -> str:
    return " ".join(p for p in (person.firstname, person.middlename, person.lastname) if p)


def _address(prefix: str, person: Person) -> dict[str, Any]:
    return {
        f"{prefix}Name": _full_name(person),
        f"{prefix}Street": person.street,
        f"{prefix}Street2": "",
        f"{prefix}Number": person.number,
        f"{prefix}Extension": person.extension,
        f"{prefix}Zipcode": person.zipcode,
        f"{prefix}City": person.city,
        f"{prefix}Region": "",
        f"{prefix}Country": country_object(person.country),
    }


def _identity(person: Person) -> dict[str, Any]:
    return {
        "gender": person.gender,
        "birthDate": False,
        "nationalId": "",
        "email": person.email,
        "firstname": person.firstname,
        "middlename": person.middlename,
        "lastname": person.lastname,
        "phone": person.phone,
        "mobile": "",
    }


def _company(person: Person) -> dict[str, Any]:
    return {
        "isCompany": bool(person.company),
        "companyName": person.company,
        "companyCoCNumber": person.coc_number,
        "companyVatNumber": person.vat_number,
    }


def build_customer(person: Person, updated: str) -> dict[str, Any]:
    """A `customers/{id}.json` "customer" object, without its resource links."""
    shipping = _address("addressShipping", person)
    return {
        "id": person.customer_id,
        "createdAt": person.created,
        "updatedAt": updated,
        "isConfirmed": person.kind == "registered",
        "type": person.kind,
        "lastOnlineAt": updated,
        "remoteIp": False,
        "userAgent": False,
        "referralId": False,
        **_identity(person),
        **_company(person),
        **_address("addressBilling", person),
        "addressShippingCompany": person.company or False,
        **shipping,
        "memo": "",
        "doNotifyRegistered": False,
        "doNotifyConfirmed": False,
        "doNotifyPassword": False,
        "language": LANGUAGES["nl"],
    }


def _tax_rates(name: str, rate: Decimal, amount: Decimal) -> list[dict[str, Any]]:
    return [{"name": name, "rate": rate, "amount": amount}]


def _tax_name(rate: Decimal) -> str:
    return "BTW verlegd" if rate == 0 else f"BTW {int(rate * 100)}%"


def build_line(
    line_id: int,
    article: Article,
    quantity: int,
    *,
    discount_pct: Decimal = Decimal(0),
    vat_shifted: bool = False,
) -> OrderLine:
    """An order line: unit prices in `basePrice*`, line totals after discount in `price*`."""
    divisor = 1 + article.tax_rate
    base_excl = (article.price_incl / divisor).quantize(BASE, rounding=ROUND_HALF_UP)
    gross_incl = article.price_incl * quantity
    discount_incl = money(gross_incl * discount_pct / 100)
    price_incl = gross_incl - discount_incl
    price_excl = money(price_incl / divisor)
    discount_excl = money(discount_incl / divisor)
    rate = article.tax_rate
    base_incl = article.price_incl
    if vat_shifted:
        # Reverse-charged VAT: the customer pays the net amounts and no VAT is charged.
        rate, base_incl = Decimal(0), base_excl
        price_incl, discount_incl = price_excl, discount_excl
    fields: dict[str, Any] = {
        "id": line_id,
        "supplierTitle": "Theehuis de Linde B.V.",
        "brandTitle": article.brand,
        "productTitle": article.title,
        "variantTitle": article.variant,
        "taxRate": rate,
        "taxRates": _tax_rates(_tax_name(rate), rate, price_incl - price_excl),
        "quantityOrdered": quantity,
        "quantityInvoiced": 0,
        "quantityShipped": 0,
        "quantityRefunded": 0,
        "quantityReturned": 0,
        "articleCode": article.article_code,
        "ean": article.ean,
        "sku": article.article_code,
        "weight": 0,
        "volume": 0,
        "colli": 0,
        "sizeX": 0,
        "sizeY": 0,
        "sizeZ": 0,
        "priceCost": 0,
        "customExcl": 0,
        "customIncl": 0,
        "basePriceExcl": base_excl,
        "basePriceIncl": base_incl,
        "priceExcl": price_excl,
        "priceIncl": price_incl,
        "discountExcl": discount_excl,
        "discountIncl": discount_incl,
        "customFields": False,
    }
    return OrderLine(fields, article.product_id, article.variant_id)


@dataclass(frozen=True)
class OrderSpec:
    """What happened in the shop; `build_order` turns it into the API's order fields."""

    order_id: int
    number: str
    person: Person
    items: tuple[tuple[Article, int], ...]
    created: datetime
    updated: datetime
    status: str
    payment_status: str
    shipment_status: str = "not_shipped"
    shipping: tuple[str, str, Decimal] = SHIPPING_METHODS[0]
    payment: tuple[str, str, Decimal] = PAYMENT_METHODS[0]
    discount_pct: Decimal = Decimal(0)
    coupon: str = ""
    vat_shifted: bool = False
    comment: str = ""


def _fee(prefix: str, price_incl: Decimal, rate: Decimal, shifted: bool) -> dict[str, Any]:
    base_excl = (price_incl / (1 + rate)).quantize(BASE, rounding=ROUND_HALF_UP)
    excl = money(price_incl / (1 + rate))
    incl = price_incl
    if shifted or price_incl == 0:
        # No fee, or VAT reverse-charged: the API reports a zero rate, as in the real sample.
        rate, incl = Decimal(0), excl
    return {
        f"{prefix}TaxRate": rate,
        f"{prefix}TaxRates": _tax_rates(_tax_name(rate), rate, incl - excl),
        f"{prefix}BasePriceExcl": base_excl,
        f"{prefix}BasePriceIncl": base_excl if shifted else price_incl,
        f"{prefix}PriceExcl": excl,
        f"{prefix}PriceIncl": incl,
    }


def build_order(spec: OrderSpec) -> ShopOrder:
    """Order fields whose totals are the sums of lines, shipment and payment fee."""
    lines = [
        build_line(spec.order_id * 100 + i + 1, article, quantity, discount_pct=spec.discount_pct,
                   vat_shifted=spec.vat_shifted)
        for i, (article, quantity) in enumerate(spec.items)
    ]
    shipment_id, shipment_title, shipment_price = spec.shipping
    payment_id, payment_title, payment_price = spec.payment
    high = Decimal("0.21")
    shipment = _fee("shipment", shipment_price, high, spec.vat_shifted)
    payment = _fee("payment", payment_price, high, spec.vat_shifted)
    excl = sum((line.fields["priceExcl"] for line in lines), Decimal(0))
    incl = sum((line.fields["priceIncl"] for line in lines), Decimal(0))
    excl += shipment["shipmentPriceExcl"] + payment["paymentPriceExcl"]
    incl += shipment["shipmentPriceIncl"] + payment["paymentPriceIncl"]
    # Like the real order.json, the order's taxRates sum the product lines per rate.
    per_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = line.fields["taxRate"]
        tax = line.fields["priceIncl"] - line.fields["priceExcl"]
        per_rate[rate] = per_rate.get(rate, Decimal(0)) + tax
    discount_total = sum((line.fields["discountIncl"] for line in lines), Decimal(0))
    person = spec.person
    fields: dict[str, Any] = {
        "id": spec.order_id,
        "createdAt": timestamp(spec.created),
        "updatedAt": timestamp(spec.updated),
        "number": spec.number,
        "status": spec.status,
        "customStatusId": None,
        "channel": "main",
        "remoteIp": f"192.0.2.{spec.order_id % 250 + 1}",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
        "referralId": False,
        "priceCost": 0,
        "priceExcl": excl,
        "priceIncl": incl,
        "weight": 0,
        "volume": 0,
        "colli": 0,
        **_identity(person),
        "newsletterSubscribed": False,
        **_company(person),
        **_address("addressBilling", person),
        "addressBillingRegionData": False,
        "addressShippingCompany": person.company or False,
        **_address("addressShipping", person),
        "addressShippingRegionData": False,
        "paymentId": payment_id,
        "paymentStatus": spec.payment_status,
        "paymentIsPost": payment_id == "invoice",
        "paymentIsInvoiceExternal": False,
        **payment,
        "paymentTitle": payment_title,
        "paymentData": {"method": payment_id},
        "shipmentId": shipment_id,
        "shipmentStatus": spec.shipment_status,
        "shipmentIsCashOnDelivery": False,
        "shipmentIsPickup": shipment_price == 0,
        **shipment,
        "shipmentDiscountExcl": 0,
        "shipmentDiscountIncl": 0,
        "shipmentTitle": shipment_title,
        "shipmentData": {"method": "core", "shipment_id": int(shipment_id.split("|")[1])},
        "shippingDate": None,
        "deliveryDate": None,
        "isDiscounted": spec.discount_pct > 0,
        "discountType": "percentage" if spec.discount_pct > 0 else "amount",
        "discountAmount": discount_total,
        "discountPercentage": spec.discount_pct,
        "discountCouponCode": spec.coupon,
        "taxRates": [
            {"name": _tax_name(rate), "rate": rate, "amount": amount}
            for rate, amount in sorted(per_rate.items(), reverse=True)
        ],
        "isNewCustomer": False,
        "comment": spec.comment,
        "memo": "",
        "allowNotifications": True,
        "doNotifyNew": False,
        "doNotifyReminder": False,
        "doNotifyCancelled": False,
        "language": LANGUAGES["nl"],
    }
    return ShopOrder(fields, person.customer_id, lines)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


DEMO_PEOPLE = (
    Person(3104501, "Sanne", "Vries", "sanne.devries@example.nl", "Lindengracht", "112",
           "1015 KK", "Amsterdam", middlename="de", phone="+31 20 555 0142", gender="female",
           created="2025-10-12T09:41:00+02:00"),
    Person(3104502, "Pieter", "Bakker", "p.bakker@example.nl", "Oudegracht", "27",
           "3511 AC", "Utrecht", extension="bis", gender="male",
           created="2026-01-08T20:05:00+01:00"),
    Person(3104503, "Lotte", "Peeters", "inkoop@theesalon-gent.example.be", "Veldstraat", "9",
           "9000", "Gent", country="be", company="Theesalon Peeters BV",
           coc_number="0446.925.134", vat_number="BE0446925134", phone="+32 9 555 12 34",
           gender="female", created="2026-02-03T14:22:00+01:00"),
    Person(3104504, "Ahmed", "El Amrani", "ahmed.elamrani@example.nl", "Witte de Withstraat",
           "63", "3012 BN", "Rotterdam", gender="male", kind="guest",
           created="2026-03-04T08:10:00+01:00"),
)


def demo_specs() -> list[OrderSpec]:
    """The hand-made demo orders, one per case the connector and rules must handle."""
    sanne, pieter, lotte, ahmed = DEMO_PEOPLE
    tea, earl, pot, glass, rooibos, strainer, matcha, _gift, whisk, _jasmine = CATALOGUE
    return [
        # Paid and awaiting shipment, 21 % and 9 % lines: to be invoiced.
        OrderSpec(8810001, "ORD00101", sanne, ((tea, 2), (pot, 1)),
                  _at("2026-03-01T23:30:00+01:00"), _at("2026-03-02T08:15:12+01:00"),
                  "processing_awaiting_shipment", "paid"),
        # Not paid yet (bank transfer): open, re-checked later.
        OrderSpec(8810002, "ORD00102", pieter, ((earl, 1), (strainer, 2)),
                  _at("2026-03-03T10:02:45+01:00"), _at("2026-03-03T10:02:45+01:00"),
                  "processing_awaiting_payment", "not_paid",
                  payment=PAYMENT_METHODS[3], shipping=SHIPPING_METHODS[1]),
        # Sanne's second order, with a 10 % coupon: must land on the same client.
        OrderSpec(8810003, "ORD00103", sanne, ((matcha, 1), (whisk, 1), (rooibos, 3)),
                  _at("2026-03-05T19:47:03+01:00"), _at("2026-03-05T19:49:30+01:00"),
                  "processing_awaiting_shipment", "paid", discount_pct=Decimal(10),
                  coupon="LENTE10", payment=PAYMENT_METHODS[1]),
        # Belgian company with a VAT number, VAT reverse-charged, pays afterwards (fee).
        OrderSpec(8810004, "ORD00104", lotte, ((pot, 4), (glass, 6)),
                  _at("2026-03-09T11:20:00+01:00"), _at("2026-03-10T09:00:41+01:00"),
                  "processing_awaiting_shipment", "paid", vat_shifted=True,
                  payment=PAYMENT_METHODS[2], comment="Graag leveren via de achteringang."),
        # Paid and already shipped: not in the invoiced statuses.
        OrderSpec(8810005, "ORD00105", ahmed, ((glass, 1),),
                  _at("2026-03-12T16:31:09+01:00"), _at("2026-03-14T12:00:00+01:00"),
                  "completed_shipped", "paid", shipment_status="shipped"),
        # Cancelled before payment, after the switch to summer time (+02:00).
        OrderSpec(8810006, "ORD00106", pieter, ((tea, 1),),
                  _at("2026-04-02T09:12:00+02:00"), _at("2026-04-03T09:12:00+02:00"),
                  "cancelled", "cancelled", payment=PAYMENT_METHODS[3]),
    ]


def build_shop(specs: list[OrderSpec], people: tuple[Person, ...]) -> ShopData:
    shop = ShopData()
    for spec in specs:
        shop.add(build_order(spec))
    for person in people:
        last = max(
            (o.fields["updatedAt"] for o in shop.orders.values()
             if o.customer_id == person.customer_id),
            default=person.created,
        )
        shop.customers[person.customer_id] = build_customer(person, last)
    return shop


def demo_shop() -> ShopData:
    """The seeded demo shop: six orders covering the statuses the sync must tell apart."""
    return build_shop(demo_specs(), DEMO_PEOPLE)


_FIRST_NAMES = ("Emma", "Daan", "Julia", "Sem", "Tess", "Lucas", "Fleur", "Finn", "Noor", "Bram",
                "Mila", "Jesse", "Sophie", "Thijs", "Anouk", "Ruben")
_LAST_NAMES = ("Jansen", "de Jong", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos",
               "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer")
_CITIES = (("Amsterdam", "1012"), ("Utrecht", "3511"), ("Haarlem", "2011"), ("Leiden", "2311"),
           ("Zwolle", "8011"), ("Groningen", "9711"), ("Breda", "4811"), ("Antwerpen", "2000"),
           ("Köln", "50667"))
_STATUSES = (
    (60, "processing_awaiting_shipment", "paid", "not_shipped"),
    (20, "processing_awaiting_payment", "not_paid", "not_shipped"),
    (10, "completed_shipped", "paid", "shipped"),
    (5, "cancelled", "cancelled", "not_shipped"),
    (5, "on_hold", "not_paid", "not_shipped"),
)


def _random_person(rng: random.Random, customer_id: int) -> Person:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    city, zip_prefix = rng.choice(_CITIES)
    country = {"Antwerpen": "be", "Köln": "de"}.get(city, "nl")
    zipcode = f"{zip_prefix} {rng.choice('ABCDEGHJKLMN')}{rng.choice('ABCDEGHJKLMN')}"
    if country != "nl":
        zipcode = zip_prefix
    middle, _, surname = last.rpartition(" ")
    company = f"{surname} Thee & Zo" if rng.random() < 0.15 else ""
    vat = f"NL{rng.randrange(10**8, 10**9)}B01" if company and country == "nl" else ""
    return Person(customer_id, first, surname, f"{first.lower()}.{customer_id}@example.nl",
                  rng.choice(("Dorpsstraat", "Kerkweg", "Molenlaan", "Stationsplein")),
                  str(rng.randrange(1, 250)), zipcode, city, country=country,
                  middlename=middle, company=company, vat_number=vat)


def generated_shop(
    count: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    first_order_id: int = 9900001,
) -> ShopData:
    """`count` random but repeatable orders from ~count/3 customers (so many order twice)."""
    rng = random.Random(seed)
    start = start or datetime(2026, 2, 1, 9, 0, tzinfo=SHOP_TIMEZONE)
    people = tuple(_random_person(rng, 4200001 + i) for i in range(max(1, count // 3)))
    weights = [w for w, *_ in _STATUSES]
    specs: list[OrderSpec] = []
    moment = start
    for i in range(count):
        moment += timedelta(minutes=rng.randrange(3, 180))
        _, status, payment_status, shipment_status = rng.choices(_STATUSES, weights)[0]
        items = tuple(
            (article, rng.randrange(1, 4))
            for article in rng.sample(CATALOGUE, rng.randrange(1, 5))
        )
        person = rng.choice(people)
        shifted = bool(person.company) and person.country != "nl" and bool(person.vat_number)
        specs.append(OrderSpec(
            first_order_id + i, f"ORD{first_order_id + i:08d}", person, items, moment,
            moment + timedelta(minutes=rng.randrange(1, 600)), status, payment_status,
            shipment_status, shipping=rng.choice(SHIPPING_METHODS),
            payment=rng.choice(PAYMENT_METHODS),
            discount_pct=Decimal(rng.choice((0, 0, 0, 5, 10))), vat_shifted=shifted,
        ))
    return build_shop(specs, people)


# -- invoices and credit invoices ----------------------------------------------------------
INVOICE_ID_OFFSET = 7000000  # an order's invoice id is its order id plus this
FIRST_CREDIT_ID = 7900001


def invoice_id_of(order_id: int) -> int:
    return order_id + INVOICE_ID_OFFSET


def _item(item_id: int, kind: str, title: str, variant: str, rate: Decimal,
          amounts: tuple[Decimal, Decimal, Decimal, Decimal], quantity: int,
          *, order_product_id: int | None = None, codes: tuple[str, str, str] = ("", "", ""),
          discount: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))) -> dict[str, Any]:
    base_excl, base_incl, price_excl, price_incl = amounts
    article_code, ean, sku = codes
    return {
        "id": item_id,
        "type": kind,
        "title": title,
        "variant": variant,
        "orderProductId": order_product_id,
        "articleCode": article_code,
        "ean": ean,
        "sku": sku,
        "taxRate": rate,
        "basePriceExcl": base_excl,
        "basePriceIncl": base_incl,
        "priceExcl": price_excl,
        "priceIncl": price_incl,
        "discountExcl": discount[0],
        "discountIncl": discount[1],
        "quantity": quantity,
    }


def invoice_items(
    order: ShopOrder, invoice_id: int, quantities: dict[int, int] | None, *, shipping: bool
) -> list[dict[str, Any]]:
    """`invoices/{id}/items.json` items: product items for `quantities` (order product id →
    quantity; None: every line in full), the shipment when `shipping`, and the payment fee
    (an item even when it is 0, as in the real example)."""
    fields = order.fields
    items: list[dict[str, Any]] = []
    number = 0

    def next_id() -> int:
        nonlocal number
        number += 1
        return invoice_id * 10 + number

    for line in order.lines:
        line_fields = line.fields
        ordered = int(line_fields["quantityOrdered"])
        quantity = ordered if quantities is None else quantities.get(int(line_fields["id"]), 0)
        if quantity <= 0:
            continue

        def part(key: str, quantity: int = quantity, line_fields: dict[str, Any] = line_fields,
                 ordered: int = ordered) -> Decimal:
            return money(Decimal(line_fields[key]) * quantity / ordered)

        items.append(_item(
            next_id(), "product", line_fields["productTitle"], line_fields["variantTitle"],
            line_fields["taxRate"],
            (line_fields["basePriceExcl"], line_fields["basePriceIncl"],
             part("priceExcl"), part("priceIncl")),
            quantity, order_product_id=int(line_fields["id"]),
            codes=(line_fields["articleCode"], line_fields["ean"], line_fields["sku"]),
            discount=(part("discountExcl"), part("discountIncl")),
        ))
    if shipping and Decimal(fields["shipmentPriceIncl"]) != 0:
        items.append(_item(
            next_id(), "shipment", "_shipmentcosts_", fields["shipmentTitle"],
            fields["shipmentTaxRate"],
            (fields["shipmentBasePriceExcl"], fields["shipmentBasePriceIncl"],
             fields["shipmentPriceExcl"], fields["shipmentPriceIncl"]), 1,
        ))
    fee = quantities is None and Decimal(fields["paymentPriceIncl"]) != 0
    items.append(_item(
        next_id(), "payment", "_paymentcosts_", fields["paymentTitle"],
        fields["paymentTaxRate"] if fee else Decimal(0),
        (fields["paymentBasePriceExcl"], fields["paymentBasePriceIncl"],
         fields["paymentPriceExcl"], fields["paymentPriceIncl"]) if fee
        else (Decimal(0), Decimal(0), Decimal(0), Decimal(0)), 1,
    ))
    return items


def build_credit_note(
    order: ShopOrder,
    credit_id: int,
    number: str,
    quantities: dict[int, int],
    *,
    shipping: bool,
    at: datetime,
) -> CreditNote:
    """A credit invoice of `order` for `quantities` of its lines (and its shipment), made at
    `at`: amounts positive, as the real credit note's `priceExcl`/`priceIncl` are."""
    items = invoice_items(order, credit_id, quantities, shipping=shipping)
    moment = timestamp(at)
    fields: dict[str, Any] = {
        "id": credit_id,
        "createdAt": moment,
        "updatedAt": moment,
        "number": number,
        "status": "not_paid",
        "isVatShifted": bool(order.fields["taxRates"]) and order.fields["taxRates"][0]["rate"] == 0,
        "priceExcl": sum((Decimal(i["priceExcl"]) for i in items), Decimal(0)),
        "priceIncl": sum((Decimal(i["priceIncl"]) for i in items), Decimal(0)),
        "doNotifyNew": False,
        "doNotifyPaid": False,
        "isCreditNote": True,
        "creditNote": False,
    }
    return CreditNote(fields, order.id, order.customer_id, invoice_id_of(order.id), items)
