"""MoneybirdTarget: the connection check's one line, the rules' tax-rate and ledger-account names
turned into the administration's ids (read once per pass), refusals with what to configure, and
`find` for an interrupted post."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.adapters import CheckLine, Delivery
from mapper.connectors.moneybird.adapter import MoneybirdTarget
from mapper.connectors.moneybird.simulator import DEMO_TOKEN, MoneybirdSimulator
from mapper.connectors.moneybird.simulator_data import TAX_RATES
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.secret import Secret
from mapper.engine.paths import mappings_dir

FIXTURES = mappings_dir() / "prestashop-moneybird" / "fixtures"
SETTINGS: dict[str, Any] = {
    "tax_rate_names": {"0": "0% btw"}, "icp_tax_rate": "0% btw EU",
    "export_tax_rate": "0% btw buiten EU", "rounding_tax_rate": "Geen btw",
    "ledger_accounts": {"default": "8000"},
}
RATES = "0% btw, 0% btw EU, 0% btw buiten EU, 21% btw, 9% btw, Geen btw"


@dataclass(frozen=True)
class Payload:
    body: dict[str, Any]


def payload(name: str) -> Payload:
    path = FIXTURES / f"{name}.expected.json"
    return Payload(json.loads(Path(path).read_text(encoding="utf-8")))


def target(sim: MoneybirdSimulator, **section: Any) -> MoneybirdTarget:
    config = {"type": "moneybird", "url": sim.url, "administration_id": sim.administration_id,
              "token": Secret(DEMO_TOKEN, "env MB_TOKEN"), **section}
    return MoneybirdTarget(config, "tea", RetryPolicy(attempts=2, sleep=lambda _: None),
                           lambda _: "")


@pytest.fixture
def sim() -> Iterator[MoneybirdSimulator]:
    with MoneybirdSimulator() as simulator:
        yield simulator


def test_check_names_the_administration_and_its_sales_tax_rates(sim: MoneybirdSimulator) -> None:
    assert target(sim).check(SETTINGS) == [CheckLine(
        "Moneybird", True,
        f"token accepted, administration 'Theehuis De Vries B.V.' found; sales tax rates {RATES}",
    )]


def test_check_says_which_configured_rate_is_missing(sim: MoneybirdSimulator) -> None:
    settings = {**SETTINGS, "icp_tax_rate": "Btw verlegd"}
    [line] = target(sim).check(settings)
    assert not line.ok and line.message == (
        "Moneybird administration 'Theehuis De Vries B.V.' has no active sales tax rate named "
        f"'Btw verlegd' (for 'the settings'; it has: {RATES}). Add it in Moneybird: "
        "Instellingen → Btw-tarieven, or name one it has in the moneybird settings "
        "(tax_rate_names, icp_tax_rate, export_tax_rate, rounding_tax_rate)")


def test_check_refused_token_and_unknown_administration(sim: MoneybirdSimulator) -> None:
    wrong = target(sim, token="not-the-token")
    assert wrong.check(SETTINGS) == [CheckLine("Moneybird", False, (
        "API token refused (GET administrations: HTTP 401: No valid access token given); "
        "check the target's token"))]
    other = target(sim, administration_id="123")
    assert other.check(SETTINGS) == [CheckLine("Moneybird", False, (
        "administration 123 is not among those the token may use; check the target's "
        "administration_id"))]


def test_check_without_sales_tax_rates() -> None:
    purchase_only = tuple(r for r in TAX_RATES if r["tax_rate_type"] != "sales_invoice")
    with MoneybirdSimulator(tax_rates=purchase_only) as bare:
        [line] = target(bare).check(SETTINGS)
    assert line.message == ("administration 'Theehuis De Vries B.V.' has no active sales tax "
                            "rates; add them in Moneybird: Instellingen → Btw-tarieven")


def test_post_books_the_names_as_the_administrations_ids(sim: MoneybirdSimulator) -> None:
    books = target(sim)
    [delivery] = books.post([payload("03_icp_germany_company")])
    assert delivery.outcome == "sent"
    invoice = sim.invoices[delivery.reference]
    assert [(d["description"], d["price"], d["amount"], d["tax_rate_id"], d["ledger_account_id"])
            for d in invoice["details"]] == [
        ("Espressomachine Pro", "412.40", "1", "470000000000000104", "470000000000000201"),
        ("Koffiebonen 1 kg", "16.97", "4", "470000000000000104", "470000000000000201"),
        ("Verzendkosten", "12.40", "1", "470000000000000104", "470000000000000201"),
        ("Afronding Koffiebonen 1 kg", "0.01", "1", "470000000000000104",
         "470000000000000201"),
    ]
    assert invoice["total_price_incl_tax"] == "492.69"
    assert sim.contacts[invoice["contact_id"]]["tax_number"] == "DE136695976"


def test_a_rate_the_administration_lacks_is_held_back_before_posting(
    sim: MoneybirdSimulator,
) -> None:
    books = target(sim)
    check = books.prechecker()
    problems = check([payload("01_domestic_two_rates_discount"),
                      payload("10_vat_rate_without_code")])
    assert problems == {1: (
        "Moneybird administration 'Theehuis De Vries B.V.' has no active sales tax rate of 6 % "
        f"(for 'Oude boekenbon'; it has: {RATES}). Add it in Moneybird: Instellingen → "
        "Btw-tarieven, or name one it has in the moneybird settings (tax_rate_names, "
        "icp_tax_rate, export_tax_rate, rounding_tax_rate)")}
    # Read once for the pass: a second batch asks nothing again.
    asked = len(sim.requests_log)
    check([payload("14_wrapping_surcharge")])
    assert len(sim.requests_log) == asked


def test_post_refuses_what_the_precheck_would_have_held_back(sim: MoneybirdSimulator) -> None:
    [delivery] = target(sim).post([payload("10_vat_rate_without_code")])
    assert delivery.outcome == "refused" and delivery.message.startswith(
        "Moneybird administration 'Theehuis De Vries B.V.' has no active sales tax rate of 6 %")
    assert sim.invoices == {} and sim.contacts == {}


def test_several_rates_of_one_percentage_must_be_named(sim: MoneybirdSimulator) -> None:
    zero = payload("01_domestic_two_rates_discount")
    zero.body["sales_invoice"]["details_attributes"][0]["tax_rate"] = {"percentage": "0"}
    assert target(sim).prechecker()([zero]) == {0: (
        "Moneybird administration 'Theehuis De Vries B.V.' has 3 active sales tax rates of 0 % "
        "(0% btw, 0% btw EU, 0% btw buiten EU); name the one to use in the moneybird settings' "
        "tax_rate_names")}


def test_an_unknown_ledger_account_names_the_ones_there_are(sim: MoneybirdSimulator) -> None:
    wrong = payload("14_wrapping_surcharge")
    for detail in wrong.body["sales_invoice"]["details_attributes"]:
        detail["ledger_account"] = "8400"
    assert target(sim).post([wrong]) == [Delivery("refused", message=(
        "Moneybird administration 'Theehuis De Vries B.V.' has no revenue ledger accounts with "
        "code or name '8400' (for 'Vaas glas'; it has: Omzet (8000), Omzet verzendkosten "
        "(8010)). Set the moneybird settings' ledger_accounts to one of them, or add it in "
        "Moneybird"))]


def test_a_ledger_account_may_be_named(sim: MoneybirdSimulator) -> None:
    named = payload("14_wrapping_surcharge")
    named.body["sales_invoice"]["details_attributes"][1]["ledger_account"] = "omzet verzendkosten"
    [delivery] = target(sim).post([named])
    details = sim.invoices[delivery.reference]["details"]
    assert [d["ledger_account_id"] for d in details] == [
        "470000000000000201", "470000000000000202", "470000000000000201"]


def test_find_looks_up_the_reference_of_an_interrupted_post(sim: MoneybirdSimulator) -> None:
    books = target(sim)
    order = payload("01_domestic_two_rates_discount")
    assert books.find(order) is None
    [delivery] = books.post([order])
    assert books.find(order) == delivery.reference
    books.close()


def _shop_total(document: dict[str, Any]) -> Decimal:
    slip = document.get("order_slip")
    if slip is not None:  # a PrestaShop credit slip: what went back, negative
        refunded = Decimal(str(slip["amount"])) + Decimal(str(slip["total_shipping_tax_incl"]))
        return -refunded.quantize(Decimal("0.01"))
    refund = document.get("refund")
    if refund is not None:  # a WooCommerce refund: its amount went back, negative
        return -Decimal(str(refund["amount"])).quantize(Decimal("0.01"))
    order = document["order"]
    total = order.get("total_paid", order.get("priceIncl", order.get("total")))
    return Decimal(str(total)).quantize(Decimal("0.01"))


BOOKABLE = sorted(
    path for pair in ("prestashop-moneybird", "lightspeed-moneybird", "woocommerce-moneybird")
    for path in (mappings_dir() / pair / "fixtures").glob("*.expected.json")
    if '"sales_invoice"' in path.read_text(encoding="utf-8")
    and '"percentage": "6"' not in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("expected", BOOKABLE, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_moneybird_books_exactly_the_shops_total(sim: MoneybirdSimulator, expected: Path) -> None:
    source = expected.with_name(expected.name.replace(".expected.", ".input."))
    document = json.loads(source.read_text(encoding="utf-8"), parse_float=Decimal)
    [delivery] = target(sim).post([Payload(json.loads(expected.read_text(encoding="utf-8")))])
    assert delivery.outcome == "sent", delivery.message
    booked = Decimal(sim.invoices[delivery.reference]["total_price_incl_tax"])
    assert booked == _shop_total(document)
