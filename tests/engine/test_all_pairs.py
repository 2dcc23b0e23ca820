"""Every pair works (issue 14, item 6): each registered shop with each registered accounting
system, no pair-specific rules, dry-run (no I/O).

For every shop × target, every fixture input of the shop's own rule set
(mappings/<shop>/fixtures) and every input of the shop's pair folders
(mappings/<shop>-*/fixtures: credit documents, orders the shop's checks turn away, orders not
paid yet) is mapped with `Pair.load(f"{shop}-{target}")`:

- what the shop's rules turn away or leave open, the pair turns away or leaves open the same way
  (the same checks, the same messages), whatever the target;
- for the rest, the four invariants hold on the canonical order, against the shop's own document,
  and on the target's payload, against the canonical order:
  1. total: the lines incl. VAT add up to what the shop says was paid, to the cent;
  2. one line per article: one canonical line per article row of the shop, one payload line per
     canonical article line;
  3. VAT per line as the shop charged it: each article's rate is the shop's rate for that row,
     and each payload line carries its canonical line's rate;
  4. the discount split adds up: the discount lines (per VAT rate) add up to the order's
     discount, and the payload's discounts to the canonical ones.
A credit document (canonical `kind: credit`) is checked the same way with negative amounts.

How a shop's document and a target's payload are read is data: one small reader per shop
(`SHOPS`) and one per target (`TARGETS`). A system registered without a reader here fails with
the name of the reader to add, so a new system never passes unchecked.

Currencies: the canonical order keeps the shop's amounts in the order's currency, with its
`conversion_rate` (units of the order's currency per unit of the shop's own: PrestaShop's
`conversion_rate`). A target that books in its own currency converts them at that rate and says
so on the document (`TargetReads.conversion` reads the rate it states); the payload is then
held to the canonical amounts divided by that rate — the total to the cent, each line within a
cent. A Shopify order is booked in shop money, also where the customer paid (and was refunded)
in another, presentment currency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.moneybird.simulator_data import TAX_RATES as MONEYBIRD_TAX_RATES
from mapper.connectors.registry import names
from mapper.engine.mapping import Pair, Payload, Skipped
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.compile import Rejection
from mapper.engine.rules.settings import load_settings_file

D = Decimal
CENT = D("0.01")
ZERO = D("0.00")
MAPPINGS = mappings_dir()


def cents(value: Any) -> Decimal:
    return D(str(value)).quantize(CENT, ROUND_HALF_UP)


def rate(value: Any) -> Decimal:
    """A VAT rate as a percentage without trailing zeros: 21, 9, 5.5, 0."""
    number = D(str(value)).quantize(D("0.01"), ROUND_HALF_UP).normalize()
    return number.quantize(D(1)) if number == number.to_integral_value() else number


# -- the shop's own document ---------------------------------------------------------------
@dataclass(frozen=True)
class ShopSays:
    """What the shop's document itself says (None where it does not say it directly)."""

    paid: Decimal  # the total paid (a credit: minus the total refunded)
    article_rates: list[Decimal]  # per article row, in order: the rate it was charged
    discount: Decimal | None  # the order's discount incl. VAT, as a negative amount
    credit: bool = False  # a credit document: what went back to the customer


def _ratio_rate(incl: Any, excl: Any) -> Decimal:
    """The rate a row was charged, from its amounts incl. and excl. VAT (6 decimals each)."""
    return rate((D(str(incl)) / D(str(excl)) - 1) * 100) if D(str(excl)) else D(0)


def _prestashop(document: dict[str, Any], settings: dict[str, Any]) -> ShopSays:
    order = document["order"]
    slip = document.get("order_slip")
    if slip:
        details = slip["associations"]["order_slip_details"]
        paid = -(cents(slip["amount"]) + cents(slip.get("shipping_cost_amount") or 0))
        rates = [_ratio_rate(d["amount_tax_incl"], d["amount_tax_excl"]) for d in details]
        return ShopSays(paid, rates, None, credit=True)
    rows = [r for r in order["associations"]["order_rows"] if int(r["product_quantity"]) > 0]
    rates = [_ratio_rate(r["unit_price_tax_incl"], r["unit_price_tax_excl"]) for r in rows]
    paid, discount = cents(order["total_paid_tax_incl"]), -cents(order["total_discounts_tax_incl"])
    # A cancellation after invoicing (credit_cancellations, the order in a cancel state) has
    # no slip: its credit note is the whole invoice, negated.
    if settings["credit_cancellations"] and str(order["current_state"]) in settings["cancel_states"]:
        return ShopSays(-paid, rates, -discount, credit=True)
    return ShopSays(paid, rates, discount)


