"""A rule set written out as one Python function per stage (engine/rules/codegen.py).

The generated stage and the interpreter (engine/rules/compile.py) must be interchangeable: the
same payload byte for byte over every fixture, the same rejections, the same errors naming the
same rule, field and list element. What a rule file holds reaches the generated source only
through the sandbox's translator or as a quoted constant, so a hostile name cannot run code.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.errors import MappingError
from mapper.engine.mapping import Pair, Payload, load_rule_set
from mapper.engine.paths import mappings_dir
from mapper.engine.rules import canonical
from mapper.engine.rules.compile import BoundRuleSet, Rejection, RuleError, compile_rule_set
from mapper.engine.rules.settings import load_settings_file
from tiny_rule_sets import compile_rules

MAPPINGS = mappings_dir()


def _outcome(run: Any) -> Any:
    """What one way of mapping made: payload text and body, rejection, or error text."""
    try:
        result = run()
    except MappingError as error:
        return ("error", str(error), error.field, str(error.place))
    if isinstance(result, Payload):
        return ("payload", result.text, json.dumps(result.body, default=str, sort_keys=False))
    if isinstance(result, Rejection):
        return ("rejection", [(f.as_dict(), str(f.place)) for f in result.failures])
    if isinstance(result, tuple):
        body, text = result
        if isinstance(body, Rejection):
            return ("rejection", [(f.as_dict(), str(f.place)) for f in body.failures])
        return ("output", text, json.dumps(body, default=str))
    return ("other", repr(result))


def _both(run: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    monkeypatch.setattr(BoundRuleSet, "generated", True)
    generated = _outcome(run)
    monkeypatch.setattr(BoundRuleSet, "generated", False)
    interpreted = _outcome(run)
    monkeypatch.setattr(BoundRuleSet, "generated", True)
    return generated, interpreted


def _settings(input_file: Path) -> dict[str, Any]:
    found = input_file.with_name(input_file.name.replace(".input.json", ".settings.yaml"))
    return load_settings_file(found) if found.exists() else {}


RULE_SET_FIXTURES = sorted(MAPPINGS.glob("*/fixtures/*.input.json"))


@pytest.mark.parametrize("shipped", ["prestashop", "yuki", "factuursturen", "lightspeed"])
def test_the_shipped_rule_sets_are_generated(shipped: str) -> None:
    assert load_rule_set(shipped).stage() is not None


@pytest.mark.parametrize(
    "input_file", RULE_SET_FIXTURES, ids=lambda p: f"{p.parts[-3]}/{p.name[:-11]}"
)
def test_generated_and_interpreted_make_the_same_over_every_fixture(
    input_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = input_file.parents[1]
    document = json.loads(input_file.read_text("utf-8"), parse_float=Decimal)
    settings = _settings(input_file)
    if (folder / "mapping.yaml").exists():
        rules = load_rule_set(folder)
        bound = rules.bind(settings.get(rules.name), "fixture settings")
        if rules.kind == "target":
            document = {"order": canonical.from_json(document)}
        generated, interpreted = _both(lambda: bound.apply_written(document, "1"), monkeypatch)
        assert generated == interpreted
        return
    for lean in (True, False):
        pair = Pair.load(folder.name, settings, "fixture settings", lean=lean)
        generated, interpreted = _both(lambda pair=pair: pair.map(document), monkeypatch)
        assert generated == interpreted


def test_the_bench_pair_maps_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.bench.bench_dry_run import OrderGenerator

    pair = Pair.load("prestashop-yuki", lean=True)
    for document in OrderGenerator(7).orders(60):
        generated, interpreted = _both(lambda document=document: pair.map(document), monkeypatch)
        assert generated == interpreted


ERRORS = """
    let:
      rate: "{{ order.rate | decimal }}"
      again: "{{ again }}"
    checks:
      - name: positive
        each: "{{ order.lines }}"
        as: line
        assert: "{{ line.amount > 0 }}"
        message: "line {{ line.name }} is not positive"
        resolution: fix it
    output:
      total: "{{ rate * 2 }}"
      lines:
        - each: "{{ order.lines }}"
          as: line
          let:
            half: "{{ line.amount / 2 }}"
          when: "{{ line.amount != 1 }}"
          item:
            name: "{{ line.name }}"
            half: "{{ half }}"
            deep: "{{ line.missing.field }}"
