"""The JSON writer generated from a target's output tree (engine/rules/json_writer.py) writes
byte for byte what `render.payload_json` writes, and an XML target's payloads printed as JSON
are still refused for what XML cannot carry."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.documents import InputProblem, read_documents
from mapper.engine.errors import MappingError, UsageError
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.json_writer import compile_json_writer, json_cannot_carry_xml
from mapper.engine.rules.load import load_yaml
from mapper.engine.rules.render import payload_json

PAIRS = sorted(
    folder.name
    for folder in mappings_dir().iterdir()
    if "-" in folder.name and (folder / "fixtures").is_dir()
)


def _payloads(pair: Pair, name: str) -> list[Payload]:
    made = []
    for path in sorted((mappings_dir() / name / "fixtures").glob("*.input.json")):
        for document in read_documents(path):
            if not isinstance(document, InputProblem):
                outcome = pair.map(document)
                if isinstance(outcome, Payload):
                    made.append(outcome)
    return made


@pytest.mark.parametrize("name", PAIRS)
def test_every_pair_written_as_json_gives_what_payload_json_gives(name: str) -> None:
    pair = Pair.load(name, lean=True).writing("json")
    payloads = _payloads(pair, name)
    assert payloads
    for payload in payloads:
        assert payload.text_format == "json"
        assert payload.text == payload_json(payload.body)
        line = pair.writer("json").write(payload)
        expected = {"order": payload.order_id, "rules": payload.rules}
        assert json.loads(line) == {**expected, "payload": json.loads(payload.text)}


def _writer(tmp_path: Path, output: str) -> Any:
    (tmp_path / "mapping.yaml").write_text(output, encoding="utf-8")
    spec = load_yaml(tmp_path / "mapping.yaml")
    writer = compile_json_writer(spec)
    assert writer is not None
    return writer


TWO_PARTS = """\
Ref: "{{ order.id }}"
Note: "{{ order.note }}"
Fixed: 7
Lines:
  - each: "{{ order.lines }}"
    as: line
    item:
      Quantity: "{{ line.quantity }}"
      Product: {Name: "{{ line.name }}", Taxed: true}
  - item:
      Quantity: 1
      Product: {Name: rounding, Taxed: false, Account: "8000"}
"""


def test_values_of_every_type_none_left_out_and_shared_keys_read_not_assumed(
    tmp_path: Path,
) -> None:
    write = _writer(tmp_path, TWO_PARTS)
    body = {
        "Ref": 'A"1\\é',
        "Note": None,
        "Fixed": 7,
        "Lines": [
            {"Quantity": Decimal("2.50"), "Product": {"Name": "tea\n", "Taxed": True}},
            # the second part's item: the same top keys, another Product shape and literals
            {"Quantity": 1, "Product": {"Name": "rounding", "Taxed": False, "Account": "8000"}},
            {"Quantity": Decimal("1E+1"), "Product": {"Name": None, "Taxed": False}},
            "a text item",
            None,
        ],
    }
    text, _ = write(body)
    assert text == payload_json(body)
    assert text == (
        '{"Ref": "A\\"1\\\\é", "Fixed": 7, "Lines": ['
        '{"Quantity": "2.50", "Product": {"Name": "tea\\n", "Taxed": true}}, '
        '{"Quantity": 1, "Product": {"Name": "rounding", "Taxed": false, "Account": "8000"}}, '
        '{"Quantity": "10", "Product": {"Taxed": false}}, "a text item", null]}'
    )


def test_a_payload_of_a_shape_no_part_builds_is_written_as_payload_json_and_looked_over(
    tmp_path: Path,
) -> None:
    write = _writer(
        tmp_path,
        'Lines:\n  - each: "{{ order.lines }}"\n    as: line\n'
        '    item: {Quantity: "{{ line.quantity }}", Name: "{{ line.name }}"}\n',
    )
    fitting = {"Lines": [{"Quantity": Decimal("2.50"), "Name": "tea"}, "a text"]}
    assert write(fitting) == (payload_json(fitting), False)
    # of the size of the part's item, but not of its keys
    other = {"Lines": [{"Quantity": 1, "Title": "tea"}]}
    assert write(other) == ('{"Lines": [{"Quantity": 1, "Title": "tea"}]}', True)


def test_a_value_of_unfixed_shape_is_written_as_payload_json_and_its_names_looked_at(
    tmp_path: Path,
) -> None:
    write = _writer(tmp_path, 'Contact: "{{ contact }}"\nLines: []\n')
    body = {"Contact": {"Name": "Jansen", "bad name": Decimal("1.0"), "Skip": None}, "Lines": []}
    text, suspect = write(body)
    assert (
        text
        == payload_json(body)
        == '{"Contact": {"Name": "Jansen", "bad name": "1.0"}, "Lines": []}'
    )
    assert suspect  # "bad name" is no XML element name


def test_json_text_is_looked_at_closer_for_what_xml_cannot_carry() -> None:
    assert json_cannot_carry_xml(json.dumps("tea\x00", ensure_ascii=False))
    assert json_cannot_carry_xml(json.dumps("tea\x0c", ensure_ascii=False))
    assert json_cannot_carry_xml(json.dumps("tea\ufffe", ensure_ascii=False))
    assert not json_cannot_carry_xml(json.dumps("thé & <cake>", ensure_ascii=False))


def test_a_json_target_cannot_be_written_as_xml() -> None:
    with pytest.raises(UsageError, match="payloads are JSON; use --format json"):
        Pair.load("lightspeed-factuursturen").writing("xml")


def _order_with_note(note: str) -> dict[str, Any]:
    path = (
        mappings_dir()
        / "prestashop-yuki"
        / "fixtures"
        / "01_domestic_two_rates_discount.input.json"
    )
    document = next(iter(read_documents(path)))
    assert not isinstance(document, InputProblem)
    document["order"]["note"] = note
    return document


@pytest.mark.parametrize("output_format", ["xml", "json"])
@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("bel\x07", "contains a control character (U+0007) that XML cannot carry"),
        ("not a character \ufffe", "contains the non-character (U+FFFE) that XML cannot carry"),
        ("half \udc00", "contains a lone surrogate (U+DC00) that XML cannot carry"),
        ("line\nbreak, tab\tand no-break\xa0space", None),
    ],
)
def test_what_xml_cannot_carry_is_refused_in_either_format_and_the_rest_written(
    output_format: str, note: str, refused: str | None
) -> None:
    pair = Pair.load("prestashop-yuki", lean=True).writing(output_format)
    if refused is not None:
        with pytest.raises(MappingError) as raised:
            pair.map(_order_with_note(note))
        assert str(raised.value).endswith(f"Remarks: {refused}")
        return
    payload = pair.map(_order_with_note(note))
    assert isinstance(payload, Payload)
    assert payload.body["Remarks"] == note
    assert payload.text is not None and payload.text_format == output_format