def _lightspeed(document: dict[str, Any], settings: dict[str, Any]) -> ShopSays:
    if document.get("invoice", {}).get("isCreditNote"):
        items = [i for i in document["invoiceItems"] if i["type"] == "product"]
        rates = [rate(D(str(i["taxRate"])) * 100) for i in items]
        return ShopSays(-cents(document["invoice"]["priceIncl"]), rates, None, credit=True)
    rates = [rate(D(str(p["taxRate"])) * 100) for p in document["products"]]
    return ShopSays(cents(document["order"]["priceIncl"]), rates, None)


def _woocommerce(document: dict[str, Any], settings: dict[str, Any]) -> ShopSays:
    order = document["order"]
    percent = {int(t["id"]): t["rate"] for t in document.get("tax_rates") or []}
    percent.update({
        int(t["rate_id"]): t["rate_percent"] for t in order.get("tax_lines", [])
        if t.get("rate_percent") is not None
    })
    refund = document.get("refund")
    items = (refund or order)["line_items"]
    rates = []
    for item in items:
        taxed = [int(t["id"]) for t in item.get("taxes", []) if D(str(t.get("total") or 0))]
        rates.append(rate(percent[taxed[0]]) if taxed else D(0))
    if refund:
        return ShopSays(-cents(refund["amount"]), rates, None, credit=True)
    discount = -(cents(order["discount_total"]) + cents(order["discount_tax"]))
    return ShopSays(cents(order["total"]), rates, discount)


def _shopify(document: dict[str, Any], settings: dict[str, Any]) -> ShopSays:
    order = document["order"]
    refund = document.get("refund")
    if refund:
        items = [r["line_item"] for r in refund.get("refund_line_items", [])]
        rates = [_shopify_rate(item) for item in items]
        paid_back = [
            t for t in refund.get("transactions", [])
            if t["kind"] == "refund" and t.get("status", "success") == "success"
        ]
        if all((t.get("currency") or order["presentment_currency"]) == order["currency"]
               for t in paid_back):
            # paid back in shop money: what the transactions say went back
            refunded = sum((cents(t["amount"]) for t in paid_back), ZERO)
            return ShopSays(-refunded, rates, None, credit=True)
        # paid back in the presentment currency: the refund's own figures in shop money
        return ShopSays(_shopify_refunded_in_shop_money(order, refund), rates, None, credit=True)
    return ShopSays(cents(order["total_price"]), [_shopify_rate(i) for i in order["line_items"]], None)


def _shop_money(amount_set: dict[str, Any]) -> Decimal:
    return cents(amount_set["shop_money"]["amount"])


def _shopify_refunded_in_shop_money(order: dict[str, Any], refund: dict[str, Any]) -> Decimal:
    """A refund's total in shop money, as a negative amount: each refunded row's subtotal
    (gross where the order's prices include tax, else plus its tax), and the order adjustments
    (shipping refunds with their tax, refund discrepancies), which Shopify gives negative."""
    rows = sum(
        (_shop_money(r["subtotal_set"])
         + (ZERO if order.get("taxes_included") else _shop_money(r["total_tax_set"]))
         for r in refund.get("refund_line_items", [])),
        ZERO,
    )
    adjustments = sum(
        (_shop_money(a["amount_set"])
         + (_shop_money(a["tax_amount_set"]) if a["kind"] == "shipping_refund" else ZERO)
         for a in refund.get("order_adjustments", [])
         if a["kind"] in ("shipping_refund", "refund_discrepancy")),
        ZERO,
    )
    return adjustments - rows


