"""Orders for the PrestaShop simulator: a few hand-made demo orders and a seeded generator.

`generate_orders(n, seed)` returns an `OrderBatch`: a lazy, deterministic collection of `n`
internally consistent orders with their customers and addresses. Nothing is stored per order; each
object is rebuilt from `(seed, index)` when asked for, so 100,000 orders cost next to no memory.

The shop is Dutch (see `prestashop_catalog`). Customers live in NL, BE, DE, FR, GB and the US;
some are companies with a VAT number on their address. Orders from EU companies outside NL are
intra-community supplies (no VAT), orders to GB / US are exports (no VAT); everything else carries
Dutch VAT at 21 % or 9 %. Options add a share of not-yet-paid orders, of "bad" orders (totals that
do not add up; an EU company whose VAT number is invalid) and of rows without a product reference.
`OrderBatch.traits(order_id)` says which of these an order is, so tests can pick their cases.
"""

from __future__ import annotations

import hashlib
import math
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from .build import (
    AddressSpec,
    CustomerSpec,
    LineSpec,
    OrderSpec,
    build_address,
    build_customer,
    build_order,
)
from .catalog import (
    AWAITING_PAYMENT,
    CATALOGUE,
    COUNTRIES,
    EU_COUNTRIES,
    PAYMENT_BANKWIRE,
    PAYMENT_CARD,
    PAYMENT_IDEAL,
    PAYMENT_PAYPAL,
    PRODUCTS,
    REFERENCED_PRODUCT_IDS,
    UNREFERENCED_PRODUCT_IDS,
    JsonObject,
)
from .people import (
    company_name,
    invalid_vat_number,
    person,
    street,
    valid_vat_number,
)

__all__ = [
    "OrderBatch",
    "OrderRecord",
    "demo_records",
    "fetched_document",
    "generate_orders",
]

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_COUNTRY_WEIGHTS = (("NL", 55), ("BE", 15), ("DE", 12), ("FR", 6), ("GB", 6), ("US", 6))
_PAID_STATES = ((2, 35), (3, 10), (4, 30), (5, 20), (12, 5))
_UNPAID_STATES = ((10, 50), (11, 15), (1, 10), (14, 10), (13, 5), (6, 5), (8, 5))
_GIFT_MESSAGES = ("Gefeliciteerd!", "Fijne verjaardag!", "Happy birthday!", "Bedankt voor alles")


@dataclass(frozen=True)
class OrderRecord:
    """One order with the customer and addresses it refers to, as PrestaShop's JSON gives them."""

    order: JsonObject
    customer: JsonObject
    addresses: list[JsonObject]


@dataclass(frozen=True)
class _Customer:
    index: int
    country: str
    company: str
    vat_number: str
    vat_valid: bool
    id_lang: str
    guest: bool
    second_address: bool
    second_deleted: bool
    date_add: str


@dataclass(frozen=True)
class _Header:
    """What the simulator's index needs of an order, drawn without building the order."""

    customer_index: int
    bad: str  # "", "total" or "vat"
    state_id: int
    payment: tuple[str, str]
    date_add: str
    paid_at: str | None
    date_upd: str


_T = TypeVar("_T")


def _weighted(rng: random.Random, table: tuple[tuple[_T, int], ...]) -> _T:
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]


def _text(moment: datetime) -> str:
    return moment.strftime(_DATE_FORMAT)


