"""Every Peppol document the rules make passes what an access point checks: the UBL 2.1 XSD,
the EN 16931 rules (CEN's XSLT, no fatal finding) and OpenPeppol's own rules (given
MAPPER_PEPPOL_XSLT, else skipped with the reason). Covers the peppol rule set's fixtures, the
shop-peppol pairs' fixtures, and — item 6 of issue 14 — every fixture of every shop mapped to
peppol with no pair-specific rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.fixtures import produce, run_fixtures
from mapper.engine.rules.settings import load_settings_file
from peppol.validation import (
    CEN_XSLT,
    PEPPOL_NOT_SET,
    fatal,
    findings,
    peppol_xslt,
    xsd_errors,
)

MAPPINGS = mappings_dir()
SHOPS = ("prestashop", "lightspeed", "woocommerce", "shopify")
PEPPOL_FOLDERS = ["peppol", *(f"{shop}-peppol" for shop in SHOPS)]
EXPECTED = sorted(
    path for name in PEPPOL_FOLDERS for path in (MAPPINGS / name / "fixtures").glob("*.xml")
)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name.split('.')[0]}"


def _settings(input_file: Path, only: str | None = None) -> dict[str, object]:
    name = input_file.name.replace(".input.json", ".settings.yaml")
    found = input_file.with_name(name)
    settings = load_settings_file(found) if found.exists() else {}
    return {k: v for k, v in settings.items() if only is None or k == only}


def _made(expected: Path) -> bytes:
    """What the rules make now of the fixture's input (its expected file is what they made)."""
    input_file = expected.with_name(expected.name.replace(".expected.xml", ".input.json"))
    document = json.loads(input_file.read_text("utf-8"), parse_float=Decimal)
    text, _ = produce(expected.parent.parent, document, _settings(input_file))
    return str(text).encode("utf-8")


@pytest.mark.parametrize("name", PEPPOL_FOLDERS)
def test_fixture_folders_pass(name: str) -> None:
    report = run_fixtures(MAPPINGS / name)
    assert report.failed == 0, "\n".join(report.lines)


def test_the_rule_set_covers_every_case_the_issue_names() -> None:
    own = [p for p in EXPECTED if p.parent.parent.name == "peppol"]
    text = {p.name: p.read_text("utf-8") for p in own}
    everything = "".join(text.values())
    assert len(own) >= 10
    assert any("<CreditNote " in t for t in text.values())
    for needle in (
        "<cbc:ID>K</cbc:ID>",
        "VATEX-EU-IC",
        "<cbc:ID>G</cbc:ID>",
        "VATEX-EU-G",
        "<cbc:ID>Z</cbc:ID>",
        "<cbc:ID>E</cbc:ID>",
        "<cbc:Percent>9</cbc:Percent>",
        "<cbc:Percent>6</cbc:Percent>",  # OSS: Belgium's own reduced rate
        "<cbc:ChargeIndicator>false</cbc:ChargeIndicator>",
        "PayableRoundingAmount",
        'currencyID="GBP"',
    ):
        assert needle in everything, needle


@pytest.mark.parametrize("expected", EXPECTED, ids=_id)
def test_document_is_exactly_the_expected_one_and_passes_xsd_and_en16931(expected: Path) -> None:
    made = _made(expected)
    assert made.decode("utf-8") == expected.read_text("utf-8")  # attributes included
    assert xsd_errors(made) == []
    assert [str(f) for f in fatal(findings(made, CEN_XSLT))] == []


@pytest.mark.parametrize("expected", EXPECTED, ids=_id)
def test_document_passes_openpeppols_own_rules(expected: Path) -> None:
    stylesheet = peppol_xslt()
    if stylesheet is None:
        pytest.skip(PEPPOL_NOT_SET)
    assert [str(f) for f in fatal(findings(_made(expected), stylesheet))] == []


def _every_shop_fixture() -> list[tuple[str, Path]]:
    return [
        (shop, path)
        for shop in SHOPS
        for path in sorted(MAPPINGS.glob(f"{shop}-*/fixtures/*.input.json"))
        if not path.parent.parent.name.endswith("-peppol")
    ]


@pytest.mark.parametrize(
    ("shop", "input_file"), _every_shop_fixture(), ids=lambda v: v if isinstance(v, str) else _id(v)
)
def test_every_shop_fixture_maps_to_a_valid_peppol_document(shop: str, input_file: Path) -> None:
    """No pair-specific rules: the shop's rules and peppol's, with the fixture's shop settings."""
    pair = Pair.load(f"{shop}-peppol", _settings(input_file, only=shop), "fixture settings")
    document = json.loads(input_file.read_text("utf-8"), parse_float=Decimal)
    outcome = pair.map(document)
    if not isinstance(outcome, Payload):
        return  # not invoiced yet, or turned away by the shop's own checks (their fixtures say)
    made = pair.render([outcome]).encode("utf-8")
    assert xsd_errors(made) == []
    found = fatal(findings(made, CEN_XSLT))
    stylesheet = peppol_xslt()
    if stylesheet is not None:
        found += fatal(findings(made, stylesheet))
    assert [str(f) for f in found] == []


