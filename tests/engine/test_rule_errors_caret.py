"""Rule errors as a compiler shows them: `file:line:col: path: message`, the source line and
a caret under the place."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.errors import Place, RuleError
from mapper.engine.rules.compile import compile_rule_set
from tiny_rule_sets import line_of, shown, write_rules


def test_a_compile_error_shows_the_line_and_a_caret(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          a: "{{ order.id }}"
          b: "{{ order.total | monney }}"
        """)
    with pytest.raises(RuleError) as caught:
        compile_rule_set(tmp_path)
    line = line_of(mapping, "monney")
    assert caught.value.report().splitlines() == [
        f"{shown(mapping)}:{line}:6: b: unknown filter 'monney'",
        '    b: "{{ order.total | monney }}"',
        "       ^",
    ]


def test_validate_prints_a_compile_error_with_its_caret(tmp_path: Path) -> None:
    mapping = write_rules(tmp_path, """
        output:
          a: "{{ order.id | nope }}"
        """)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"mapper: {shown(mapping)}:{line_of(mapping, 'nope')}:6: a: unknown filter 'nope'",
        '    a: "{{ order.id | nope }}"',
        "       ^",
    ]


def test_tabs_before_the_place_are_kept_so_the_caret_stands_under_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("let:\n\tx: 1  # a tab\n", encoding="utf-8")
    error = RuleError("bad", Place(str(path), 2, 2))
    assert error.report().splitlines()[1:] == ["  \tx: 1  # a tab", "  \t^"]


def test_without_a_readable_line_the_message_stands_alone(tmp_path: Path) -> None:
    missing = RuleError("bad", Place(str(tmp_path / "gone.yaml"), 3, 1), "a")
    assert missing.report() == f"{tmp_path / 'gone.yaml'}:3:1: a: bad"
    past_the_end = tmp_path / "short.yaml"
    past_the_end.write_text("a: 1\n", encoding="utf-8")
    assert RuleError("bad", Place(str(past_the_end), 9, 1)).report() == f"{past_the_end}:9:1: bad"
    assert RuleError("bad").report() == "bad"