class OrderBatch:
    """`n` generated orders with ids `first_order_id`…, rebuilt on demand from `seed`.

    Customer ids start at `first_customer_id` (about one customer per three orders, so customers
    come back); each customer owns address ids `first_address_id + 2k` (and `+ 1` when they have a
    second address). Pick-up point addresses (id_customer "0", created by the carrier module) follow
    the customers' range, one per order that uses one.

    Orders are placed about `interval_seconds` apart from `start` (ids in date order); `date_upd`
    follows payment, the warehouse's daily shipping run and deliveries, so it is not in id order
    and many orders share one `date_upd`. `unpaid_share` of the orders wait for payment (or were
    cancelled); `bad_share` are bad (half with totals that do not add up, half from an EU company
    whose VAT number fails its check digits); `unreferenced_share` have a row whose product has no
    reference.
    """

    def __init__(
        self,
        n: int,
        seed: int,
        *,
        first_order_id: int = 1,
        first_customer_id: int = 1,
        first_address_id: int = 1,
        start: datetime = datetime(2024, 1, 2, 8, 0, 0),
        interval_seconds: int = 600,
        unpaid_share: float = 0.15,
        bad_share: float = 0.0,
        unreferenced_share: float = 0.1,
        company_share: float = 0.2,
    ) -> None:
        if n < 0 or interval_seconds < 1:
            raise ValueError("n must be >= 0 and interval_seconds >= 1")
        self.n = n
        self.seed = seed
        self.first_order_id = first_order_id
        self.first_customer_id = first_customer_id
        self.first_address_id = first_address_id
        self.start = start
        self.interval_seconds = interval_seconds
        self.unpaid_share = unpaid_share
        self.bad_share = bad_share
        self.unreferenced_share = unreferenced_share
        self.company_share = company_share
        self._regular_customers = max(1, math.ceil(n / 3))
        self._bad_vat_customers = math.ceil(n * bad_share / 4) if bad_share > 0 else 0
        customers = self._regular_customers + self._bad_vat_customers
        self._pickup_base = first_address_id + 2 * customers
        # A page of orders asks for the same plans many times (order, customer, addresses);
        # small caches keep that cheap while memory stays bounded.
        self._customer = lru_cache(maxsize=4096)(self._draw_customer)
        self._header = lru_cache(maxsize=4096)(self._draw_header)
        self._spec = lru_cache(maxsize=1024)(self._draw_spec)

    # -- id ranges ------------------------------------------------------------------------
    @property
    def order_ids(self) -> range:
        return range(self.first_order_id, self.first_order_id + self.n)

    @property
    def customer_ids(self) -> range:
        count = self._regular_customers + self._bad_vat_customers
        return range(self.first_customer_id, self.first_customer_id + count)

    @property
    def address_ids(self) -> range:
        return range(self.first_address_id, self._pickup_base + self.n)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[OrderRecord]:
        for order_id in self.order_ids:
            yield self.record(order_id)

    # -- objects --------------------------------------------------------------------------
    def order(self, order_id: int) -> JsonObject | None:
        if order_id not in self.order_ids:
            return None
        return build_order(self._spec(order_id - self.first_order_id))

    def customer(self, customer_id: int) -> JsonObject | None:
        if customer_id not in self.customer_ids:
            return None
        plan = self._customer(customer_id - self.first_customer_id)
        rng = random.Random(f"ps-person:{self.seed}:{plan.index}")
        someone = person(rng, plan.country, customer_id)
        key = hashlib.md5(f"customer:{self.seed}:{customer_id}".encode()).hexdigest()
        secret = hashlib.sha256(key.encode()).hexdigest()
        return build_customer(
            CustomerSpec(
                customer_id=customer_id,
                firstname=someone.firstname,
                lastname=someone.lastname,
                email=someone.email,
                date_add=plan.date_add,
                id_lang=plan.id_lang,
                company="",
                gender=someone.gender,
                birthday=someone.birthday,
                newsletter=rng.random() < 0.3,
                is_guest=plan.guest,
                secure_key=key,
                passwd="" if plan.guest else f"$2y$10${secret[:53]}",
            )
        )

    def address_ids_of(self, customer_id: int) -> list[int]:
        """The ids of the addresses customer `customer_id` owns (deleted ones included)."""
        if customer_id not in self.customer_ids:
            return []
        index = customer_id - self.first_customer_id
        first = self.first_address_id + 2 * index
        return [first, first + 1] if self._customer(index).second_address else [first]

    def address_owner(self, address_id: int) -> int | None:
        """The `id_customer` of address `address_id` without building it (0 for a pick-up
        point), or None if the batch has no such address."""
        if address_id >= self._pickup_base:
            return 0 if self._pickup_address(address_id) is not None else None
        if address_id < self.first_address_id:
            return None
        index, slot = divmod(address_id - self.first_address_id, 2)
        if slot == 1 and not self._customer(index).second_address:
            return None
        return self.first_customer_id + index

    def address(self, address_id: int) -> JsonObject | None:
        if address_id >= self._pickup_base:
            return self._pickup_address(address_id)
        if address_id < self.first_address_id:
            return None
        index, slot = divmod(address_id - self.first_address_id, 2)
        plan = self._customer(index)
        if slot == 1 and not plan.second_address:
            return None
        customer_id = self.first_customer_id + index
        someone = person(random.Random(f"ps-person:{self.seed}:{index}"), plan.country, customer_id)
        rng = random.Random(f"ps-address:{self.seed}:{index}:{slot}")
        place = street(rng, plan.country)
        return build_address(
            AddressSpec(
                address_id=address_id,
                customer_id=customer_id,
                country=plan.country,
                firstname=someone.firstname,
                lastname=someone.lastname,
                address1=place.address1,
                postcode=place.postcode,
                city=place.city,
                id_state=place.id_state,
                date_add=plan.date_add,
                alias=("Kantoor" if plan.company else "Thuis") if slot == 0 else "Ander adres",
                company=plan.company,
                vat_number=plan.vat_number,
                phone=place.phone if rng.random() < 0.5 else "",
                phone_mobile=place.phone,
                deleted=slot == 1 and plan.second_deleted,
            )
        )

    def record(self, order_id: int) -> OrderRecord:
        order = self.order(order_id)
        if order is None:
            raise KeyError(order_id)
        customer = self.customer(int(order["id_customer"]))
        assert customer is not None
        ids = self.address_ids_of(customer["id"])
        for field in ("id_address_invoice", "id_address_delivery"):
            if int(order[field]) not in ids:
                ids.append(int(order[field]))
        addresses = [a for a in (self.address(i) for i in ids) if a is not None]
        return OrderRecord(order, customer, addresses)

    # -- what the simulator's index needs -------------------------------------------------
    def light_value(self, order_id: int, field: str) -> str | None:
        """`date_add`, `date_upd`, `current_state` or `id_customer` of an order without building
        it (None for any other field), so an index over many orders stays cheap."""
        if order_id not in self.order_ids:
            return None
        head = self._header(order_id - self.first_order_id)
        if field == "date_upd":
            return head.date_upd
        if field == "date_add":
            return head.date_add
        if field == "current_state":
            return str(head.state_id)
        if field == "id_customer":
            return str(self.first_customer_id + head.customer_index)
        return None

    def pickup_address_ids(self) -> list[int]:
        """Ids of the pick-up point addresses in use (id_customer "0")."""
        return [
            spec.delivery_address_id
            for spec in (self._spec(i) for i in range(self.n))
            if spec.delivery_address_id >= self._pickup_base
        ]

    def traits(self, order_id: int) -> frozenset[str]:
        """Labels of order `order_id`: where it goes — domestic, eu_consumer, icp (an EU company
        with a valid VAT number: no VAT), bad_vat (an EU company whose VAT number is invalid, yet
        charged no VAT) or export — and paid / unpaid, bad_total, unreferenced, pickup, discount,
        gift, company."""
        index = order_id - self.first_order_id
        head = self._header(index)
        plan = self._customer(head.customer_index)
        spec = self._spec(index)
        labels = {"paid" if spec.paid_at is not None else "unpaid"}
        if plan.country == "NL":
            labels.add("domestic")
        elif plan.country not in EU_COUNTRIES:
            labels.add("export")
        elif plan.vat_number:
            labels.add("icp" if plan.vat_valid else "bad_vat")
        else:
            labels.add("eu_consumer")
        if plan.company:
            labels.add("company")
        if head.bad == "total":
            labels.add("bad_total")
        if any(CATALOGUE[line.product_id].reference == "" for line in spec.lines):
            labels.add("unreferenced")
        if spec.delivery_address_id >= self._pickup_base:
            labels.add("pickup")
        if spec.discount_percent is not None or spec.discount_amount is not None:
            labels.add("discount")
        if spec.gift_message is not None:
            labels.add("gift")
        return frozenset(labels)

    # -- drawing --------------------------------------------------------------------------
    def _draw_customer(self, index: int) -> _Customer:
        rng = random.Random(f"ps-customer:{self.seed}:{index}")
        bad_vat = index >= self._regular_customers
        country = rng.choice(("BE", "DE", "FR")) if bad_vat else _weighted(rng, _COUNTRY_WEIGHTS)
        is_company = bad_vat or rng.random() < self.company_share
        company = company_name(rng, country) if is_company else ""
        vat_number = ""
        if bad_vat:
            vat_number = invalid_vat_number(rng, country)
        elif is_company and country in EU_COUNTRIES:
            vat_number = valid_vat_number(rng, country)
        created = self.start - timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86399))
        return _Customer(
            index=index,
            country=country,
            company=company,
            vat_number=vat_number,
            vat_valid=not bad_vat,
            id_lang="2" if country in ("NL", "BE") else "1",
            guest=not is_company and rng.random() < 0.1,
            second_address=rng.random() < 0.25,
            second_deleted=rng.random() < 0.1,
            date_add=_text(created),
        )

    def _draw_header(self, index: int) -> _Header:
        rng = random.Random(f"ps-order:{self.seed}:{index}")
        bad = ""
        if rng.random() < self.bad_share:
            bad = "vat" if self._bad_vat_customers and rng.random() < 0.5 else "total"
        if bad == "vat":
            customer_index = self._regular_customers + rng.randrange(self._bad_vat_customers)
        else:
            customer_index = rng.randrange(self._regular_customers)
        added = self.start + timedelta(
            seconds=index * self.interval_seconds + rng.randrange(self.interval_seconds)
        )
        if rng.random() < self.unpaid_share:
            state = _weighted(rng, _UNPAID_STATES)
            payment = AWAITING_PAYMENT[state]
            updated = added + timedelta(seconds=1)
            if state == 6:  # the nightly job cancels bank wires never paid
                updated = (added + timedelta(days=14)).replace(hour=3, minute=0, second=0)
            return _Header(customer_index, bad, state, payment, _text(added), None, _text(updated))
        state = _weighted(rng, _PAID_STATES)
        payment = rng.choices(
            (PAYMENT_IDEAL, PAYMENT_CARD, PAYMENT_PAYPAL, PAYMENT_BANKWIRE), (60, 10, 15, 15)
        )[0]
        if payment == PAYMENT_BANKWIRE:  # booked when the bank statement is imported
            paid = (added + timedelta(days=rng.randint(1, 3))).replace(
                hour=10, minute=rng.randint(0, 59), second=rng.randint(0, 59)
            )
        else:
            paid = added + timedelta(seconds=rng.randint(5, 90))
        updated = paid
        if state == 3:
            updated = paid + timedelta(hours=rng.randint(1, 5))
        elif state in (4, 5):  # the warehouse marks the day's parcels shipped in one go
            updated = (paid + timedelta(days=1)).replace(hour=16, minute=0, second=0)
            if state == 5:  # the carrier's webhook reports deliveries at noon
                updated = (updated + timedelta(days=rng.randint(1, 2))).replace(hour=12)
        return _Header(customer_index, bad, state, payment, _text(added), _text(paid),
                       _text(updated))

    def _draw_spec(self, index: int) -> OrderSpec:
        head = self._header(index)
        plan = self._customer(head.customer_index)
        order_id = self.first_order_id + index
        customer_id = self.first_customer_id + head.customer_index
        rng = random.Random(f"ps-lines:{self.seed}:{index}")
        count = rng.choice((1, 1, 2, 2, 3, 4))
        products = rng.sample(REFERENCED_PRODUCT_IDS, count)
        if rng.random() < self.unreferenced_share:
            products[-1] = rng.choice(UNREFERENCED_PRODUCT_IDS)
        lines = []
        for product_id in products:
            options = CATALOGUE[product_id].options
            lines.append(
                LineSpec(
                    product_id,
                    rng.choices((1, 2, 3), (80, 15, 5))[0],
                    rng.randrange(len(options)) if options else None,
                )
            )
        invoice_address = self.first_address_id + 2 * head.customer_index
        delivery_address = invoice_address
        roll = rng.random()
        if plan.country == "NL" and roll < 0.05:
            delivery_address = self._pickup_base + index
        elif plan.second_address and roll < 0.35:
            delivery_address = invoice_address + 1
        discount_roll = rng.random()
        total_error = Decimal("0")
        if head.bad == "total":
            total_error = Decimal(rng.choice(("0.01", "-0.01", "0.10", "1.00", "-2.50")))
        return OrderSpec(
            order_id=order_id,
            customer_id=customer_id,
            invoice_address_id=invoice_address,
            delivery_address_id=delivery_address,
            country=plan.country,
            lines=tuple(lines),
            state_id=head.state_id,
            date_add=head.date_add,
            date_upd=head.date_upd,
            reference="".join(rng.choices(string.ascii_uppercase, k=9)),
            secure_key=hashlib.md5(f"order:{self.seed}:{order_id}".encode()).hexdigest(),
            payment=head.payment,
            id_lang=plan.id_lang,
            vat_free=plan.country not in EU_COUNTRIES
            or (plan.country != "NL" and bool(plan.vat_number)),
            paid_at=head.paid_at,
            discount_percent=Decimal("10") if discount_roll < 0.08 else None,
            discount_amount=Decimal("5.00") if 0.08 <= discount_roll < 0.12 else None,
            gift_message=rng.choice(_GIFT_MESSAGES) if rng.random() < 0.07 else None,
            total_error=total_error,
        )

    def _pickup_address(self, address_id: int) -> JsonObject | None:
        index = address_id - self._pickup_base
        if not 0 <= index < self.n:
            return None
        spec = self._spec(index)
        if spec.delivery_address_id != address_id:
            return None
        customer = self.customer(spec.customer_id)
        assert customer is not None
        place = street(random.Random(f"ps-pickup:{self.seed}:{index}"), "NL")
        return build_address(
            AddressSpec(
                address_id=address_id,
                customer_id=0,
                country="NL",
                firstname=customer["firstname"],
                lastname=customer["lastname"],
                address1=place.address1,
                postcode=place.postcode,
                city=place.city,
                date_add=spec.date_add,
                alias="PostNL afhaalpunt",
                company="PostNL Punt",
                other="Afhaalpunt gekozen in de checkout",
            )
        )


