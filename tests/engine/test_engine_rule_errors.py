"""A rule file that is wrong is refused with its place: `file:line[:column]: rule path: what`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mapper.engine.errors import RuleError
from mapper.engine.rules.compile import compile_rule_set
from tiny_rule_sets import line_of, shown, write_rules


def _error(folder: Path) -> RuleError:
    with pytest.raises(RuleError) as caught:
        compile_rule_set(folder)
    return caught.value


def test_a_bad_expression_names_its_line_and_rule_path(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        let:
          total: "{{ order.total | money }}"
        output:
          Subject: "Bestelling {{ order.number }}"
          InvoiceLines:
            InvoiceLine:
              - each: "{{ order.lines }}"
                as: line
                item:
                  Description: "{{ line.description }}"
                  SalesPrice: "{{ line.amount_incl * }}"
        """)
    error = _error(tmp_path)
    line = line_of(mapping, "SalesPrice")
    assert str(error).startswith(f"{shown(mapping)}:{line}:")
    assert error.rule_path == "InvoiceLines.InvoiceLine[].SalesPrice"
    assert error.message == "Jinja syntax error: unexpected 'end of print statement'"
    assert str(error) == (
        f"{shown(mapping)}:{line}:23: InvoiceLines.InvoiceLine[].SalesPrice: "
        "Jinja syntax error: unexpected 'end of print statement'"
    )


def test_a_bad_let_value_names_the_let(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        let:
          first: "{{ 1 }}"
          total: "{{ order.total | monney }}"
        output:
          a: "{{ total }}"
        """)
    error = _error(tmp_path)
    assert str(error) == f"{shown(mapping)}:7:10: let total: unknown filter 'monney'"


def test_a_bad_check_names_the_check_part(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        checks:
          - name: positive
            assert: "{{ order.total > 0 }}"
            message: "Order {{ order.id }} has a total of {{ order.total | bogus }}"
        output:
          a: 1
        """)
    error = _error(tmp_path)
    assert str(error) == f"{shown(mapping)}:8:14: checks[0].message: unknown filter 'bogus'"


def test_an_unknown_function_names_it(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          a: "{{ order.id }}"
          b: "{{ vat_rat(order.rate) }}"
        """)
    error = _error(tmp_path)
    assert str(error) == f"{shown(mapping)}:7:6: b: unknown function 'vat_rat'"


def test_an_unknown_test_names_it(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          b: "{{ order.id is prime }}"
        """)
    assert str(_error(tmp_path)) == f"{shown(mapping)}:6:6: b: unknown test 'prime'"


def test_an_invalid_jsonpath_names_its_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          b: "$.order[?(@.x ==]"
        """)
    error = _error(tmp_path)
    assert str(error).startswith(f"{shown(mapping)}:6:6: b: invalid JSONPath '$.order[?(@.x ==]': ")


def test_a_literal_block_scalar_counts_lines_from_its_first_text_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          a: "{{ 1 }}"
          reference: |-
            {{ none if not settings.process
               else order.number if settings.reference == 'order_number'
               else order.invoice_number | digts }}
        """)
    error = _error(tmp_path)
    # the scalar's text starts on line 8; the bad filter is on the expression's third line
    assert line_of(mapping, "| digts") == 10
    assert error.place is not None and error.place.line == 10
    assert str(error).startswith(f"{shown(mapping)}:10:")
    assert error.rule_path == "reference"
    assert error.message == "unknown filter 'digts'"


def test_a_folded_block_scalar_counts_its_kept_line_breaks(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        let:
          payment: >-
            {{ settings.payment_methods[order.payment_method]
               if order.payment_method in settings.payment_methods
               else {'method': setings.default_payment_method | nope} }}
        output:
          a: "{{ payment }}"
        """)
    error = _error(tmp_path)
    # `>-` keeps the line breaks before more-indented lines, so Jinja's line 3 is file line 9
    assert line_of(mapping, "| nope") == 9
    assert str(error).startswith(f"{shown(mapping)}:9:")
    assert (error.rule_path, error.message) == ("let payment", "unknown filter 'nope'")


def test_a_folded_block_scalar_error_on_its_first_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          subject: >-
            {{ order.number | nope }}
        """)
    error = _error(tmp_path)
    assert str(error).startswith(f"{shown(mapping)}:7:")
    assert str(error).endswith(": subject: unknown filter 'nope'")