def _xpath(document: bytes, path: str) -> list[str]:
    tree = etree.fromstring(document)
    return [str(v) for v in tree.xpath(path, namespaces=NS)]


def test_vat_is_computed_once_per_rate_and_the_paid_order_owes_nothing() -> None:
    made = _made(MAPPINGS / "peppol/fixtures/01_domestic_21_and_9_with_discounts.expected.xml")
    subtotals = "//cac:TaxSubtotal"
    assert _xpath(made, f"{subtotals}/cbc:TaxableAmount/text()") == ["25.95", "10.94"]
    # 25.95 × 21 % = 5.4495 → 5.45; 10.94 × 9 % = 0.9846 → 0.98 (not the shop's per-line sum)
    assert _xpath(made, f"{subtotals}/cbc:TaxAmount/text()") == ["5.45", "0.98"]
    assert _xpath(made, "//cac:AllowanceCharge/cbc:Amount/text()") == ["2.85", "1.42"]
    total = "//cac:LegalMonetaryTotal/"
    assert _xpath(made, f"{total}cbc:TaxInclusiveAmount/text()") == ["43.32"]
    assert _xpath(made, f"{total}cbc:PrepaidAmount/text()") == ["43.32"]
    assert _xpath(made, f"{total}cbc:PayableAmount/text()") == ["0.00"]
    assert set(_xpath(made, "//@currencyID")) == {"EUR"}


def test_a_shop_total_off_by_rounding_goes_into_payable_rounding_never_into_vat() -> None:
    made = _made(MAPPINGS / "peppol/fixtures/10_shop_rounding_per_line.expected.xml")
    # four cards at 1.99 incl.: the shop took 7.96; 6.56 net × 21 % = 1.3776 → 1.38 VAT
    assert _xpath(made, "//cac:TaxTotal/cbc:TaxAmount/text()") == ["1.38"]
    assert _xpath(made, "//cbc:PayableRoundingAmount/text()") == ["0.02"]
    assert _xpath(made, "//cbc:PayableAmount/text()") == ["0.00"]


def test_a_credit_is_a_credit_note_with_positive_amounts_that_refers_to_its_invoice() -> None:
    made = _made(MAPPINGS / "peppol/fixtures/09_credit_note_partial_business.expected.xml")
    assert etree.QName(etree.fromstring(made)).localname == "CreditNote"
    assert _xpath(made, "/*/cbc:CreditNoteTypeCode/text()") == ["381"]
    assert _xpath(made, "/*/cbc:ID/text()") == ["CN-CR2026-0007"]
    reference = "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()"
    assert _xpath(made, reference) == ["FA2026-0042"]
    assert _xpath(made, "//cbc:CreditedQuantity/text()") == ["2"]
    assert _xpath(made, "//cac:CreditNoteLine/cbc:LineExtensionAmount/text()") == ["33.70"]
    assert _xpath(made, "//cac:TaxTotal/cbc:TaxAmount/text()") == ["3.03"]


def test_a_business_customer_is_addressed_by_vat_number_and_kvk() -> None:
    made = _made(MAPPINGS / "peppol/fixtures/02_dutch_business_vat_and_kvk.expected.xml")
    customer = "//cac:AccountingCustomerParty/cac:Party/"
    assert _xpath(made, f"{customer}cbc:EndpointID/@schemeID") == ["9944"]
    assert _xpath(made, f"{customer}cbc:EndpointID/text()") == ["NL001234567B01"]
    assert _xpath(made, f"{customer}cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == ["0106"]


def test_the_validators_do_find_what_is_wrong() -> None:
    """A document whose VAT no longer adds up, and one missing its seller address: the same
    checks that pass the fixtures refuse these."""
    made = _made(MAPPINGS / "peppol/fixtures/01_domestic_21_and_9_with_discounts.expected.xml")
    wrong_vat = made.replace(
        b'<cbc:TaxAmount currencyID="EUR">6.43<', b'<cbc:TaxAmount currencyID="EUR">6.44<'
    )
    assert "BR-CO-14" in {f.rule for f in fatal(findings(wrong_vat, CEN_XSLT))}
    misordered = made.replace(b"<cbc:IssueDate>", b"<cbc:Note>x</cbc:Note><cbc:IssueDate>", 1)
    assert any("Note" in error for error in xsd_errors(misordered))