# `generate_orders(n, seed, **options)`: `n` realistic, internally consistent orders, the same
# for the same arguments — see OrderBatch for the options (shares of unpaid, bad, unreferenced
# and company orders; ids, start and spacing).
generate_orders = OrderBatch


def fetched_document(record: OrderRecord) -> JsonObject:
    """The fetched order document (DESIGN.md) for `record`, built offline from the catalogue."""
    countries = {str(c["id"]): c for c in COUNTRIES}
    products = {str(p["id"]): p for p in PRODUCTS}
    rows = record.order["associations"]["order_rows"]
    return {
        "order": record.order,
        "customer": record.customer,
        "addresses": record.addresses,
        "countries": {a["id_country"]: countries[a["id_country"]] for a in record.addresses},
        "products": {
            r["product_id"]: products[r["product_id"]]
            for r in rows
            if not r["product_reference"]
        },
    }


def demo_records() -> list[OrderRecord]:
    """Four hand-made orders (ids 1–4; customers 1–3; addresses 1–5) covering the main cases.

    1: a Dutch consumer, 21 % and 9 % lines, paid by iDEAL, shipped.
    2: a Belgian company with a valid VAT number (intra-community, no VAT), paid by bank wire.
    3: an American consumer (export, no VAT) with a row without reference, a voucher, PayPal.
    4: the Dutch consumer again, gift-wrapped with a 10 % voucher, still awaiting the bank wire.
    """
    sanne = CustomerSpec(1, "Sanne", "de Vries", "sanne.devries@example.com",
                         "2023-11-04 19:22:08", gender="2", birthday="1988-06-14",
                         newsletter=True, secure_key=hashlib.md5(b"demo:1").hexdigest(),
                         passwd="$2y$10$" + hashlib.sha256(b"demo:1").hexdigest()[:53])
    lien = CustomerSpec(2, "Lien", "Peeters", "lien@theehuis-gent.example", "2023-12-12 10:05:41",
                        gender="2", company="Theehuis Gent BV",
                        secure_key=hashlib.md5(b"demo:2").hexdigest(),
                        passwd="$2y$10$" + hashlib.sha256(b"demo:2").hexdigest()[:53])
    emily = CustomerSpec(3, "Emily", "Miller", "emily.miller@example.net", "2024-01-03 02:14:59",
                         id_lang="1", gender="2", is_guest=True,
                         secure_key=hashlib.md5(b"demo:3").hexdigest())
    addresses = {
        1: AddressSpec(1, 1, "NL", "Sanne", "de Vries", "Lindelaan 23", "3581 KD", "Utrecht",
                       "2023-11-04 19:24:30", alias="Thuis", phone_mobile="06 12345678"),
        2: AddressSpec(2, 1, "NL", "Sanne", "de Vries", "Stationsplein 1", "3511 ED", "Utrecht",
                       "2023-12-01 12:00:00", alias="Werk", company="Stationskiosk",
                       address2="Tweede verdieping"),
        3: AddressSpec(3, 2, "BE", "Lien", "Peeters", "Veldstraat 12", "9000", "Gent",
                       "2023-12-12 10:06:02", alias="Kantoor", company="Theehuis Gent BV",
                       vat_number="BE0403019261", phone="+32 9 2233445"),
        4: AddressSpec(4, 3, "US", "Emily", "Miller", "16, Main street", "33133", "Miami",
                       "2024-01-03 02:15:40", alias="My address", address2="2nd floor",
                       id_state="9", phone="0102030405"),
        5: AddressSpec(5, 0, "NL", "Sanne", "de Vries", "Oudegracht 150", "3511 AZ", "Utrecht",
                       "2024-01-05 09:12:00", alias="PostNL afhaalpunt", company="PostNL Punt",
                       other="Afhaalpunt gekozen in de checkout"),
    }
    orders = [
        OrderSpec(1, 1, 1, 1, "NL", (LineSpec(6), LineSpec(1, 2), LineSpec(8, 1, 0)), 4,
                  "2024-01-02 09:15:02", "2024-01-03 16:00:00", "QDMWFNXRT",
                  hashlib.md5(b"order:1").hexdigest(), PAYMENT_IDEAL,
                  paid_at="2024-01-02 09:15:40"),
        OrderSpec(2, 2, 3, 3, "BE", (LineSpec(9, 3), LineSpec(3, 4)), 2,
                  "2024-01-02 11:40:17", "2024-01-04 10:31:09", "HZKPLEAVB",
                  hashlib.md5(b"order:2").hexdigest(), PAYMENT_BANKWIRE, vat_free=True,
                  paid_at="2024-01-04 10:31:09"),
        OrderSpec(3, 3, 4, 4, "US", (LineSpec(14), LineSpec(5)), 12, "2024-01-03 02:20:44",
                  "2024-01-03 02:21:30", "UYTRBNMCX", hashlib.md5(b"order:3").hexdigest(),
                  PAYMENT_PAYPAL, id_lang="1", vat_free=True, paid_at="2024-01-03 02:21:30",
                  discount_amount=Decimal("5.00")),
        OrderSpec(4, 1, 1, 5, "NL", (LineSpec(10), LineSpec(15, 2)), 10,
                  "2024-01-05 09:12:31", "2024-01-05 09:12:32", "LKJHGFDSA",
                  hashlib.md5(b"order:4").hexdigest(), PAYMENT_BANKWIRE,
                  discount_percent=Decimal("10"), gift_message="Gefeliciteerd met je nieuwe huis!"),
    ]
    customers = {1: build_customer(sanne), 2: build_customer(lien), 3: build_customer(emily)}
    built = {aid: build_address(spec) for aid, spec in addresses.items()}
    owned = {1: [1, 2], 2: [3], 3: [4]}
    records = []
    for spec in orders:
        ids = list(owned[spec.customer_id])
        ids += [i for i in (spec.invoice_address_id, spec.delivery_address_id) if i not in ids]
        records.append(
            OrderRecord(build_order(spec), customers[spec.customer_id], [built[i] for i in ids])
        )
    return records