"""


@pytest.mark.parametrize(
    "order",
    [
        {"rate": "1.5", "lines": [{"name": "a", "amount": Decimal(2), "missing": {"field": 1}}]},
        {"rate": "1.5", "lines": [{"name": "a", "amount": Decimal(-2)}]},  # rejected
        {"rate": "x", "lines": []},  # not a number
        {"lines": []},  # no rate
        {"rate": "1", "lines": [{"name": "a", "amount": Decimal(1)}, {"name": "b", "amount": 3}]},
        {"rate": "1", "lines": "not a list"},
        {"rate": "1", "lines": [{"name": "a", "amount": "text"}]},
    ],
)
def test_errors_and_rejections_name_the_same_rule_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: dict[str, Any]
) -> None:
    rules = compile_rules(tmp_path, ERRORS)
    assert rules.stage() is not None
    bound = rules.bind({})

    def run() -> Any:
        try:
            return bound.apply_written({"order": order}, "42")
        except TypeError as error:  # `each` over text in a check: the interpreter's own way
            return ("type error", str(error))

    generated, interpreted = _both(run, monkeypatch)
    assert generated == interpreted


def test_a_list_error_names_the_element(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, ERRORS)
    order = {
        "rate": "1",
        "lines": [
            {"name": "a", "amount": Decimal(4), "missing": {"field": 1}},
            {"name": "b", "amount": Decimal(4)},
        ],
    }
    with pytest.raises(MappingError) as caught:
        rules.bind({}).apply({"order": order}, "42")
    assert caught.value.field == "lines[1].deep"
    assert caught.value.order_id == "42"
    assert "mapping.yaml" in str(caught.value.place)


def test_a_let_reading_itself_is_undefined_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = compile_rules(
        tmp_path,
        """
        let:
          again: "{{ again + 1 }}"
        output:
          value: "{{ again if again is defined else 0 }}"
        """,
    )
    generated, interpreted = _both(lambda: rules.bind({}).apply_written({"order": {}}), monkeypatch)
    assert generated == interpreted
    assert generated[0] == "error" and "'again' is undefined" in generated[1]


TWICE_READ = """
    output:
      city: "{{ order.address.city }}"
      street: "{{ order.address.street }}"
      name: "{{ order.name }}"
      lines:
        - each: "{{ order.lines }}"
          as: line
          item: "{{ line ~ ' ' ~ order.address.city }}"
"""


@pytest.mark.parametrize(
    ("order", "made"),
    [
        (
            {"address": {"city": "Ede", "street": "Markt 1"}, "name": "Jansen", "lines": ["a"]},
            "Ede",
        ),
        ({"address": ["Ede"], "name": "Jansen", "lines": []}, "city: list has no field 'city'"),
        ({"name": "Jansen", "lines": []}, "city: no field 'address' (fields: name, lines)"),
        ({"address": {"city": "Ede"}, "lines": []}, "street: no field 'street' (fields: city)"),
    ],
    ids=["present", "a list", "missing", "a field missing"],
)
def test_fields_of_one_object_read_once_fail_or_succeed_as_the_interpreter_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: dict[str, Any], made: str
) -> None:
    rules = compile_rules(tmp_path, TWICE_READ)
    stage = rules.stage()
    assert stage is not None  # `order` and `order.address` each read into a local, once
    assert {"_c0", "_c1"} <= set(stage.__code__.co_varnames)
    document = {"order": order}
    generated, interpreted = _both(lambda: rules.bind({}).apply_written(document), monkeypatch)
    assert generated == interpreted
    if generated[0] == "error":
        assert generated[1].endswith(made)
    else:
        assert json.loads(generated[2])["city"] == made


def test_a_part_let_read_before_it_is_made_keeps_the_interpreter(tmp_path: Path) -> None:
    rules = compile_rules(
        tmp_path,
        """
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              let:
                first: "{{ second if second is defined else 0 }}"
                second: "{{ line }}"
              item: "{{ first }}"
        """,
    )
    assert rules.stage() is None
    assert rules.bind({}).apply({"order": {"lines": [1, 2, 3]}}) == {"lines": [0, 1, 2]}


HOSTILE_NAMES = """
    checks:
      - name: fine
        assert: "{{ order.a == 'A' }}"
        message: "'); __import__('os').system('echo hacked') #"
    output:
      "'): __import__('os') #": "{{ order.a }}"
      "\\"\\"\\"": "literal \\"\\"\\" ')"
      lines:
        - each: "{{ order.items }}"
          as: line
          item:
            "__class__": "{{ 1 }}"
