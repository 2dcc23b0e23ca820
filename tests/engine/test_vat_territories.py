"""VAT territories as dated data: where an invoice address lies for VAT, from its country,
postcode and VAT-number prefix (mappings/common/vat_territories.yaml), and what the shipped
rules make of orders there (the territory- fixtures of prestashop-yuki)."""

from __future__ import annotations

import datetime as dt
import doctest
import json
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.engine.library import territories
from mapper.engine.library.functions import vat_territory
from mapper.engine.library.territories import territory_table
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.compile import Rejection

DAY = "2026-03-02"


@pytest.mark.parametrize(
    ("country", "postcode", "vat", "code", "vat_country", "eu_vat"),
    [
        ("ES", "35001", "", "IC", "IC", False),  # Las Palmas
        ("ES", "38 001", "", "IC", "IC", False),  # Santa Cruz de Tenerife
        ("ES", "28001", "", "ES", "ES", True),  # Madrid
        ("ES", "51001", "", "XC", "XC", False),  # Ceuta
        ("ES", "52001", "", "XL", "XL", False),  # Melilla
        ("MC", "98000", "FR40303265045", "MC", "FR", True),
        ("FR", "98000", "", "MC", "FR", True),  # Monaco written as France
        ("FI", "22100", "", "AX", "AX", False),
        ("FI", "FI-22100", "", "AX", "AX", False),
        ("AX", "22100", "", "AX", "AX", False),
        ("FI", "00100", "", "FI", "FI", True),  # Helsinki
        ("GR", "630 86", "", "XA", "XA", False),  # Mount Athos
        ("DE", "78266", "DE136695976", "XB", "XB", False),  # Büsingen
        ("DE", "27498", "", "XH", "XH", False),  # Heligoland
        ("DE", "10115", "", "DE", "DE", True),
        ("IT", "23041", "", "XV", "XV", False),  # Livigno
        ("IT", "22061", "", "XN", "XN", False),  # Campione d'Italia
        ("FR", "97400", "", "FR-DOM", "FR-DOM", False),  # Réunion
        ("RE", "97400", "", "FR-DOM", "FR-DOM", False),
        ("FR", "75001", "", "FR", "FR", True),
        ("GB", "BT1 5GS", "XI980780684", "XI", "XI", True),
        ("GB", "BT7 1NN", "", "XI", "XI", True),  # goods to Northern Ireland: EU VAT rules
        ("GB", "", "XI980780684", "XI", "XI", True),  # the prefix alone tells
        ("GB", "SW1A 1AA", "", "GB", "GB", False),
        ("US", "10001", "", "US", "US", False),
    ],
)
def test_the_territory_is_decided_from_country_postcode_and_vat_prefix(
    country: str, postcode: str, vat: str, code: str, vat_country: str, eu_vat: bool
) -> None:
    place = vat_territory(country, postcode, vat, DAY)
    assert (place["code"], place["vat_country"], place["eu_vat"]) == (code, vat_country, eu_vat)
    assert place["source"]


def test_an_address_kept_by_country_and_day_is_never_another_addresses_territory() -> None:
    # NL has no territories: one place for every address there, kept by country and day.
    # ES and GB have some: each address is looked at again, whatever came before it.
    for _ in range(2):
        assert vat_territory("NL", "1012 AB", "", DAY)["code"] == "NL"
        assert vat_territory("ES", "28001", "", DAY)["code"] == "ES"
        assert vat_territory("ES", "35001", "", DAY)["code"] == "IC"
        assert vat_territory("GB", "SW1A 1AA", "XI123456782", DAY)["vat_country"] == "XI"
        assert vat_territory("GB", "SW1A 1AA", "", DAY)["vat_country"] == "GB"
    assert vat_territory("NL", "1012 AB", "", "2019-06-01")["eu_vat"] is True
    assert vat_territory("GB", "SW1A 1AA", "", "2019-06-01")["eu_vat"] is True
    assert vat_territory("GB", "SW1A 1AA", "", "2021-06-01")["eu_vat"] is False
    kept = vat_territory("NL", "1012 AB", "", DAY)
    kept["code"] = "changed by a caller"
    assert vat_territory("NL", "9999 ZZ", "", DAY)["code"] == "NL"


