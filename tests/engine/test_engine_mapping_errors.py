"""Bad input in one order: a MappingError naming the order, the field, the rule (file:line)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.errors import MappingError
from mapper.engine.mapping import Pair, Payload, Skipped
from mapper.engine.rules.compile import Rejection
from ps_order_builder import sample_document
from tiny_rule_sets import compile_rules

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
PRESTASHOP = MAPPINGS / "prestashop" / "mapping.yaml"
PRESTASHOP_SHOWN = "mappings/prestashop/mapping.yaml"


def _line(path: Path, start: str) -> int:
    """The line of the rule that starts (after indentation) with `start`."""
    found = [
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.lstrip().startswith(start)
    ]
    assert len(found) == 1, f"{start!r} is on lines {found} of {path}"
    return found[0]


def _mapping_error(document: dict[str, Any]) -> MappingError:
    with pytest.raises(MappingError) as caught:
        Pair.load("prestashop-yuki").map(document)
    return caught.value


def test_the_sample_order_maps() -> None:
    outcome = Pair.load("prestashop-yuki").map(sample_document())
    assert isinstance(outcome, Payload)
    assert outcome.order_id == "1042"
    assert outcome.canonical["totals"] == {
        "incl": Decimal("43.32"), "excl": Decimal("36.81"), "vat": Decimal("6.51"),
        "paid": Decimal("43.32"),
    }


def test_a_comma_amount_names_order_field_rule_and_expectation() -> None:
    document = sample_document()
    document["order"]["total_paid_tax_incl"] = "12,50"
    error = _mapping_error(document)
    text = str(error)
    line = _line(PRESTASHOP, "paid_incl:")
    assert "order 1042" in text
    assert "let paid_incl" in text
    assert f"{PRESTASHOP_SHOWN}:{line}:" in text
    assert "expected an amount like 12.50, got '12,50'" in text
    assert text.endswith(f":{line}:14: order 1042: let paid_incl: "
                         "expected an amount like 12.50, got '12,50'")
    assert (error.order_id, error.field) == ("1042", "let paid_incl")
    assert error.message == "expected an amount like 12.50, got '12,50'"


def test_a_bad_row_amount_names_the_row() -> None:
    document = sample_document()
    document["order"]["associations"]["order_rows"][1]["unit_price_tax_incl"] = "4,49"
    error = _mapping_error(document)
    assert error.order_id == "1042"
    assert error.field == "let article_lines[1] let unit_incl"  # the row's price, read once
    assert error.message == "expected an amount like 12.50, got '4,49'"
    assert f"{PRESTASHOP_SHOWN}:" in str(error)


def test_a_missing_field_lists_the_fields_there_are() -> None:
    document = sample_document()
    del document["order"]["reference"]
    error = _mapping_error(document)
    assert error.field == "number"
    assert error.message.startswith("no field 'reference' (fields: id, id_address_delivery, ")
    assert error.message.endswith(", …)")
    assert str(error).endswith(f"order 1042: number: {error.message}")
    line = _line(PRESTASHOP, 'number: "{{ order.reference }}"')
    assert f"{PRESTASHOP_SHOWN}:{line}:" in str(error)


def test_a_missing_resource_is_named() -> None:
    document = sample_document()
    del document["customer"]
    error = _mapping_error(document)
    assert error.order_id == "1042"
    assert error.message == "'customer' is undefined"


def test_an_unset_date_is_named() -> None:
    document = sample_document()
    document["order"]["date_add"] = "0000-00-00 00:00:00"
    error = _mapping_error(document)
    assert (error.order_id, error.field) == ("1042", "let order_day")
    assert error.message == (
        "expected a date like 2019-01-30 or 2019-01-30 01:02:12, got '0000-00-00 00:00:00'"
    )


def test_an_unknown_currency_id_is_named() -> None:
    """Turned away with the id and where to map it, not `no field '2'` (issue 13)."""
    document = sample_document()
    document["order"]["id_currency"] = "2"
    outcome = Pair.load("prestashop-yuki").map(document)
    assert isinstance(outcome, Rejection)
    assert [f.as_dict() for f in outcome.failures] == [{
        "check": "currency",
        "message": "The order's currency id 2 is not in the currency table of the settings "
                   "(prestashop: currencies), so its amounts cannot be booked",
        "resolution": "Add the currency under prestashop: currencies in the settings, as "
                      "\"2\": followed by its ISO code (the currency with that id under "
                      "Localization > Currencies in PrestaShop); then process the order again.",
    }]


def test_an_error_in_the_sendable_rule_names_the_order() -> None:
    document = sample_document()
    del document["order"]["current_state"]
    error = _mapping_error(document)
    assert (error.order_id, error.field) == ("1042", "sendable.when")
    assert error.message.startswith("no field 'current_state' (fields: id, ")
    assert "order 1042: sendable.when: no field 'current_state'" in str(error)


def test_an_order_not_yet_paid_is_skipped() -> None:
    document = sample_document()
    document["order"]["current_state"] = "1"
    outcome = Pair.load("prestashop-yuki").map(document)
    assert outcome == Skipped(
        "1042", "order state 1 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
    )


def test_a_wrong_total_is_turned_away_with_its_reason() -> None:
    document = sample_document()
    document["order"]["total_paid_tax_incl"] = "50.000000"
    outcome = Pair.load("prestashop-yuki").map(document)
    assert isinstance(outcome, Rejection)
    assert outcome.order_id == "1042"
    assert outcome.reasons() == [
        "order_total: The order total 50.00 does not equal the lines 43.37 + shipping 4.95 "
        "+ wrapping 0.00 − discount 5.00 = 43.32 (difference 6.68)"
    ]


def test_an_unknown_vat_rate_is_turned_away_per_line() -> None:
    document = sample_document()
    row = document["order"]["associations"]["order_rows"][0]
    row["unit_price_tax_excl"] = "13.000000"  # 14.95 / 13.00 = 15 % VAT
    row["product_price"] = "13.000000"
    document["order"]["total_products"] = "39.357798"
    outcome = Pair.load("prestashop-yuki").map(document)
    assert isinstance(outcome, Rejection)
    assert [f.check for f in outcome.failures] == ["vat_code", "vat_code"]
    assert [f.message for f in outcome.failures] == [
        "No Yuki VAT code for 15 % (domestic, NL) in the settings, needed for the line "
        "'Badslippers maat 39'",
        "No Yuki VAT code for 15 % (domestic, NL) in the settings, needed for the line 'Korting'",
    ]
    assert all(f.place.file.endswith("mappings/yuki/mapping.yaml") for f in outcome.failures)


def test_the_error_of_a_list_item_names_its_index(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              item:
                amount: "{{ line.amount | money }}"
        """)
    document = {"order": {"lines": [{"amount": "1.00"}, {"amount": "2.00"}, {"amount": "n/a"}]}}
    with pytest.raises(MappingError) as caught:
        rules.bind().apply(document, "77")
    error = caught.value
    assert (error.order_id, error.field) == ("77", "lines[2].amount")
    assert str(error).endswith(": order 77: lines[2].amount: expected an amount like 12.50, got 'n/a'")
    assert error.place is not None and error.place.line == 10


