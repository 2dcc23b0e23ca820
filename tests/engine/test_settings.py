"""Tenant settings a person can trust: a mistyped key or section is refused, with where it was
written and the nearest known key, by `mapper dry-run --settings` as by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.errors import ConfigError, UsageError
from mapper.engine.mapping import load_rule_set
from mapper.engine.rules.known_keys import did_you_mean, unknown_keys
from mapper.engine.rules.settings import load_settings_file, merge_settings
from ps_order_builder import sample_document, write_json


def test_did_you_mean_names_the_closest_key_or_what_was_expected() -> None:
    assert did_you_mean("shop_contry", ["currencies", "shop_country"]) == (
        ", did you mean 'shop_country'?"
    )
    assert did_you_mean("colour", ["process", "layout"]) == " (expected one of: layout, process)"
    assert did_you_mean("colour", []) == " (none is expected here)"


def test_a_schema_with_properties_is_closed_unless_it_says_otherwise() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"properties": {"rate": {}}}},
            "open": {"type": "object", "properties": {"a": {}}, "additionalProperties": True},
            "named": {"type": "object", "additionalProperties": {"properties": {"method": {}}}},
        },
    }
    value = {
        "rows": [{"rate": 21}, {"rat": 9}],
        "open": {"a": 1, "anything": 2},
        "named": {"mollie": {"method": "iDeal", "metod": "x"}},
        "extra": True,
    }
    assert list(unknown_keys(value, schema)) == [
        (("rows", 1, "rat"), ["rate"]),
        (("named", "mollie", "metod"), ["method"]),
        (("extra",), ["rows", "open", "named"]),
    ]


def test_every_setting_the_shipped_rule_sets_default_is_in_their_schema() -> None:
    for name in ("prestashop", "lightspeed", "yuki", "factuursturen"):
        rules = load_rule_set(name)
        assert merge_settings(rules, {}, "defaults") == rules.bind().settings


def test_a_settings_file_with_a_mistyped_key(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(
        "prestashop: {shop_country: BE}\n"
        "yuki:\n"
        "  proces: true\n"
        "  vat_codes:\n"
        "    - {scheme: domestic, country: '*', rate: 21, type: 1, gl_acount: '8000'}\n",
        encoding="utf-8",
    )
    settings = load_settings_file(path, ("prestashop", "yuki"))
    with pytest.raises(ConfigError) as caught:
        load_rule_set("yuki").bind(settings["yuki"], str(path))
    assert str(caught.value).splitlines() == [
        f"{path}:3:3: yuki.proces: unknown setting of rule set yuki, did you mean 'process'?",
        f"{path}:5:59: yuki.vat_codes.0.gl_acount: unknown setting of rule set yuki, did you "
        "mean 'gl_account'?",
        f"{path}:5:7: yuki.vat_codes.0: 'gl_account' is a required property",
    ]


def test_a_wrong_value_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text("prestashop:\n  shop_country: nl\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rule_set("prestashop").bind(load_settings_file(path)["prestashop"], str(path))
    assert str(caught.value) == (
        f"{path}:2:3: prestashop.shop_country: 'nl' does not match '^[A-Z]{{2}}$'"
    )


def test_a_section_that_names_no_rule_set_of_the_pair(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text("prestashop: {}\nyukki:\n  process: true\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings_file(path, ("prestashop", "yuki"))
    assert str(caught.value) == (
        f"{path}:2:1: yukki: not a rule set of this pair, so nothing reads these settings, "
        "did you mean 'yuki'?"
    )
    assert load_settings_file(path) == {"prestashop": {}, "yukki": {"process": True}}


def test_a_yaml_error_of_a_settings_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text("yuki:\n  process: true\n   layout: x\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_settings_file(path)
    assert str(caught.value) == (
        f"{path}:3:10: settings file is not valid YAML: mapping values are not allowed here"
    )
    path.write_text("yuki:\n  process: true\n  process: false\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_settings_file(path)
    assert str(caught.value) == f"{path}:3:3: settings file: duplicate key 'process'"


def test_dry_run_refuses_a_mistyped_setting(tmp_path: Path) -> None:
    orders = write_json(tmp_path / "order.json", sample_document())
    settings = tmp_path / "tenant.yaml"
    settings.write_text("yuki: {proces: true}\nprestashop: {shop_contry: BE}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["dry-run", str(orders), "--mapping", "prestashop-yuki", "--settings", str(settings)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"mapper: {settings}:2:14: prestashop.shop_contry: unknown setting of rule set "
        "prestashop, did you mean 'shop_country'?"
    ]
    settings.write_text("yuki: {process: true}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["dry-run", str(orders), "--mapping", "prestashop-yuki", "--settings", str(settings)]
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert "<Process>true</Process>" in result.stdout
