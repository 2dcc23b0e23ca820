"""EU VAT rates with their history (mappings/common/eu_vat_rates.yaml): all 27 members from
2019-01-01 without gaps, each row with its source; a past order is booked at the rates of its
own date (the rate- fixtures of prestashop-yuki, OSS at the destination's rates)."""

from __future__ import annotations

import datetime as dt
import doctest
import json
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.engine.library import vat_rates as vat_rates_module
from mapper.engine.library.countries import eu_members
from mapper.engine.library.functions import vat_rates
from mapper.engine.library.vat_rates import history, rate_table, rates_on
from mapper.engine.mapping import Pair, Payload, load_rule_set
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.compile import Rejection
from mapper.engine.rules.lookups import lookup_function

START = dt.date(2019, 1, 1)


def test_all_27_members_are_covered_from_2019_without_gaps_or_overlaps() -> None:
    members = eu_members(dt.date(2026, 1, 1))
    assert len(members) == 27
    assert {p.country for p in rate_table()} == set(members)
    for country in members:
        periods = history(country)
        assert periods[0].start <= START, country
        assert periods[-1].end is None, country  # something holds today
        for earlier, later in zip(periods, periods[1:]):
            assert earlier.end == later.start, f"{country}: {earlier.end} → {later.start}"


def test_every_row_has_a_source_and_the_standard_rate_first() -> None:
    for period in rate_table():
        assert period.source, period.country
        assert period.standard == max(period.rates), period.country
        assert len(set(period.rates)) == len(period.rates), period.country
    # What could not be checked offline says so.
    assert {p.country for p in rate_table() if not p.verified} >= {"CY", "MT"}


@pytest.mark.parametrize(
    ("country", "day", "standard", "rates"),
    [
        ("FI", "2024-06-15", "24", ["24", "14", "10"]),
        ("FI", "2024-08-31", "24", ["24", "14", "10"]),
        ("FI", "2024-09-01", "25.5", ["25.5", "14", "10"]),
        ("DE", "2020-06-30", "19", ["19", "7"]),
        ("DE", "2020-07-01", "16", ["16", "5"]),
        ("DE", "2020-10-01", "16", ["16", "5"]),
        ("DE", "2020-12-31", "16", ["16", "5"]),
        ("DE", "2021-01-01", "19", ["19", "7"]),
        ("IE", "2020-08-31", "23", ["23", "13.5", "9", "4.8"]),
        ("IE", "2021-02-28", "21", ["21", "13.5", "9", "4.8"]),
        ("IE", "2021-03-01", "23", ["23", "13.5", "9", "4.8"]),
        ("EE", "2023-12-31", "20", ["20", "9", "5"]),
        ("EE", "2024-05-20", "22", ["22", "9", "5"]),
        ("EE", "2025-07-01", "24", ["24", "13", "9"]),
        ("LU", "2022-12-31", "17", ["17", "14", "8", "3"]),
        ("LU", "2023-04-03", "16", ["16", "13", "7", "3"]),
        ("LU", "2024-01-01", "17", ["17", "14", "8", "3"]),
        ("NL", "2018-12-31", "21", ["21", "6"]),
        ("NL", "2019-01-01", "21", ["21", "9"]),
        ("SK", "2019-11-05", "20", ["20", "10"]),
        ("SK", "2025-01-01", "23", ["23", "19", "5"]),
        ("CZ", "2023-12-31", "21", ["21", "15", "10"]),
        ("CZ", "2024-01-01", "21", ["21", "12"]),
        ("RO", "2025-07-31", "19", ["19", "9", "5"]),
        ("RO", "2025-08-01", "21", ["21", "11"]),
        ("EL", "2024-01-01", "24", ["24", "13", "6"]),  # Greece as its VAT numbers write it
    ],
)
def test_the_rates_of_a_day(country: str, day: str, standard: str, rates: list[str]) -> None:
    found = vat_rates(country, day)
    assert found is not None
    assert (found["standard"], found["rates"]) == (Decimal(standard), rates)
    assert found["source"]


def test_no_rates_outside_the_eu_or_before_the_table() -> None:
    assert vat_rates("US", "2024-01-01") is None
    assert vat_rates("GB", "2024-01-01") is None
    assert rates_on("NL", dt.date(2000, 1, 1)) is None


def test_yukis_lookup_reads_the_same_table() -> None:
    bound = load_rule_set("yuki").bind()
    scope = {"$lookups": bound._base_scope["$lookups"]}
    for period in rate_table():
        row = lookup_function(scope, "eu_rates", period.country, on=period.start.isoformat())
        assert row is not None
        assert [Decimal(r) for r in row["rates"]] == list(period.rates), period


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(vat_rates_module, report=True)
    assert result.attempted > 0 and result.failed == 0


FIXTURES = mappings_dir() / "prestashop-yuki" / "fixtures"
# Each rate- fixture: the VAT percentages its invoice lines are booked at, or the checks that
# turn it away.
BOOKED = {
    "01_oss_finland_2024_06_15_at_24": ["24.00", "14.00", "24.00"],
    "02_oss_finland_2024_09_15_at_25_5": ["25.50", "14.00", "25.50"],
    "03_oss_finland_2024_09_15_at_old_24_refused": "rejected: vat_code, vat_code, oss_rate, oss_rate",
    "04_oss_germany_2020_10_01_at_16_and_5": ["16.00", "5.00", "16.00"],
    "05_oss_germany_2020_10_01_at_19_refused": "rejected: oss_rate, oss_rate, oss_rate",
    "06_oss_ireland_2021_02_10_at_21": ["21.00", "13.50", "21.00"],
    "07_oss_ireland_2021_03_01_at_23": ["23.00", "13.50", "23.00"],
    "08_oss_estonia_2024_05_20_at_22": ["22.00", "9.00", "22.00"],
    "09_oss_luxembourg_2023_04_03_at_16_and_7": ["16.00", "7.00", "16.00"],
    "10_oss_slovakia_2019_11_05_at_20_and_10": ["20.00", "10.00", "20.00"],
}


def _settings(path: Path) -> dict[str, object]:
    import yaml

    settings_file = path.with_name(path.name.replace(".input.json", ".settings.yaml"))
    loaded: dict[str, object] = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("name", sorted(BOOKED))
def test_an_oss_order_books_at_the_rates_of_its_date(name: str) -> None:
    path = FIXTURES / f"rate-{name}.input.json"
    document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    outcome = Pair.load("prestashop-yuki", _settings(path)).map(document)
    if isinstance(outcome, Rejection):
        got: object = "rejected: " + ", ".join(f.check for f in outcome.failures)
    else:
        assert isinstance(outcome, Payload)
        lines = outcome.body["InvoiceLines"]["InvoiceLine"]
        got = [str(line["Product"]["VATPercentage"]) for line in lines]
    assert got == BOOKED[name]


def test_a_refused_rate_says_which_date_and_country() -> None:
    path = FIXTURES / "rate-05_oss_germany_2020_10_01_at_19_refused.input.json"
    document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    outcome = Pair.load("prestashop-yuki", _settings(path)).map(document)
    assert isinstance(outcome, Rejection)
    assert outcome.failures[0].message == (
        "19 % on 'Espressomachine Pro' is not a VAT rate of DE on 2020-10-01, but sales to DE "
        "are booked under OSS at its own rates"
    )