def _shopify_rate(item: dict[str, Any]) -> Decimal:
    return rate(D(str(item["tax_lines"][0]["rate"])) * 100) if item.get("tax_lines") else D(0)


# a shop's document and the shop rule set's settings (the fixture's, over the defaults)
SHOPS: dict[str, Callable[[dict[str, Any], dict[str, Any]], ShopSays]] = {
    "prestashop": _prestashop,
    "lightspeed": _lightspeed,
    "woocommerce": _woocommerce,
    "shopify": _shopify,
}


# -- the target's payload ------------------------------------------------------------------
@dataclass(frozen=True)
class Booked:
    """A payload line as the target books it: its amount on `basis` and its VAT rate; a
    rounding line (the shop's, or the target's own for unit prices it cannot hold) is marked."""

    amount: Decimal
    rate: Decimal
    rounding: bool = False


@dataclass(frozen=True)
class TargetReads:
    """How a target's payload is read."""

    basis: str  # "incl" or "excl": which amount of a canonical line its lines carry
    lines: Callable[[dict[str, Any]], list[Booked]]  # every line, in order
    total: Callable[[dict[str, Any], list[Booked]], Decimal]  # the document's total incl. VAT
    # what it books as something else than a line: canonical kind → how it reads them
    elsewhere: dict[str, Callable[[dict[str, Any]], list[Booked]]]
    sign: Callable[[dict[str, Any]], int] = lambda body: 1  # -1: a credit in positive amounts
    # the conversion the document states it booked the order's amounts at: (the order's
    # currency, the rate, the currency booked in), None when it books them as they are
    conversion: Callable[[dict[str, Any]], Conversion | None] = lambda body: None


@dataclass(frozen=True)
class Conversion:
    """What a document says of its conversion: "1 EUR = 1.0837 USD" (`rate` USD per EUR)."""

    order_currency: str
    rate: Decimal
    booked_currency: str


_RATE = re.compile(r"\b1 ([A-Z]{3}) = ([0-9]+(?:\.[0-9]+)?) ([A-Z]{3})\b")


def _stated_conversion(text: Any) -> Conversion | None:
    """The rate a note states ("… 1 EUR = 1.0837 USD …"), or None when it states none."""
    found = _RATE.search(str(text or ""))
    return Conversion(found.group(3), D(found.group(2)), found.group(1)) if found else None


ROUNDING = "Afronding"  # how the Dutch targets' rules begin a rounding line's description


def _unit_lines(rows: Iterable[tuple[Any, Any, Any, bool, str]]) -> list[Booked]:
    """(quantity, unit price, rate %, price incl. VAT?, description) → lines incl. VAT, as
    the target computes them: quantity × price to the cent, VAT added per line where net."""
    booked = []
    for quantity, price, percent, incl, description in rows:
        amount = cents(D(str(quantity)) * D(str(price)))
        if not incl:
            amount = cents(amount * (1 + D(str(percent)) / 100))
        booked.append(Booked(amount, rate(percent), str(description).startswith(ROUNDING)))
    return booked


