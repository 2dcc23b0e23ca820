"""Lookup tables (exact, wildcard and dated rows) and tenant settings (merging, validation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.errors import ConfigError, Place, UsageError
from mapper.engine.mapping import Pair, Payload, load_rule_set
from mapper.engine.rules.lookups import Lookup, LookupIndex, key_text, lookup_function
from mapper.engine.rules.settings import deep_merge, load_settings_file
from ps_order_builder import sample_document
from tiny_rule_sets import compile_rules

PLACE = Place("settings.yaml", 3)


def _index(key: list[str], rows: list[dict[str, Any]]) -> LookupIndex:
    return Lookup("codes", key, lambda scope: rows, PLACE).bind({})


VAT_CODES = [
    {"scheme": "domestic", "country": "*", "rate": 21, "type": 1},
    {"scheme": "domestic", "country": "*", "rate": 9, "type": 2},
    {"scheme": "domestic", "country": "BE", "rate": 21, "type": 41},
    {"scheme": "icp", "country": "*", "rate": 0, "type": 17},
    {"scheme": "*", "country": "*", "rate": "*", "type": 99},
]


def _type(index: LookupIndex, *values: object, on: dt.date | None = None) -> object:
    row = index.find(values, on)
    return None if row is None else row["type"]


def test_an_exact_row_wins_over_a_wildcard() -> None:
    index = _index(["scheme", "country", "rate"], VAT_CODES)
    assert _type(index, "domestic", "BE", 21) == 41
    assert _type(index, "domestic", "DE", 21) == 1
    assert _type(index, "domestic", "BE", 9) == 2


def test_a_row_of_wildcards_catches_the_rest() -> None:
    index = _index(["scheme", "country", "rate"], VAT_CODES)
    assert _type(index, "export", "US", 0) == 99
    assert _type(index, "icp", "DE", 0) == 17


def test_without_a_match_there_is_no_row() -> None:
    index = _index(["scheme", "country", "rate"], VAT_CODES[:4])
    assert _type(index, "domestic", "NL", 6) is None
    assert _type(index, "oss", "DE", 19) is None


def test_a_wildcard_on_a_later_column_is_more_specific() -> None:
    rows = [{"a": "*", "b": "x", "type": "late-exact"}, {"a": "x", "b": "*", "type": "early-exact"}]
    assert _type(_index(["a", "b"], rows), "x", "x") == "early-exact"
    assert _type(_index(["a", "b"], list(reversed(rows))), "x", "x") == "early-exact"


@pytest.mark.parametrize("rate", [21, "21", Decimal("21"), Decimal("21.00"), Decimal("2.1E+1"), " 21 "])
def test_numbers_compare_as_text_whatever_their_form(rate: object) -> None:
    assert _type(_index(["scheme", "country", "rate"], VAT_CODES), "domestic", "NL", rate) == 1


def test_key_text() -> None:
    assert key_text(Decimal("5.50")) == "5.5"
    assert key_text(Decimal("0.00")) == "0"
    assert key_text(Decimal("-0")) == "0"
    assert key_text(True) == "true"
    assert key_text(" NL ") == "NL"


def test_a_rate_written_as_a_yaml_float_still_matches() -> None:
    rows = [{"rate": 21.0, "type": 1}]
    assert _type(_index(["rate"], rows), Decimal("21")) == 1


DATED = [
    {"country": "EE", "from": "2024-01-01", "until": "2025-07-01", "rates": ["22", "9", "5"]},
    {"country": "EE", "from": dt.date(2025, 7, 1), "rates": ["24", "13", "9"]},
    {"country": "NL", "from": "2019-01-01", "rates": ["21", "9"]},
]


@pytest.mark.parametrize(
    ("day", "rates"),
    [
        (dt.date(2024, 1, 1), ["22", "9", "5"]),  # `from` is inclusive
        (dt.date(2025, 6, 30), ["22", "9", "5"]),
        (dt.date(2025, 7, 1), ["24", "13", "9"]),  # `until` is exclusive
        (dt.date(2030, 1, 1), ["24", "13", "9"]),
        (dt.date(2023, 12, 31), None),  # before any row
    ],
)
def test_dated_rows_hold_in_their_period(day: dt.date, rates: list[str] | None) -> None:
    row = _index(["country"], DATED).find(["EE"], day)
    assert (row["rates"] if row else None) == rates


def test_remembered_answers_hold_in_their_period_and_change_on_its_dates() -> None:
    index = _index(["country"], DATED)
    days = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2025, 6, 30)]
    days += [dt.date(2025, 7, 1), dt.date(2030, 1, 1), dt.date(2024, 5, 5), dt.date(2025, 7, 2)]
    for _ in range(2):  # the second time from what was remembered
        answers = [index.answer(["EE"], day) for day in days]
        assert answers == [index.find(["EE"], day) for day in days]
    # one search per period: before 2024, 2024 to 2025-07-01, from then on
    assert len(index.by_period) == 3
    assert index.answer([Decimal("1")], None) is None and index.answer(["EE"], None) == DATED[0]


def test_a_date_no_row_can_be_read_by_is_said_when_a_lookup_reads_it() -> None:
    index = _index(["country"], [{"country": "EE", "from": "1 July", "rates": ["24"]}])
    assert index.boundaries is None
    assert index.answer(["NL"], dt.date(2025, 1, 1)) is None
    with pytest.raises(ValueError, match="1 July"):
        index.answer(["EE"], dt.date(2025, 1, 1))


def test_without_a_date_the_first_row_is_found() -> None:
    row = _index(["country"], DATED).find(["EE"], None)
    assert row is not None and row["rates"] == ["22", "9", "5"]


def test_the_eu_rates_table_changes_on_its_dates() -> None:
    scope = {"$lookups": _lookups(load_rule_set("yuki").bind())}
    before = lookup_function(scope, "eu_rates", "EE", on="2025-06-30")
    after = lookup_function(scope, "eu_rates", "EE", on="2025-07-01 00:00:00")
    assert (before["rates"], after["rates"]) == (["22", "13", "9"], ["24", "13", "9"])
    assert lookup_function(scope, "eu_rates", "US", on="2026-01-01") is None


def _lookups(bound: Any) -> dict[str, LookupIndex]:
    lookups: dict[str, LookupIndex] = bound._base_scope["$lookups"]
    return lookups


def test_the_number_of_key_values_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^lookup 'codes' takes 3 key values, got 2$"):
        _index(["scheme", "country", "rate"], VAT_CODES).find(["domestic", "NL"], None)


def test_an_unknown_table_is_named() -> None:
    scope = {"$lookups": {"codes": _index(["scheme"], [])}}
    with pytest.raises(ValueError, match=r"^no lookup table 'vat' \(tables: codes\)$"):
        lookup_function(scope, "vat", "x")


def test_rows_must_be_a_list() -> None:
    lookup = Lookup("codes", ["scheme"], lambda scope: {"scheme": "x"}, PLACE)
    with pytest.raises(ConfigError, match=r"^lookup 'codes' \(settings.yaml:3\): rows must be a list$"):
        lookup.bind({})


def test_a_row_without_its_key_columns_is_named() -> None:
    rows = [{"scheme": "domestic", "country": "*", "rate": 21}, {"scheme": "icp"}]
    with pytest.raises(ConfigError) as caught:
        _index(["scheme", "country", "rate"], rows)
    assert str(caught.value) == "lookup 'codes' row 2 lacks country, rate (settings.yaml:3)"


def test_lookup_in_a_rule_reads_the_tenants_rows(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        settings:
          defaults:
            codes:
              - {scheme: domestic, country: "*", rate: 21, code: high}
              - {scheme: domestic, country: "*", rate: 21, code: old, until: "2019-01-01"}
        lookups:
          codes:
            key: [scheme, country, rate]
            rows: "{{ settings.codes }}"
        output:
          code: "{{ lookup('codes', 'domestic', order.country, order.rate, on=order.date).code }}"
          missing: "{{ lookup('codes', 'icp', order.country, order.rate, on=order.date) }}"
        """)
    document = {"order": {"country": "NL", "rate": Decimal("21.00"), "date": "2026-03-02"}}
    assert rules.bind().apply(document) == {"code": "high", "missing": None}
    tenant = {"codes": [{"scheme": "domestic", "country": "NL", "rate": "21", "code": "tenant"}]}
    assert rules.bind(tenant).apply(document)["code"] == "tenant"


