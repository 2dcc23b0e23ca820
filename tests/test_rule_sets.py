"""Conformance: every shipped rule set validates, and every fixture folder passes exactly."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mapper.cli import main
from mapper.connectors.prestashop.simulator.data import fetched_document, generate_orders
from mapper.engine.errors import MappingError
from mapper.engine.mapping import Pair, Payload, Skipped, load_rule_set
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.compile import Rejection
from mapper.engine.rules.fixtures import produce, run_fixtures
from mapper.engine.rules.settings import load_settings_file

MAPPINGS = mappings_dir()
RULE_SETS = sorted(p.parent.name for p in MAPPINGS.glob("*/mapping.yaml"))
FIXTURE_FOLDERS = sorted(p.parent.name for p in MAPPINGS.glob("*/fixtures"))
PAIR_FIXTURES = sorted((MAPPINGS / "prestashop-yuki" / "fixtures").glob("*.input.json"))


@pytest.mark.parametrize("name", RULE_SETS)
def test_rule_set_validates_and_its_default_settings_fit_its_schema(name: str) -> None:
    rules = load_rule_set(name)
    rules.bind()
    assert rules.version.count(".") == 2


@pytest.mark.parametrize("name", FIXTURE_FOLDERS)
def test_fixtures_pass(name: str) -> None:
    report = run_fixtures(MAPPINGS / name)
    assert report.failed == 0, "\n".join(report.lines)
    assert report.passed >= 1


def test_at_least_fifteen_prestashop_orders_with_each_check_failing() -> None:
    assert len(PAIR_FIXTURES) >= 15
    rejected = " ".join(p.read_text() for p in PAIR_FIXTURES[0].parent.glob("*.expected.json"))
    for check in ("order_total", "icp_vat_number", "vat_code"):
        assert f'"check": "{check}"' in rejected


@pytest.mark.parametrize("input_file", PAIR_FIXTURES, ids=lambda p: p.name.split(".")[0])
def test_dry_run_prints_exactly_the_expected_xml(input_file: Path) -> None:
    expected = input_file.with_name(input_file.name.replace(".input.json", ".expected.xml"))
    settings = input_file.with_name(input_file.name.replace(".input.json", ".settings.yaml"))
    args = ["dry-run", str(input_file), "--mapping", "prestashop-yuki"]
    if settings.exists():
        args += ["--settings", str(settings)]
    result = CliRunner().invoke(main, args)
    if expected.exists():
        assert result.exit_code == 0, result.output
        assert result.stdout == expected.read_text(encoding="utf-8")
    elif "skipped" in expected.with_suffix(".json").read_text(encoding="utf-8"):
        assert result.exit_code == 0
        assert "not invoiced (yet)" in result.stderr
        assert result.stdout == ""
    else:
        assert result.exit_code == 1
        assert "turned away" in result.stderr
        assert result.stdout == ""


# -- PrestaShop 8.0–8.1 on PHP ≥ 8.1: integer columns as JSON numbers ---------------------------
PS81_TWINS = {
    "prestashop-yuki": {
        "23_ps81_numbers_domestic_two_rates_discount": "01_domestic_two_rates_discount",
        "24_ps81_numbers_icp_germany_company": "03_icp_germany_company",
        "25_ps81_numbers_sku_from_product": "15_quantity_zero_and_sku_from_product",
        "26_ps81_numbers_icp_invalid_vat_number": "04_icp_invalid_vat_number",
        "27_ps81_numbers_awaiting_bank_wire_stays_open": "22_awaiting_bank_wire_stays_open",
        "28_amounts_as_json_numbers": "01_domestic_two_rates_discount",
        "29_ps81_numbers_round_type_on_total": "12_round_type_on_total_rounding_line",
    },
    "prestashop": {
        "23_ps81_numbers_domestic_two_rates_discount": "01_domestic_two_rates_discount",
    },
}


@pytest.mark.parametrize(
    ("folder", "name", "twin"),
    [(f, n, t) for f, pairs in PS81_TWINS.items() for n, t in pairs.items()],
)
def test_an_order_in_the_8_1_json_shape_expects_what_its_string_twin_expects(
    folder: str, name: str, twin: str
) -> None:
    fixtures = MAPPINGS / folder / "fixtures"
    numbers = json.loads((fixtures / f"{name}.input.json").read_text("utf-8"))
    strings = json.loads((fixtures / f"{twin}.input.json").read_text("utf-8"))
    # really the other shape: ids and flags as numbers where the twin has strings
    assert isinstance(numbers["order"]["id_customer"], int)
    assert isinstance(strings["order"]["id_customer"], str)
    assert numbers["order"]["id_customer"] == int(strings["order"]["id_customer"])
    assert isinstance(numbers["order"]["associations"]["order_rows"][0]["product_id"], int)
    assert isinstance(numbers["addresses"][0]["id_country"], int)
    (expected,) = fixtures.glob(f"{name}.expected.*")
    (twin_expected,) = fixtures.glob(f"{twin}.expected.*")
    assert expected.read_bytes() == twin_expected.read_bytes()


def test_json_number_amounts_are_exact_decimals() -> None:
    fixture = MAPPINGS / "prestashop-yuki" / "fixtures" / "28_amounts_as_json_numbers.input.json"
    document = json.loads(fixture.read_text("utf-8"), parse_float=Decimal)
    order = document["order"]
    assert order["total_paid_tax_excl"] == Decimal("36.810909")
    assert order["total_discounts_tax_incl"] == 5 and order["total_wrapping_tax_incl"] == 0
    outcome = Pair.load("prestashop-yuki").map(document)
    assert isinstance(outcome, Payload)
    assert outcome.canonical["totals"] == {
        "incl": Decimal("43.32"), "excl": Decimal("36.81"), "vat": Decimal("6.51"),
        "paid": Decimal("43.32"),
    }


# -- privacy: a rejection names fields and amounts, never the customer -------------------------
_PERSONAL_KEY = re.compile(
    r"(first|last)name$|^email$|company(name)?$|vat_?number$|^address[12]$|street$|"
    r"(zip|post)code$|city$|(billing|shipping)name$|^phone",
    re.IGNORECASE,
)


def _personal_values(document: Any) -> set[str]:
    """Every name, e-mail, street, postcode, city, company and VAT number in a document."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and len(value.strip()) >= 3 and _PERSONAL_KEY.search(key):
            found.add(value.strip())

    walk(document)
    return found