def test_territories_are_dated() -> None:
    # Northern Ireland: the whole UK was in the EU until 2020-12-31.
    before = vat_territory("GB", "BT1 5GS", "", "2020-12-31")
    after = vat_territory("GB", "BT1 5GS", "", "2021-01-01")
    assert (before["code"], before["eu_vat"]) == ("GB", True)
    assert (after["code"], after["eu_vat"]) == ("XI", True)
    assert vat_territory("GB", "SW1A 1AA", "", "2021-01-01")["eu_vat"] is False
    # Campione d'Italia: its source changed on 2020-01-01 (Directive (EU) 2019/475).
    old = vat_territory("IT", "22061", "", "2019-06-01")["source"]
    new = vat_territory("IT", "22061", "", "2020-06-01")["source"]
    assert "art. 6(2)(f)" in old and "art. 6(1)(f)" in new and "2019/475" in new


def test_every_territory_names_its_source() -> None:
    table = territory_table()
    asked = {"XI", "IC", "XC", "XL", "MC", "AX", "XA", "XB", "XH", "XV", "XN", "FR-DOM"}
    assert {row.code for row in table} == asked
    for row in table:
        assert "2006/112/EC" in row.source or "Windsor Framework" in row.source, row.code
    assert territories.sources()[0].startswith("Protocol on Ireland/Northern Ireland art. 8")


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(territories, report=True)
    assert result.attempted > 0 and result.failed == 0


FIXTURES = mappings_dir() / "prestashop-yuki" / "fixtures"
TERRITORY_FIXTURES = sorted(FIXTURES.glob("territory-*.input.json"))
# What each territory fixture must come to: the canonical vat_scheme, or the check that
# turns it away.
SCHEMES = {
    "01_canary_islands_las_palmas_export": "export",
    "02_canary_islands_tenerife_export": "export",
    "03_ceuta_export": "export",
    "04_melilla_export": "export",
    "05_monaco_treated_as_france_icp": "icp",
    "06_aland_postcode_export": "export",
    "07_aland_country_code_export": "export",
    "08_mount_athos_export": "export",
    "09_busingen_with_de_number_export": "export",
    "10_heligoland_export": "export",
    "11_livigno_export": "export",
    "12_campione_d_italia_export": "export",
    "13_reunion_french_overseas_export": "export",
    "14_northern_ireland_xi_number_icp": "icp",
    "15_northern_ireland_without_number_turned_away": "rejected: icp_vat_number",
    "16_great_britain_export": "export",
}


def test_there_are_fixtures_for_at_least_ten_territory_cases() -> None:
    names = {
        p.name.removeprefix("territory-").removesuffix(".input.json") for p in TERRITORY_FIXTURES
    }
    assert names == set(SCHEMES) and len(names) >= 10


@pytest.mark.parametrize("input_file", TERRITORY_FIXTURES, ids=lambda p: p.name.split(".")[0])
def test_a_territory_order_is_booked_under_its_scheme(input_file: Path) -> None:
    path = input_file
    document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    outcome = Pair.load("prestashop-yuki").map(document)
    name = path.name.removeprefix("territory-").removesuffix(".input.json")
    if isinstance(outcome, Rejection):
        got = "rejected: " + ", ".join(f.check for f in outcome.failures)
    else:
        assert isinstance(outcome, Payload)
        got = outcome.canonical["vat_scheme"]
        types = {line["Product"]["VATType"] for line in outcome.body["InvoiceLines"]["InvoiceLine"]}
        assert types == ({17} if got == "icp" else {18})  # Yuki: ICP 17, export 18
    assert got == SCHEMES[name]


def test_a_date_before_any_territory_row_is_judged_by_membership() -> None:
    place = vat_territory("DE", "10115", "", dt.date(2019, 1, 1).isoformat())
    assert place["special"] is False and place["eu_vat"] is True