# -- settings -------------------------------------------------------------------------------------
def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "list": [1, 2], "s": "base"}
    override = {"a": {"y": {"q": 3}, "z": 4}, "list": [3], "s": None}
    assert deep_merge(base, override) == {
        "a": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "list": [3], "s": None,
    }
    assert base == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "list": [1, 2], "s": "base"}


def test_tenant_settings_override_the_defaults_key_by_key() -> None:
    yuki = load_rule_set("yuki")
    bound = yuki.bind({"payment_methods": {"mollie": {"method": "Cash"}}, "oss_countries": ["DE"]})
    assert bound.settings["payment_methods"]["mollie"] == {"method": "Cash"}
    assert bound.settings["payment_methods"]["bankwire"] == {"method": "ElectronicTransfer"}
    assert bound.settings["oss_countries"] == ["DE"]
    assert bound.settings["process"] is False
    assert yuki.bind().settings["payment_methods"]["mollie"] == {"method": "iDeal"}


def test_every_wrong_setting_gets_its_own_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load_rule_set("yuki").bind(
            {"process": "yes", "reference": "x", "vat_codes": [{"scheme": "nope", "country": "*",
                                                              "rate": 21, "type": 1}]},
            "tenant.yaml",
        )
    assert caught.value.exit_code == 2
    assert str(caught.value).splitlines() == [
        "tenant.yaml: yuki.process: 'yes' is not of type 'boolean'",
        "tenant.yaml: yuki.reference: 'x' is not one of ['order_number', 'invoice_number']",
        "tenant.yaml: yuki.vat_codes.0: 'gl_account' is a required property",
        "tenant.yaml: yuki.vat_codes.0.scheme: 'nope' is not one of "
        "['domestic', 'icp', 'export', 'oss']",
    ]