def test_a_schema_violation_names_file_line_and_path(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        checks:
          - name: total
            assert: "{{ true }}"
            message: fine
          - name: Bad-Name
            assert: "{{ true }}"
            message: x
        output:
          a: 1
        """)
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(mapping)}:9:11: checks.1.name: not valid rule file: "
        "'Bad-Name' does not match '^[a-z][a-z0-9_]*$'"
    )


def test_each_without_as_is_a_schema_violation(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          lines:
            - each: "{{ order.lines }}"
              item: "{{ 1 }}"
        """)
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(mapping)}:7:7: output.lines.0: not valid rule file: 'as' is a dependency of 'each'"
    )


def test_an_unknown_section_is_a_schema_violation(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        outptu:
          a: 1
        """)
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(mapping)}:1:1: not valid rule file: Additional properties are not allowed "
        "('outptu' was unexpected)"
    )


def test_a_wrong_type_is_a_schema_violation(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        lookups:
          codes:
            key: scheme
            rows: []
        output:
          a: 1
        """)
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(mapping)}:7:10: lookups.codes.key: not valid rule file: "
        "'scheme' is not of type 'array'"
    )


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          Subject: "{{ order.number }}"
          Date: "{{ order.date }}"
          Subject: "{{ order.reference }}"
        """)
    assert str(_error(tmp_path)) == f"{shown(mapping)}:8:3: duplicate key 'Subject'"


def test_a_duplicate_top_level_key_is_refused(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        kind: source
        output:
          a: 1
        """)
    assert str(_error(tmp_path)) == f"{shown(mapping)}:5:1: duplicate key 'kind'"


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          a: [unclosed
        """)
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(mapping)}:7:1: invalid YAML: expected ',' or ']', but got '<stream end>'"
    )


def test_include_cycles_are_refused(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        include:
          - parts/lines.yaml
        output:
          a: 1
        """)
    lines = write_rules(tmp_path / "parts", """
        include:
          - more.yaml
        """, name="lines.yaml")
    more = write_rules(tmp_path / "parts", """
        include:
          - ../mapping.yaml
        """, name="more.yaml")
    error = _error(tmp_path)
    cycle = f"{shown(mapping)} → {shown(lines)} → {shown(more)} → {shown(mapping)}"
    assert error.message == f"include cycle: {cycle}"
    assert str(error).endswith(f": include cycle: {cycle}")


def test_a_file_including_itself_is_a_cycle(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        include:
          - ./mapping.yaml
        output:
          a: 1
        """)
    error = _error(tmp_path)
    assert error.message == f"include cycle: {shown(mapping)} → {shown(mapping)}"


def test_a_missing_include_names_the_include_line(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        include:
          - common.yaml
          - nothing.yaml
        output:
          a: 1
        """)
    write_rules(tmp_path, "let:\n  x: 1\n", name="common.yaml")
    assert str(_error(tmp_path)) == (
        f"{shown(mapping)}:7:5: included file 'nothing.yaml' not found"
    )


def test_errors_in_an_included_file_name_that_file(tmp_path: Path) -> None:
    write_rules(tmp_path, """
        include:
          - lines.yaml
        let:
          total: "{{ 1 }}"
        output:
          a: 1
        """)
    lines = write_rules(tmp_path, """
        # the lines of the invoice
        let:
          net: "{{ total - }}"
        """, name="lines.yaml")
    error = _error(tmp_path)
    assert str(error) == (
        f"{shown(lines)}:3:8: let net: Jinja syntax error: unexpected 'end of print statement'"
    )


def test_a_let_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        include:
          - more.yaml
        let:
          total: "{{ 1 }}"
        output:
          a: 1
        """)
    more = write_rules(tmp_path, 'let:\n  total: "{{ 2 }}"\n', name="more.yaml")
    assert str(_error(tmp_path)) == (
        f"{shown(more)}:2:10: let.total is defined twice (also at {shown(mapping)}:8:10)"
    )


def test_a_rule_set_needs_its_output(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, "let:\n  x: 1\n")
    assert str(_error(tmp_path)) == f"{shown(mapping)}:1: mapping.yaml needs `output`"


def test_a_folder_without_mapping_yaml(tmp_path: Path) -> None:
    assert str(_error(tmp_path)) == f"no mapping.yaml in {shown(tmp_path)}"


def test_the_shipped_rule_sets_compile() -> None:
    root = Path(__file__).resolve().parents[2] / "mappings"
    for name in ("prestashop", "yuki"):
        rules = compile_rule_set(root / name)
        assert rules.name == name
        assert rules.kind == ("source" if name == "prestashop" else "target")
        rules.bind()  # the defaults satisfy the settings schema