def _leaks(text: str, document: Any) -> list[str]:
    return [
        value for value in _personal_values(document)
        if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE)
    ]


def _rejection_texts(folder: str, document: dict[str, Any], settings: dict[str, Any]) -> str:
    try:
        outcome = produce(MAPPINGS / folder, document, settings)
    except MappingError as error:
        return str(error)
    if isinstance(outcome, Rejection):
        return " ".join(f"{f.message} {f.resolution}" for f in outcome.failures)
    if isinstance(outcome, Skipped):
        return outcome.reason
    return ""


def _pair_inputs() -> list[Path]:
    return sorted(
        p for p in MAPPINGS.glob("*-*/fixtures/*.input.json")
    )


@pytest.mark.parametrize("input_file", _pair_inputs(), ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_no_fixture_rejection_names_the_customer(input_file: Path) -> None:
    document = json.loads(input_file.read_text("utf-8"), parse_float=Decimal)
    settings_file = input_file.with_name(input_file.name.replace(".input.json", ".settings.yaml"))
    settings = load_settings_file(settings_file) if settings_file.exists() else {}
    assert _personal_values(document), "the fixture has a customer"
    text = _rejection_texts(input_file.parts[-3], document, settings)
    assert _leaks(text, document) == [], text


def _failing_variants() -> list[tuple[str, dict[str, Any]]]:
    """Orders turned away for every reason the PrestaShop rules have, each with a customer."""
    source = MAPPINGS / "prestashop-yuki" / "fixtures"
    icp = json.loads((source / "03_icp_germany_company.input.json").read_text("utf-8"),
                     parse_float=Decimal)
    domestic = json.loads((source / "01_domestic_two_rates_discount.input.json").read_text(
        "utf-8"), parse_float=Decimal)
    variants: list[tuple[str, dict[str, Any]]] = []
    for vat_number in ("DE136695975", "", "EU372000041", "US123456789", "not known"):
        document = copy.deepcopy(icp)
        for address in document["addresses"]:
            address["vat_number"] = vat_number
        variants.append((f"icp with VAT number {vat_number!r}", document))
    mismatch = copy.deepcopy(domestic)
    mismatch["order"]["total_paid_tax_incl"] = "99.990000"
    variants.append(("total mismatch", mismatch))
    odd_rate = copy.deepcopy(domestic)
    for row in odd_rate["order"]["associations"]["order_rows"]:
        row["unit_price_tax_excl"] = row["product_price"] = f"{Decimal(row['unit_price_tax_incl']) / Decimal('1.06'):.6f}"
    variants.append(("rate without VAT code", odd_rate))
    no_country = copy.deepcopy(domestic)
    no_country["countries"] = {}
    variants.append(("country missing", no_country))
    no_customer = copy.deepcopy(domestic)
    no_customer["order"]["id_address_invoice"] = "999"
    no_customer["customer"] = None
    variants.append(("customer gone", no_customer))
    batch = generate_orders(40, seed=8, bad_share=1.0, unpaid_share=0.0)
    variants += [
        (f"generated bad order {record.order['id']}", fetched_document(record))
        for record in batch
    ]
    return variants


@pytest.mark.parametrize(("case", "document"), _failing_variants(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_rejection_of_a_failing_order_names_the_customer(
    case: str, document: dict[str, Any]
) -> None:
    text = _rejection_texts("prestashop-yuki", document, {})
    assert _leaks(text, document) == [], f"{case}: {text}"


def test_the_failing_orders_are_really_turned_away() -> None:
    texts = [_rejection_texts("prestashop-yuki", d, {}) for _, d in _failing_variants()]
    joined = " ".join(texts)
    assert "needs a valid EU VAT number on the invoice address" in joined
    assert "does not equal the lines" in joined
    assert "No Yuki VAT code" in joined
    assert sum(1 for t in texts if t) >= 30