"""


def test_names_from_a_rule_file_never_become_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = compile_rules(tmp_path, HOSTILE_NAMES)
    assert rules.stage() is not None
    document = {"order": {"a": "A", "items": [1]}}
    generated, interpreted = _both(lambda: rules.bind({}).apply_written(document), monkeypatch)
    assert generated == interpreted
    output = rules.bind({}).apply(document)
    assert output["'): __import__('os') #"] == "A"
    assert output['"""'] == 'literal """ \')'
    assert output["lines"] == [{"__class__": 1}]


@pytest.mark.parametrize(
    "expression",
    [
        "{{ order.__class__ }}",
        "{{ order._private }}",
        "{{ ''.__class__.__mro__ }}",
    ],
)
def test_a_hostile_expression_is_refused_before_any_code_is_generated(
    tmp_path: Path, expression: str
) -> None:
    with pytest.raises(RuleError):
        compile_rules(tmp_path, f'output:\n  value: "{expression}"\n')


@pytest.mark.parametrize(
    "expression",
    [
        "{{ order.text.format(1) }}",
        "{{ order.text * 1000000 }}",
        "{{ range(10 ** 9) | list }}",
        "{{ order.text.encode('utf-8') }}",
    ],
)
def test_the_sandbox_holds_in_the_generated_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expression: str
) -> None:
    rules = compile_rules(tmp_path, f'output:\n  value: "{expression}"\n')
    assert rules.stage() is not None
    generated, interpreted = _both(
        lambda: rules.bind({}).apply_written({"order": {"text": "ab"}}), monkeypatch
    )
    assert generated == interpreted
    assert generated[0] == "error" and "sandbox" in generated[1] or "not allowed" in generated[1]


@pytest.mark.parametrize("items", [5, 100])  # a short list, and one checked per element
@pytest.mark.parametrize(
    "rules_text",
    [
        """
        output:
          lines:
            - each: "{{ order.items }}"
              as: item
              item: "{{ item }}"
        """,
        """
        checks:
          - name: small
            each: "{{ order.items }}"
            as: item
            assert: "{{ item < 1000 }}"
            message: too large
        output:
          count: "{{ order.items | length }}"
        """,
    ],
    ids=["list part", "check"],
)
def test_the_deadline_holds_in_generated_loops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules_text: str, items: int
) -> None:
    import mapper.engine.rules.compile as compile_module

    rules = compile_rules(tmp_path, rules_text)
    assert rules.stage() is not None
    bound = rules.bind({})
    document = {"order": {"items": list(range(items))}}
    assert bound.apply_written(document)[0] is not None  # in time: the loop runs
    monkeypatch.setattr(compile_module, "ORDER_TIME_LIMIT", -1.0)
    with pytest.raises(MappingError, match="time limit"):
        bound.apply_written(document)
    assert bound.apply_written({"order": {"items": []}})[0] is not None  # nothing to run


def _calls_of(function: str, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What the rule function `function` is called with from now on, call by call."""
    from mapper.engine.library import functions

    calls: list[object] = []
    real = functions.FUNCTIONS[function]

    def counted(raw: object) -> Any:
        calls.append(raw)
        return real(raw)

    monkeypatch.setitem(functions.FUNCTIONS, function, counted)
    return calls


