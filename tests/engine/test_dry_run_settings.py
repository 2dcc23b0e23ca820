"""`mapper dry-run --settings`: a section no rule set of the pair reads is refused, not ignored."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from mapper.cli import main

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "mappings/prestashop-yuki/fixtures/01_domestic_two_rates_discount.input.json"
)


def dry_run(tmp_path: Path, settings: str) -> tuple[int, str]:
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text(settings, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["dry-run", str(FIXTURE), "--mapping", "prestashop-yuki", "--settings", str(settings_file)],
    )
    return result.exit_code, result.output


def test_a_misspelt_rule_set_section_is_refused_with_its_place(tmp_path: Path) -> None:
    code, output = dry_run(tmp_path, "yukki: {process: true}\n")
    assert code == 2
    assert output == (
        f"mapper: {tmp_path / 'settings.yaml'}:1:1: yukki: not a rule set of this pair, "
        "so nothing reads these settings, did you mean 'yuki'?\n"
    )


def test_sections_of_the_pair_are_read(tmp_path: Path) -> None:
    code, output = dry_run(tmp_path, "yuki: {process: true}\nprestashop: {shop_country: NL}\n")
    assert code == 0
    assert "<Process>true</Process>" in output  # the default is false: a concept
