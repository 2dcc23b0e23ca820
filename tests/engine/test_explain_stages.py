"""`mapper dry-run --explain [FIELD]`: each payload field traced through both stages — the
target's rule, the canonical field it read, the shop's rule that made it, the lookup row."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.engine.rules import explain, migrate, names
from ps_order_builder import sample_document, write_json

PROJECT = Path(__file__).resolve().parents[2]
PRESTASHOP = PROJECT / "mappings" / "prestashop" / "mapping.yaml"
YUKI = PROJECT / "mappings" / "yuki" / "mapping.yaml"
RULES = "prestashop 1.0.0 > yuki 1.0.0"


def _explain(tmp_path: Path, *field: str) -> list[str]:
    order = write_json(tmp_path / "order.json", sample_document())
    result: Result = CliRunner().invoke(
        main, ["dry-run", str(order), "--mapping", "prestashop-yuki", "--explain", *field]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<?xml")  # the payload itself is still printed
    return result.stderr.splitlines()


def _source_at(path: Path, line: int, column: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 :]


def test_the_discount_line_is_traced_to_the_shop_rule_that_made_it(tmp_path: Path) -> None:
    lines = _explain(tmp_path, "InvoiceLine[3].Product.SalesPrice")
    assert lines[0] == f"order 1042 ({RULES}):"
    target = re.fullmatch(
        r"  InvoiceLines\.InvoiceLine\[3\]\.Product\.SalesPrice = -3\.45  ← "
        r"mappings/yuki/mapping\.yaml:(\d+):(\d+)  "
        r"\{\{ unit_price\(line\.amount_incl, line\.quantity, 4\) \}\}",
        lines[1],
    )
    assert target, lines[1]
    assert _source_at(YUKI, int(target[1]), int(target[2])).startswith('"{{ unit_price(')
    assert lines[2] == "      reads line.amount_incl = -3.45, line.quantity = 1"
    shop = re.fullmatch(
        r"      ← canonical lines\[3\]\.amount_incl ← mappings/prestashop/mapping\.yaml:"
        r"(\d+):(\d+)  \{\{ part\.amount \}\}",
        lines[3],
    )
    assert shop, lines[3]
    assert _source_at(PRESTASHOP, int(shop[1]), int(shop[2])) == '"{{ part.amount }}"'
    assert lines[4] == "          reads part.amount = -3.45"
    assert lines[5].startswith("          element of each mappings/prestashop/mapping.yaml:")
    assert "{{ split_over(" in lines[5]
    assert "(reads discount_incl = 5.00" in lines[5]


def test_a_vat_code_names_the_lookup_row_chosen(tmp_path: Path) -> None:
    lines = _explain(tmp_path, "InvoiceLine[0].Product.VATType")
    assert lines[1].startswith("  InvoiceLines.InvoiceLine[0].Product.VATType = 1  ← ")
    assert lines[1].endswith("  {{ code.type }}")
    assert lines[2:] == [
        "      reads code.type = 1",
        "      code ← lookup vat_codes row: scheme=domestic, country=*, rate=21, type=1, "
        "gl_account=8000",
    ]


def test_a_let_on_the_way_is_opened(tmp_path: Path) -> None:
    lines = _explain(tmp_path, "InvoiceLine[0].Product.SalesPrice")
    # The canonical line is the let article_lines' element itself: traced to its item's rule,
    # and the lets that rule reads opened in turn.
    made = [line for line in lines if line.startswith("      ← canonical lines[0].amount_incl ← ")]
    assert len(made) == 1
    assert "  {{ shop_line_amount(unit_incl, quantity" in made[0]
    after = lines[lines.index(made[0]) + 1 :]
    assert after[0] == (
        "          reads unit_incl = 14.950000, quantity = 2, round_type = 2, round_mode = 2"
    )
    # the list part's own lets, read in the row's scope, and then the rule set's
    assert after[1].startswith("          unit_incl ← let mappings/prestashop/mapping.yaml:")
    assert after[1].endswith("  {{ row.unit_price_tax_incl | decimal }}")
    assert after[2] == "              reads row.unit_price_tax_incl = 14.950000"
    assert after[3].endswith("  {{ row.product_quantity | decimal }}")
    assert after[4] == "              reads row.product_quantity = 2"
    assert after[5].startswith("          round_type ← let ")
    assert after[5].endswith("  {{ stored_round_type if stored_round_type else 2 }}")
    assert after[6] == "              reads stored_round_type = 2"


def test_explain_field_shows_only_the_fields_ending_in_it(tmp_path: Path) -> None:
    lines = _explain(tmp_path, "SalesPrice")
    fields = [line.split(" = ")[0] for line in lines if line.startswith("  I")]
    assert fields == [f"  InvoiceLines.InvoiceLine[{n}].Product.SalesPrice" for n in range(5)]


def test_explain_without_a_field_shows_every_field(tmp_path: Path) -> None:
    lines = _explain(tmp_path)
    fields = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert any(line.startswith("  Subject = ") for line in fields)
    assert any(
        line.startswith("  InvoiceLines.InvoiceLine[4].Product.GLAccountCode = ") for line in fields
    )


@pytest.mark.parametrize("module", [explain, migrate, names])
def test_the_examples_in_the_docstrings_hold(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