def _sum(lines: list[Booked]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def _yuki_lines(body: dict[str, Any]) -> list[Booked]:
    rows = body["InvoiceLines"]["InvoiceLine"]
    return _unit_lines(
        (r["ProductQuantity"], r["Product"]["SalesPrice"], r["Product"]["VATPercentage"],
         r["Product"]["VATIncluded"], r["Product"]["Description"])
        for r in rows
    )


def _factuursturen_lines(body: dict[str, Any]) -> list[Booked]:
    incl = body["client"].get("tax_type", "intax") == "intax"
    rows = body["invoice"]["lines"].values()
    booked = []
    for r in rows:
        factor = (100 - D(str(r.get("discount_pct") or 0))) / 100
        booked += _unit_lines(
            [(D(str(r["amount"])) * factor, r["price"], r["tax_rate"], incl, r["description"])]
        )
    return booked


def _moneybird_lines(body: dict[str, Any]) -> list[Booked]:
    invoice = body["sales_invoice"]
    incl = bool(invoice["prices_are_incl_tax"])
    return _unit_lines(
        (r["amount"], r["price"], _moneybird_rate(r["tax_rate"]), incl, r["description"])
        for r in invoice["details_attributes"]
    )


def _moneybird_rate(tax_rate: dict[str, Any]) -> Any:
    """The percentage, or where a rate is chosen by name ("0% btw EU"), the percentage of the
    administration's rate of that name ("Geen btw" has none: no VAT)."""
    if tax_rate.get("percentage") is not None:
        return tax_rate["percentage"]
    by_name = {r["name"]: r["percentage"] for r in MONEYBIRD_TAX_RATES}
    return by_name[tax_rate["name"]] or 0


def _exact_lines(body: dict[str, Any]) -> list[Booked]:
    """Exact Online's sales entry lines: net amount plus the VAT amount it is told."""
    return [
        Booked(cents(D(str(r["AmountFC"])) + D(str(r["VATAmountFC"]))), rate(r["VATPercentage"]),
               str(r["Description"]).startswith(ROUNDING))
        for r in body["sales_entry"]["SalesEntryLines"]
    ]


def _ubl_root(body: dict[str, Any]) -> str:
    return next(root for root in ("Invoice", "CreditNote") if body.get(root))


def _ubl(body: dict[str, Any]) -> dict[str, Any]:
    document = body[_ubl_root(body)]
    found: dict[str, Any] = document[0] if isinstance(document, list) else document
    return found


def _text(value: Any) -> Decimal:
    text = value.get("#text") if isinstance(value, dict) else value
    return D(str(text)) if text not in (None, "") else ZERO


def _peppol_lines(body: dict[str, Any]) -> list[Booked]:
    document = _ubl(body)
    rows = document.get("cac:InvoiceLine") or document.get("cac:CreditNoteLine") or []
    return [
        Booked(_text(r["cbc:LineExtensionAmount"]),
               rate(r["cac:Item"]["cac:ClassifiedTaxCategory"]["cbc:Percent"]))
        for r in rows
    ]


def _peppol_allowances(body: dict[str, Any]) -> list[Booked]:
    """Document-level allowances (discounts, net) as negative amounts."""
    found = _ubl(body).get("cac:AllowanceCharge") or []
    return [
        Booked(-_text(a["cbc:Amount"]), rate(a["cac:TaxCategory"]["cbc:Percent"]))
        for a in found if a["cbc:ChargeIndicator"] in (False, "false")
    ]


def _peppol_total(body: dict[str, Any], lines: list[Booked]) -> Decimal:
    totals = _ubl(body)["cac:LegalMonetaryTotal"]
    return _text(totals["cbc:TaxInclusiveAmount"]) + _text(totals["cbc:PayableRoundingAmount"])


TARGETS: dict[str, TargetReads] = {
    "yuki": TargetReads(
        "incl", _yuki_lines, lambda body, lines: _sum(lines), {},
        # without send_currency, converted to the administration's currency: the rate in Remarks
        conversion=lambda body: _stated_conversion(body.get("Remarks")),
    ),
    "factuursturen": TargetReads(
        "incl", _factuursturen_lines, lambda body, lines: _sum(lines), {},
        # the account's currency only: the rate on the third reference line
        conversion=lambda body: _stated_conversion(body["invoice"]["reference"].get("line3")),
    ),
    "moneybird": TargetReads("incl", _moneybird_lines, lambda body, lines: _sum(lines), {}),
    "exact": TargetReads("incl", _exact_lines, lambda body, lines: _sum(lines), {}),
    "peppol": TargetReads(
        "excl", _peppol_lines, _peppol_total,
        # discounts are allowances; rounding is PayableRoundingAmount, in the total
        {"discount": _peppol_allowances, "rounding": lambda body: []},
        sign=lambda body: -1 if _ubl_root(body) == "CreditNote" else 1,
    ),
}


# -- the cases -----------------------------------------------------------------------------
def _inputs(shop: str) -> list[Path]:
    own = sorted((MAPPINGS / shop / "fixtures").glob("*.input.json"))
    pairs = sorted(MAPPINGS.glob(f"{shop}-*/fixtures/*.input.json"))
    return own + pairs


def _case_id(value: Any) -> str:
    if isinstance(value, Path):
        return f"{value.parts[-3]}/{value.name.removesuffix('.input.json')}"
    return str(value)


CASES = [
    (f"{shop}-{target}", input_file)
    for shop in names("shop")
    for target in names("accounting")
    for input_file in _inputs(shop)
]


def test_every_registered_shop_and_target_is_in_the_conformance_run() -> None:
    """Each pair ran: four shops × the targets, each with fixtures; none lacks a reader."""
    shops, targets = names("shop"), names("accounting")
    assert {"prestashop", "lightspeed", "woocommerce", "shopify"} <= set(shops)
    assert {"yuki", "factuursturen", "moneybird", "peppol"} <= set(targets)
    ran = {pair for pair, _ in CASES}
    assert ran == {f"{s}-{t}" for s in shops for t in targets}
    assert [s for s in shops if s not in SHOPS] == [], "add a ShopSays reader for it"
    assert [t for t in targets if t not in TARGETS] == [], "add a TargetReads reader for it"
    for shop in shops:
        assert list((MAPPINGS / shop / "fixtures").glob("*.input.json")), shop


def _settings(input_file: Path) -> dict[str, Any]:
    found = input_file.with_name(input_file.name.replace(".input.json", ".settings.yaml"))
    return load_settings_file(found) if found.exists() else {}


def _canonical_line_amount(line: dict[str, Any], basis: str) -> Decimal:
    return cents(line[f"amount_{basis}"])


def _booked_rate(body: dict[str, Any], canonical: dict[str, Any], reads: TargetReads) -> Decimal:
    """The rate the payload's amounts are the canonical ones divided by: 1 when booked as they
    are; where the document states a conversion, it must be the canonical order's own: from
    its currency to the shop's, at its conversion_rate."""
    stated = reads.conversion(body)
    if stated is None:
        return D(1)
    assert stated.order_currency == canonical["currency"], (stated, canonical["currency"])
    assert stated.booked_currency == canonical["shop_currency"], stated
    assert stated.rate == D(str(canonical["conversion_rate"])), (stated, canonical["conversion_rate"])
    assert stated.rate > 0 and stated.order_currency != stated.booked_currency, stated
    return stated.rate


@pytest.mark.parametrize(("pair_name", "input_file"), CASES, ids=_case_id)
def test_the_pair_maps_the_shops_fixture_and_the_invariants_hold(
    pair_name: str, input_file: Path
) -> None:
    shop, target = pair_name.split("-", 1)
    assert shop in SHOPS, f"no ShopSays reader for {shop} in this test"
    assert target in TARGETS, f"no TargetReads reader for {target} in this test"
    document = json.loads(input_file.read_text("utf-8"), parse_float=Decimal)
    pair = Pair.load(pair_name, _settings(input_file), "fixture settings")
    outcome = pair.map(document)

    # What the shop's rules alone make of it: the pair must do the same.
    order_id = pair.order_id(document)
    reason = pair.source.not_sendable_reason(document, order_id)
    if reason is not None:
        assert outcome == Skipped(order_id, reason)
        return
    own = pair.source.apply(document, order_id)
    if isinstance(own, Rejection):
        assert isinstance(outcome, Rejection)
        assert [f.as_dict() for f in outcome.failures] == [f.as_dict() for f in own.failures]
        return
    if isinstance(outcome, Rejection) and input_file.parts[-3] != shop:
        # An input written for one pair's account (its rates, currencies, countries) that
        # this target's default account turns away: a clean rejection naming why, never a
        # payload that breaks an invariant. Listed in the report; see `TARGET_LIMITS`.
        failure = outcome.failures[0]
        assert failure.message and failure.resolution, outcome
        assert (target, failure.check) in TARGET_LIMITS, (target, outcome.reasons())
        return
    assert isinstance(outcome, Payload), getattr(outcome, "reasons", lambda: outcome)()
    canonical = outcome.canonical
    assert canonical == own  # the target's rules never change the canonical order

    _check_canonical_against_shop(canonical, SHOPS[shop](document, pair.source.settings))
    _check_payload_against_canonical(outcome.body, canonical, TARGETS[target])


# Target checks that turn away a pair folder's input written for another account, by design:
# the default account has no such VAT rate / currency / country code (each with a fixture of
# its own pair that expects the rejection).
TARGET_LIMITS = {
    ("yuki", "vat_code"),
    ("yuki", "currency_rate"),
    ("yuki", "zero_rate_abroad"),
    ("yuki", "oss_rate"),
    ("factuursturen", "tax_rate"),
    ("factuursturen", "currency_rate"),
    ("factuursturen", "country"),
    ("exact", "vat_code"),
    ("exact", "customer_code"),  # a guest's non-numeric number, without a guest account set
}

def _check_canonical_against_shop(canonical: dict[str, Any], shop: ShopSays) -> None:
    lines = canonical["lines"]
    sign = -1 if canonical.get("kind") == "credit" else 1
    assert (canonical.get("kind") == "credit") == shop.credit, canonical.get("kind")
    # 1. the lines add up to what was paid, and that is the shop's total, to the cent
    assert cents(canonical["totals"]["paid"]) == shop.paid
    assert sum((cents(line["amount_incl"]) for line in lines), ZERO) == shop.paid
    # 2. one line per article row; 3. at the rate the shop charged for that row
    articles = [line for line in lines if line["kind"] == "article"]
    assert [rate(line["vat_rate"]) for line in articles] == shop.article_rates
    for line in lines:
        assert sign * cents(line["amount_incl"]) >= 0 or line["kind"] in ("discount", "rounding")
    # 4. the discount lines, one per VAT rate, add up to the order's discount
    discounts = [line for line in lines if line["kind"] == "discount"]
    assert len({rate(line["vat_rate"]) for line in discounts}) == len(discounts)
    if shop.discount is not None:
        assert sum((cents(line["amount_incl"]) for line in discounts), ZERO) == shop.discount


def _check_payload_against_canonical(
    body: dict[str, Any], canonical: dict[str, Any], reads: TargetReads
) -> None:
    sign = reads.sign(body)
    read = reads.lines(body)
    booked = [Booked(sign * b.amount, b.rate, b.rounding) for b in read]
    lines = canonical["lines"]
    # the canonical amounts in the currency the target books: divided by the stated rate
    factor = _booked_rate(body, canonical, reads)
    # 1. the target's total is what the shop was paid, to the cent (converted: the converted
    # total, rounded once)
    assert sign * reads.total(body, read) == cents(D(str(canonical["totals"]["paid"])) / factor)
    # 2. one payload line per canonical line it books as a line (so one per article), in
    # order; rounding lines (the shop's, or the target's for unit prices it cannot hold) aside
    elsewhere_kinds = {kind for kind, read_kind in reads.elsewhere.items() if read_kind(body)}
    as_lines = [
        line for line in lines if line["kind"] not in elsewhere_kinds and line["kind"] != "rounding"
    ]
    priced = [b for b in booked if not b.rounding]
    assert len(priced) == len(as_lines), ([b.amount for b in booked], as_lines)
    # 3. each at its canonical line's VAT rate; a discount line at its exact amount
    assert [b.rate for b in priced] == [rate(line["vat_rate"]) for line in as_lines]
    for b, line in zip(priced, as_lines, strict=True):
        if line["kind"] == "discount" and factor == 1:
            assert b.amount == _canonical_line_amount(line, reads.basis), line
        elif line["kind"] == "discount":  # converted: within a cent of its exact value
            exact = D(str(line[f"amount_{reads.basis}"])) / factor
            assert abs(b.amount - exact) <= CENT, (b, line, factor)
    # 4. discounts booked elsewhere (document allowances) add up to the discount lines, per rate
    for kind, read_elsewhere in reads.elsewhere.items():
        elsewhere = sorted((sign * b.amount, b.rate) for b in read_elsewhere(body))
        of_kind = sorted(
            (_canonical_line_amount(line, reads.basis), rate(line["vat_rate"]))
            for line in lines if line["kind"] == kind
        )
        if kind in elsewhere_kinds:
            assert elsewhere == of_kind
