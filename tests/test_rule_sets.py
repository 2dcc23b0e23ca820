"""Conformance: every shipped rule set validates, and every fixture folder passes exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.mapping import load_rule_set
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.fixtures import run_fixtures

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