def test_the_error_of_a_list_items_let_names_its_index(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              let:
                amount: "{{ line.amount | money }}"
              item:
                amount: "{{ amount }}"
        """)
    document = {"order": {"lines": [{"amount": "1.00"}, {"amount": "n/a"}]}}
    with pytest.raises(MappingError) as caught:
        rules.bind().apply(document, "77")
    assert caught.value.field == "lines[1] let amount"


def test_each_over_something_not_a_list(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              item: "{{ line }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"lines": "abc"}}, "5")
    assert str(caught.value).endswith(": order 5: lines[]: `each` must give a list, got str")


def test_reading_a_field_of_null(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          city: "{{ order.address.city }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"address": None}}, "5")
    assert caught.value.message == "cannot read 'city' of nothing (the value is null)"


def test_text_where_a_number_belongs(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          total: "{{ order.amount + 1 }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"amount": "12.50"}}, "5")
    assert caught.value.message == (
        'can only concatenate str (not "int") to str'
    )
    rules = compile_rules(tmp_path, """
        output:
          total: "{{ order.amount - 1 }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"amount": "12.50"}}, "5")
    assert caught.value.message == (
        "unsupported operand type(s) for -: 'str' and 'int' "
        "(is a field missing, or text where a number belongs? use | decimal)"
    )
