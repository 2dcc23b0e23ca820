"""`mapper validate` finds the names no `let`, input or setting defines, before any order runs;
every error is shown as a compiler shows it: file:line:column, the source line, a caret."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.engine.rules.compile import compile_rule_set
from mapper.engine.rules.names import undefined_names
from tiny_rule_sets import line_of, shown, write_rules


def _run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _column(path: Path, line: int, text: str) -> int:
    """The 1-based column of `text` on 1-based `line` of `path`."""
    return path.read_text(encoding="utf-8").splitlines()[line - 1].index(text) + 1


def _problems(folder: Path, inputs: frozenset[str] = frozenset({"order"})) -> list[str]:
    rules = compile_rule_set(folder)
    assert rules.data is not None
    return [str(problem) for problem in undefined_names(rules.data, set(inputs))]


def test_a_misspelt_let_fails_validate_with_a_caret_under_it(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        let:
          products_incl: "{{ order.totals.incl }}"
          shipping_incl: "{{ order.shipping }}"
        output:
          total: "{{ product_incl + shipping_incl }}"
        """)
    result = _run("validate", tmp_path)
    assert result.exit_code == 2
    line = line_of(mapping, "total:")
    assert result.stderr.splitlines() == [
        f"mapper: warning: {shown(mapping)}: names no language version, so it is read as "
        f"language 1; `mapper migrate {shown(tmp_path)}` rewrites it to language 2",
        f"mapper: {shown(mapping)}:{line}:14: total: 'product_incl' is undefined, "
        "did you mean 'products_incl'?",
        '    total: "{{ product_incl + shipping_incl }}"',
        "               ^",
        f"mapper: 1 error(s) in {tmp_path}",
    ]
    assert result.stdout == ""


def test_every_undefined_name_is_reported_at_once(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        checks:
          - name: positive
            assert: "{{ totl > 0 }}"
            message: "total {{ order.total }}"
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              let:
                amount: "{{ line.amount_incl }}"
              when: "{{ amount != 0 }}"
              item:
                price: "{{ amount / quantty }}"
                row: "{{ row.id }}"
        """)
    check, price, row = (line_of(mapping, key) for key in ("assert:", "price:", "row:"))
    assert _problems(tmp_path) == [
        f"{shown(mapping)}:{check}:{_column(mapping, check, 'totl')}: checks[0].assert: "
        "'totl' is undefined",
        f"{shown(mapping)}:{price}:{_column(mapping, price, 'quantty')}: lines[].price: "
        "'quantty' is undefined",
        f"{shown(mapping)}:{row}:{_column(mapping, row, 'row.id')}: lines[].row: "
        "'row' is undefined",
    ]


def test_a_let_read_before_it_is_written_is_named(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        let:
          total: "{{ subtotal + 1 }}"
          subtotal: "{{ order.total }}"
        output:
          a: "{{ total }}"
        """)
    subtotal, total = line_of(mapping, "subtotal:"), line_of(mapping, "total: \"{{ sub")
    assert _problems(tmp_path) == [
        f"{shown(mapping)}:{total}:{_column(mapping, total, 'subtotal')}: let total: "
        f"'subtotal' is read before its let (defined at {shown(mapping)}:{subtotal}:13)"
    ]


def test_defined_names_settings_and_optional_inputs_pass(tmp_path: Path) -> None:
    write_rules(tmp_path, """
        let:
          note: "{{ order_slip.note if order_slip is defined else '' }}"
          rate: "{{ settings.rate }}"
        checks:
          - name: each_line
            each: "{{ order.lines }}"
            as: line
            assert: "{{ line.amount_incl > 0 and rate }}"
            message: "line {{ line.description }}"
        output:
          a: "{{ vat_rate(rate) ~ note }}"
          b: "{{ true and none is none }}"
        """)
    assert _problems(tmp_path) == []


def test_a_block_scalar_places_the_name_on_its_own_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          reference: >-
            {{ order.number if order.process
               else order.invoice_numbr }}
          other: >-
            {{ order.id
               ~ unknwn }}
        """)
    line = line_of(mapping, "~ unknwn")
    assert _problems(tmp_path) == [
        f"{shown(mapping)}:{line}:{_column(mapping, line, 'unknwn')}: other: "
        "'unknwn' is undefined"
    ]


def test_a_shops_inputs_are_the_names_its_fixtures_hold(tmp_path: Path) -> None:
    folder = tmp_path / "myshop"
    mapping = write_rules(folder, """
        output:
          id: "{{ order.id }}"
          email: "{{ customer.email }}"
          city: "{{ adresses[0].city }}"
        """)
    text = mapping.read_text(encoding="utf-8").replace("kind: target", "kind: source")
    mapping.write_text(text, encoding="utf-8")
    fixtures = tmp_path / "myshop-yuki" / "fixtures"
    fixtures.mkdir(parents=True)
    document = {"order": {"id": 1}, "customer": {"email": "a@b.nl"}, "addresses": []}
    (fixtures / "one.input.json").write_text(json.dumps(document), encoding="utf-8")
    result = _run("validate", folder)
    assert result.exit_code == 2
    city = line_of(mapping, "city:")
    errors = [line for line in result.stderr.splitlines() if "undefined" in line]
    assert errors == [
        f"mapper: {shown(mapping)}:{city}:{_column(mapping, city, 'adresses')}: city: "
        "'adresses' is undefined, did you mean 'addresses'?"
    ]


def test_the_shipped_rule_sets_define_every_name_they_read() -> None:
    for name in ("prestashop", "lightspeed", "shopify", "woocommerce", "yuki", "factuursturen",
                 "moneybird"):
        result = _run("validate", name)
        assert result.exit_code == 0, result.stderr
        assert "is undefined" not in result.stderr