def test_a_wrong_shop_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        load_rule_set("prestashop").bind({"shop_country": "nl"})
    assert str(caught.value) == "settings: prestashop.shop_country: 'nl' does not match '^[A-Z]{2}$'"


def test_a_wrong_payment_method() -> None:
    with pytest.raises(ConfigError) as caught:
        load_rule_set("yuki").bind({"payment_methods": {"mollie": {"method": "Bitcoin"}}}, "t.yaml")
    assert str(caught.value) == (
        "t.yaml: yuki.payment_methods.mollie.method: 'Bitcoin' is not one of ['Unspecified', "
        "'ElectronicTransfer', 'DirectCollection', 'CreditCard', 'DebitCard', 'Cash', 'iDeal', "
        "'Online', 'ToSettle']"
    )


def test_settings_files(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text("yuki:\n  process: true\nprestashop:\n  shop_country: BE\n", encoding="utf-8")
    assert load_settings_file(path) == {"yuki": {"process": True}, "prestashop": {"shop_country": "BE"}}
    path.write_text("", encoding="utf-8")
    assert load_settings_file(path) == {}
    path.write_text("yuki: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_settings_file(path)
    assert str(caught.value) == (
        f"{path}:2:1: settings file is not valid YAML: expected ',' or ']', but got '<stream end>'"
    )
    with pytest.raises(UsageError) as caught:
        load_settings_file(tmp_path / "none.yaml")
    assert str(caught.value) == (
        f"cannot read settings file {tmp_path / 'none.yaml'}: No such file or directory"
    )


def test_a_pair_takes_a_section_per_rule_set() -> None:
    settings = {"yuki": {"process": True, "reference": "order_number"}}
    outcome = Pair.load("prestashop-yuki", settings).map(sample_document())
    assert isinstance(outcome, Payload)
    assert outcome.body["Process"] is True
    assert outcome.body["Reference"] == "QWZTRPLMX"


def test_a_dated_vat_code_in_a_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(
        "yuki:\n  vat_codes:\n"
        "    - {scheme: domestic, country: '*', rate: 21, type: 1, gl_account: '8000',"
        " from: 2025-01-01}\n",
        encoding="utf-8",
    )
    load_rule_set("yuki").bind(load_settings_file(path)["yuki"], str(path))
