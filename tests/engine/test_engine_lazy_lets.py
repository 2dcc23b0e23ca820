"""`let`s computed when an order first reads them (engine/rules/demand.py lazy_lets, the
scope's pending lets in engine/rules/compile.py and `_let` in expressions.py), and the other
per-order shortcuts: parsed amounts kept (engine/library/money.py), the written payload checked
on its bytes and JSON made ready in one pass (engine/rules/render.py).

A lazy let gives what the let in order gives whenever the order reads it; an order that never
reads it never runs it, so it can neither cost time nor fail.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mapper.engine.errors import MappingError
from mapper.engine.library import money as money_module
from mapper.engine.library.money import money, to_decimal
from mapper.engine.rules.demand import lazy_lets
from mapper.engine.rules.render import cannot_carry, json_text, payload_json, without_empty
from tiny_rule_sets import compile_rules, line_of, shown, write_rules

CREDIT_RULES = """
    let:
      is_credit: "{{ order.refund is defined }}"
      refund_total: "{{ order.refund.amount | money }}"
      refund_text: "{{ 'Creditnota ' ~ refund_total }}"
      total: "{{ order.total | money }}"
    output:
      Subject: "{{ refund_text if is_credit else 'Factuur ' ~ total }}"
      Known: "{{ refund_total is defined }}"
"""


def test_a_let_the_order_does_not_read_is_not_run(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, CREDIT_RULES).bind()
    # An invoice has no `refund`: reading refund_total would fail, but nothing reads it.
    assert rules.apply({"order": {"total": "12.505"}}) == {
        "Subject": "Factuur 12.51",
        "Known": True,
    }
    assert rules.apply({"order": {"total": "1", "refund": {"amount": "-3.333"}}}) == {
        "Subject": "Creditnota -3.33",
        "Known": True,
    }


def test_a_lazy_let_that_fails_names_itself_and_its_line(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, CREDIT_RULES).bind()
    with pytest.raises(MappingError) as caught:
        rules.apply({"order": {"total": "1", "refund": {"amount": "12,50"}}}, "7")
    line = line_of(tmp_path / "mapping.yaml", "refund_total:")
    assert str(caught.value) == (
        f"{shown(tmp_path / 'mapping.yaml')}:{line}:17: order 7: let refund_total: "
        "expected an amount like 12.50, got '12,50'"
    )


def test_a_let_reading_itself_is_undefined(tmp_path: Path) -> None:
    rules = compile_rules(
        tmp_path,
        """
        let:
          loop: "{{ loop ~ 'x' }}"
        output:
          A: "{{ loop }}"
        """,
    ).bind()
    with pytest.raises(MappingError, match=r"let loop: 'loop' is undefined$"):
        rules.apply({"order": {}})


def test_a_let_named_like_a_document_field_runs_in_order(tmp_path: Path) -> None:
    """Before the let, its name is the document's field; after it, the let's value."""
    rules = compile_rules(
        tmp_path,
        """
        let:
          before: "{{ customer.name }}"
          customer: "{{ {'name': 'Jansen'} }}"
          after: "{{ customer.name }}"
        output:
          Before: "{{ before }}"
          After: "{{ after }}"
        """,
    ).bind()
    assert rules.apply({"customer": {"name": "De Vries"}}) == {
        "Before": "De Vries",
        "After": "Jansen",
    }


def test_lets_reading_a_name_a_loop_binds_run_in_order(tmp_path: Path) -> None:
    """`line` means the loop's element inside the loop: a let reading the top-level `line`
    must not be first computed in there."""
    write_rules(
        tmp_path,
        """
        let:
          first_line: "{{ line }}"
          lines: "{{ order.lines }}"
          counted:
            - each: "{{ order.lines }}"
              as: row
              item: "{{ row ~ '!' }}"
        output:
          Lines:
            - each: "{{ lines }}"
              as: line
              item: "{{ line ~ ' after ' ~ first_line }}"
        """,
    )
    from mapper.engine.rules.compile import compile_rule_set

    rules = compile_rule_set(tmp_path)
    assert rules.lazy == frozenset({"lines", "counted"})
    assert lazy_lets(rules.data) == rules.lazy
    bound = rules.bind()
    assert bound.apply({"line": "top", "order": {"lines": ["a", "b"]}}) == {
        "Lines": ["a after top", "b after top"]
    }


# -- parsed amounts ------------------------------------------------------------------------
def test_parsed_amounts_are_kept_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(money_module, "MAX_PARSED", 3)
    monkeypatch.setattr(money_module, "PARSED_AMOUNTS", {})
    monkeypatch.setattr(money_module, "MONEY_AMOUNTS", {})
    first = to_decimal("16.505000")
    assert to_decimal("16.505000") is first and first == Decimal("16.505000")
    assert str(money("16.505000")) == "16.51" and money("16.505000") is money("16.505000")
    for text in ("1.1", "2.2", "3.3", "4.4"):
        assert to_decimal(text) == Decimal(text)
    assert len(money_module.PARSED_AMOUNTS) <= 3
    with pytest.raises(money_module.MoneyFormatError, match="got '12,50'"):
        to_decimal("12,50")
    with pytest.raises(money_module.MoneyFormatError, match="'1e400' is out of range"):
        money("1e400")
    assert "12,50" not in money_module.PARSED_AMOUNTS and "1e400" not in money_module.PARSED_AMOUNTS


# -- the written payload's check, and JSON in one pass ----------------------------------------
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
NOT_TEXT = re.compile("[\ud800-\udfff]")
AWKWARD = st.sampled_from(
    [chr(c) for c in range(0x20)]
    + ["a", "é", "€", "<", "\ud800", "\udfff", "\ufffe", "\uffff", "\ufffd", "\U0001f600"]
)


@given(st.lists(AWKWARD | st.characters(), max_size=12).map("".join))
def test_the_byte_check_finds_what_the_character_classes_find(text: str) -> None:
    assert cannot_carry(text, xml=True) == (NOT_XML.search(text) is not None)
    assert cannot_carry(text, xml=False) == (NOT_TEXT.search(text) is not None)


def test_payload_json_writes_what_json_text_of_without_empty_writes() -> None:
    payload = {
        "invoice": {
            "reference": "XKBKNABJK",
            "lines": [
                {"amount": Decimal("29.90"), "qty": Decimal("2"), "sku": None, "vat": 21},
                None,
                (Decimal("-3.45"), True),
            ],
            "notes": None,
            "paid": Decimal("43.32"),
            "sent": False,
            "city": "Düsseldorf",
        }
    }
    text = payload_json(payload)
    assert text == json_text(without_empty(payload))
    assert json.loads(text) == {
        "invoice": {
            "reference": "XKBKNABJK",
            "lines": [{"amount": "29.90", "qty": "2", "vat": 21}, None, ["-3.45", True]],
            "paid": "43.32",
            "sent": False,
            "city": "Düsseldorf",
        }
    }