@pytest.mark.parametrize("first_check_fails", [False, True])
def test_a_let_is_made_once_an_order_wherever_it_is_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_check_fails: bool
) -> None:
    """`number` is read in a failing check's message (by its function, maybe) and then by a
    later check wherever it runs (made in place, unless already made): once either way."""
    calls = _calls_of("vat_number", monkeypatch)
    rules = compile_rules(
        tmp_path,
        """
        let:
          number: "{{ vat_number(order.vat).number }}"
        checks:
          - name: paid
            assert: "{{ order.paid }}"
            message: "not paid, VAT number {{ number }}"
          - name: number
            assert: "{{ number != '' }}"
            message: no VAT number
        output:
          vat: "{{ number }}"
        """,
    )
    assert rules.stage() is not None
    document = {"order": {"vat": "NL 8200.98.395 B01", "paid": not first_check_fails}}
    outcome = rules.bind({}).apply_written(document)[0]
    assert len(calls) == 1
    if first_check_fails:
        assert isinstance(outcome, Rejection)
        assert [f.check for f in outcome.failures] == ["paid"]
        assert "NL820098395B01" in outcome.failures[0].message
    else:
        assert outcome == {"vat": "NL820098395B01"}


def test_a_let_read_in_loops_is_made_once_and_is_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`code` is read for some elements only (a branch Python may skip), in a check's loop
    and in the output's: made the first time, then kept — and what the interpreter makes."""
    calls = _calls_of("country", monkeypatch)
    rules = compile_rules(
        tmp_path,
        """
        let:
          code: "{{ country(order.country) }}"
        checks:
          - name: known
            each: "{{ order.lines }}"
            as: line
            when: "{{ line.kind != 'rounding' }}"
            assert: "{{ code != 'XX' }}"
            message: "unknown country for {{ line.kind }}"
        output:
          lines:
            - each: "{{ order.lines }}"
              as: line
              item: "{{ line.kind ~ ' ' ~ code if line.kind != 'rounding' else line.kind }}"
        """,
    )
    assert rules.stage() is not None
    lines = [{"kind": "rounding"}, {"kind": "article"}, {"kind": "shipping"}]
    document = {"order": {"country": "nl", "lines": lines}}
    made = rules.bind({}).apply_written(document)[0]
    assert made == {"lines": ["rounding", "article NL", "shipping NL"]}
    assert calls == ["nl"]
    generated, interpreted = _both(
        lambda: rules.bind({}).apply_written({"order": {"country": "XX", "lines": lines}}),
        monkeypatch,
    )
    assert generated == interpreted and generated[0] == "rejection"
    assert len(generated[1]) == 2  # the article and the shipping line


def test_a_run_maps_its_first_orders_interpreted_then_with_the_generated_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mapper.engine.rules import compile as rules_compile

    def fresh_pair() -> tuple[Pair, list[Any]]:
        shop, yuki = compile_rule_set(MAPPINGS / "prestashop"), compile_rule_set(MAPPINGS / "yuki")
        return Pair(shop.bind(), yuki.bind()), [shop, yuki]

    fixtures = sorted((MAPPINGS / "prestashop-yuki" / "fixtures").glob("*.input.json"))
    generated, _ = fresh_pair()
    inputs, expected = [], []
    for path in fixtures:  # orders that each rule set maps (none skipped or rejected)
        document = json.loads(path.read_text(encoding="utf-8"))
        outcome = _outcome(lambda d=document: generated.map(d))
        if outcome[0] == "payload" and len(inputs) < 6:
            inputs.append(document)
            expected.append(outcome)
    assert len(inputs) == 6
    monkeypatch.setattr(rules_compile, "GENERATE_AFTER", 3)
    pair, rule_sets = fresh_pair()
    made = []
    for number, document in enumerate(inputs, 1):
        made.append(_outcome(lambda d=document: pair.map(d)))
        assert [bool(rules._stage) for rules in rule_sets] == [number > 3] * 2
    assert made == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"sku": "BS-39", "items": 2}, "sku items"),  # own keys
        ({"note": ""}, "items"),  # no sku; `items` is a dict's method, so defined
        ({"lines": "text"}, "items"),
        ("an order as text", ""),  # not an object: no field is defined
    ],
)
def test_is_defined_says_the_same_in_both_ways_and_in_every_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: Any, expected: str
) -> None:
    rules = compile_rules(
        tmp_path,
        """
        output:
          defined: >-
            {{ join_parts(['sku' if order.sku is defined else '',
                           'items' if order.items is defined else '',
                           'slip' if order_slip is defined else '']) }}
        """,
    )
    assert rules.stage() is not None
    generated, interpreted = _both(
        lambda: rules.bind({}).apply_written({"order": order}), monkeypatch
    )
    assert generated == interpreted
    assert generated[0] == "output" and json.loads(generated[2]) == {"defined": expected}
