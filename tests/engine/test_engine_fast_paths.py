"""The engine's fast paths write exactly what the plain ones do.

- the XML writer generated from a target's element tree (engine/rules/xml_writer.py) against
  `render.xml_element`, over every shipped pair's fixtures;
- a lean pair (the shop's rules make only what the target reads, engine/rules/demand.py)
  against the full one: the same payloads;
- the streamed reader (engine/documents.py) with a tiny chunk size, so every document and
  every text crosses chunk boundaries, against the same files read whole.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapper.engine import documents
from mapper.engine.documents import InputProblem, read_documents
from mapper.engine.errors import UsageError
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.limits import MAX_SIZE
from mapper.engine.rules.load import load_yaml
from mapper.engine.rules.render import XmlDocumentWriter, xml_element
from mapper.engine.rules.xml_writer import BodyWriter, compile_body_writer

PAIRS = sorted(
    folder.name
    for folder in mappings_dir().iterdir()
    if "-" in folder.name and (folder / "fixtures").is_dir()
)


def _inputs(pair: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted((mappings_dir() / pair / "fixtures").glob("*.input.json")):
        for document in read_documents(path):
            if not isinstance(document, InputProblem):
                found.append(document)
    return found


def _payloads(pair: Pair, inputs: list[dict[str, Any]]) -> list[Payload]:
    return [outcome for d in inputs if isinstance(outcome := pair.map(d), Payload)]


@pytest.mark.parametrize("name", PAIRS)
def test_lean_pairs_make_the_same_payloads(name: str) -> None:
    full, lean = Pair.load(name), Pair.load(name, lean=True)
    inputs = _inputs(name)
    made = _payloads(full, inputs)
    assert [p.body for p in _payloads(lean, inputs)] == [p.body for p in made]


@pytest.mark.parametrize("name", [n for n in PAIRS if n.endswith("-yuki")])
def test_the_generated_xml_writer_writes_what_xml_element_writes(name: str) -> None:
    pair = Pair.load(name, lean=True)
    payloads = _payloads(pair, _inputs(name))
    assert payloads
    for payload in payloads:
        assert payload.text is not None and payload.text_format == "xml"
        generated = XmlDocumentWriter("R", "urn:x", "I").element_text(payload.text, "c")
        plain = XmlDocumentWriter("R", "urn:x", "I").element(payload.body, "c")
        assert generated == plain


def _writer_of(folder: Path, output: str) -> BodyWriter:
    """The XML writer generated from `output:` (a target's element tree, as YAML text)."""
    (folder / "mapping.yaml").write_text(output, encoding="utf-8")
    write = compile_body_writer(load_yaml(folder / "mapping.yaml"))
    assert write is not None
    return write


def test_two_parts_of_the_same_keys_each_write_their_own_literals(tmp_path: Path) -> None:
    write = _writer_of(
        tmp_path,
        'Lines:\n  - each: "{{ order.lines }}"\n    as: line\n'
        '    item: {Quantity: "{{ line.quantity }}", Taxed: true}\n'
        "  - item: {Quantity: 1, Taxed: false}\n",
    )
    body = {"Lines": [{"Quantity": 2, "Taxed": True}, {"Quantity": 1, "Taxed": False}]}
    plain: list[str] = []
    xml_element("Lines", body["Lines"], plain, 2)
    assert write(body)[0] == "\n".join(plain)
    assert write(body)[0].count("<Taxed>false</Taxed>") == 1


ONE_SHAPE = (
    'Lines:\n  - each: "{{ order.lines }}"\n    as: line\n'
    '    item: {Quantity: "{{ line.quantity }}", Product: {Name: "{{ line.name }}"}}\n'
    "  - item: {Quantity: 1, Product: {Name: Afronding}}\n"
)


@pytest.mark.parametrize(
    ("lines", "suspect"),
    [
        (
            [
                {"Quantity": Decimal("2"), "Product": {"Name": "Thee & koek"}},
                {"Quantity": 1, "Product": {"Name": "Afronding"}},
                "a text",  # no part builds it: written the plain way, as is any other size
                {"Quantity": 3},
            ],
            False,
        ),
        # the second line is of the size of the parts' items, but not of their keys: the
        # whole payload is written the plain way, and looked over
        ([{"Quantity": 1, "Product": {"Name": "Thee"}}, {"Quantity": 2, "Other": "x"}], True),
    ],
    ids=["of the parts' shape or another size", "of their size, not their keys"],
)
def test_items_of_the_one_shape_their_parts_build_are_written_as_xml_element_does(
    tmp_path: Path, lines: list[Any], suspect: bool
) -> None:
    write = _writer_of(tmp_path, ONE_SHAPE)
    plain: list[str] = []
    xml_element("Lines", lines, plain, 2)
    assert write({"Lines": lines}) == ("\n".join(plain), suspect)


def test_a_field_picking_one_of_two_let_objects_is_written_as_xml_element_does(
    tmp_path: Path,
) -> None:
    (tmp_path / "mapping.yaml").write_text(
        "let:\n"
        '  debtor: {Code: "{{ order.code }}", Name: "{{ order.name }}"}\n'
        '  person: {Name: "{{ order.name }}", City: "{{ order.city }}", Kind: Person}\n'
        "output:\n"
        '  Contact: "{{ debtor if order.code else person }}"\n',
        encoding="utf-8",
    )
    rules = load_yaml(tmp_path / "mapping.yaml")
    write = compile_body_writer(rules["output"], lets=rules["let"])
    assert write is not None
    for contact, suspect in (
        ({"Code": "D12", "Name": "Jansen & Zn"}, False),
        ({"Name": "Piet", "City": None, "Kind": "Person"}, False),
        ({"Name": "Piet", "Town": "Ede", "Kind": "Person"}, True),  # no let's keys: plain
        ("Piet", False),
    ):
        plain: list[str] = []
        xml_element("Contact", contact, plain, 2)
        assert write({"Contact": contact}) == ("\n".join(plain), suspect)


def test_amounts_are_written_as_exact_text_never_in_exponent_notation(tmp_path: Path) -> None:
    write = _writer_of(
        tmp_path,
        'Total: "{{ order.total }}"\n'
        'Lines:\n  - each: "{{ order.lines }}"\n    as: line\n'
        '    item: {Price: "{{ line.price }}"}\n',
    )
    body = {
        "Total": Decimal("1E+1"),
        "Lines": [{"Price": Decimal("12.50")}, {"Price": Decimal("1E-7")}],
    }
    assert write(body) == (
        "    <Total>10</Total>\n    <Lines>\n      <Price>12.50</Price>\n    </Lines>\n"
        "    <Lines>\n      <Price>0.0000001</Price>\n    </Lines>",
        False,
    )


@pytest.mark.parametrize(
    ("company", "suspect"),
    [
        ("Jansen Tuinhout", False),
        ("Jansen & Zn <Tuinhout>", False),  # escaped
        ("Jansen\nTuinhout", True),  # not printable: the payload is looked over
    ],
)
def test_texts_in_fixed_and_unfixed_shapes_are_escaped_and_flagged_as_xml_element_does(
    tmp_path: Path, company: str, suspect: bool
) -> None:
    write = _writer_of(
        tmp_path,
        'Subject: "{{ order.subject }}"\nContact: "{{ contact }}"\n'
        'Lines:\n  - each: "{{ order.lines }}"\n    as: line\n'
        '    item: {Description: "{{ line.text }}"}\n',
    )
    for subject, contact, line in (
        (company, "Piet", "Spade"),
        ("Bestelling 12", {"FullName": company, "City": "Ede"}, "Spade"),
        ("Bestelling 12", {"FullName": "Piet", "City": "Ede"}, company),
    ):
        body = {"Subject": subject, "Contact": contact, "Lines": [{"Description": line}]}
        plain: list[str] = []
        for key, value in body.items():
            xml_element(key, value, plain, 2)
        assert write(body) == ("\n".join(plain), suspect)


def test_a_lean_canonical_order_holds_only_what_the_target_reads() -> None:
    inputs = _inputs("prestashop-yuki")
    full = _payloads(Pair.load("prestashop-yuki"), inputs)[0].canonical
    lean = _payloads(Pair.load("prestashop-yuki", lean=True), inputs)[0].canonical
    assert "delivery_address" in full and "delivery_address" not in lean
    assert lean["id"] == full["id"] and lean["number"] == full["number"]


ORDERS = [
    {"order": {"id": n, "total": Decimal("12.50"), "note": 'é ] } [ { \\" , \u20ac' * n}}
    for n in range(1, 8)
]


def _text(value: Any) -> str:
    return json.dumps(value, default=str).replace('"12.50"', "12.50")


@pytest.mark.parametrize("layout", ["array", "array-pretty", "lines"])
def test_streamed_reading_across_chunks_reads_what_a_whole_read_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    path = tmp_path / "orders.json"
    if layout == "lines":
        path.write_text("\n".join(_text(o) for o in ORDERS) + "\n", encoding="utf-8")
    else:
        separator = ",\n  " if layout == "array-pretty" else ","
        path.write_text("[" + separator.join(_text(o) for o in ORDERS) + "]", encoding="utf-8")
    whole = list(read_documents(path))
    monkeypatch.setattr(documents, "CHUNK", 7)
    streamed = list(read_documents(path))
    assert streamed == whole
    assert [d["order"]["id"] for d in streamed if isinstance(d, dict)] == list(range(1, 8))
    assert all(isinstance(d["order"]["total"], Decimal) for d in streamed if isinstance(d, dict))


def test_one_line_is_one_document_and_a_bad_one_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text('{"order": {"id": 1}}', encoding="utf-8")
    assert list(read_documents(path)) == [{"order": {"id": 1}}]
    path.write_text('{"order": {"id": 1}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"order.json: invalid JSON at line 1 column"):
        list(read_documents(path))


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", "Jansen", "\ud800", "a\udfffb", "x" * (MAX_SIZE + 1)]),
    st.builds(lambda text: documents._BadNumber(text, "too long"), st.just("9" * 101)),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "\udc00", "lines"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"a": value}
    return value


@settings(max_examples=400, deadline=None)
@given(value=_VALUES, depth=st.sampled_from([0, 1, 62, 63, 64]), surrogates=st.booleans())
def test_the_quick_look_over_a_document_finds_what_the_full_one_names(
    value: Any, depth: int, surrogates: bool
) -> None:
    """A document read is looked over quickly (`_has_problem`) and, only when that finds
    something, walked again to say where (`_problem`): the two agree on every document."""
    document = _nested(value, depth)
    named = documents._problem(document, surrogates)
    assert documents._has_problem(document, surrogates) is (named is not None)
    if "x" * (MAX_SIZE + 1) not in repr(document):  # read from a text too short to hold one
        assert documents._has_problem(document, surrogates, False) is (named is not None)


_JSON_SCALARS = st.one_of(
    st.none(),
    st.integers(-(10**120), 10**120),
    st.sampled_from(["", "Jansen", "1e999", "{[", "\ud800", "x" * (MAX_SIZE + 1)]),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, depth=st.sampled_from([0, 30, 62, 63, 64, 70]))
def test_a_document_let_through_without_a_look_is_within_every_limit(
    value: Any, depth: int
) -> None:
    text = json.dumps(_nested(value, depth))
    data, bad_numbers = documents._decoded(documents._loads, text)
    surrogates, found = documents._looked_over(data, text, bad_numbers)
    assert surrogates is documents._escapes_surrogates(text)
    assert found is (documents._problem(data, surrogates) is not None)
    assert bad_numbers is any(len(str(n)) > 100 for n in _integers(value))


def _integers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for child in value.values() for n in _integers(child)]
    if isinstance(value, list):
        return [n for child in value for n in _integers(child)]
    return [value] if type(value) is int else []
