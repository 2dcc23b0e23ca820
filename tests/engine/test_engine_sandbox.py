"""Hostile expressions in rule files are refused: at compile time, or by the sandbox at run time.

Each expression is written into a tiny rule set (output field `value`, on line 7 of
mapping.yaml) and compiled with compile_rule_set; what compiles is applied to a small document.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.engine.errors import MappingError, RuleError
from mapper.engine.rules.compile import RuleSet
from tiny_rule_sets import compile_rules, shown

PRIVATE = "access to {!r} is not allowed: names starting with '_' are private"
SANDBOX = "refused by the sandbox: "
NO_BLOCKS = "only {{ expressions }} are allowed in rule values, not {% blocks %}"
NO_STARS = "*args and **kwargs are not allowed in rules"
TOO_LARGE = SANDBOX + "{} is too large for a rule (at most 100000 characters or items)"

DOCUMENT = {"order": {"id": 1042, "reference": "QWZTRPLMX", "lines": [{"amount": "1.00"}]}}


def _rules(tmp_path: Path, expression: str) -> RuleSet:
    return compile_rules(tmp_path, f"""
        output:
          value: |-
            {expression}
        """)


REFUSED_WHEN_COMPILED = [
    ("{{ ''.__class__ }}", PRIVATE.format("__class__")),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", PRIVATE.format("__subclasses__")),
    ("{{ order.__dict__ }}", PRIVATE.format("__dict__")),
    ("{{ order['__class__'] }}", PRIVATE.format("__class__")),
    ("{{ lipsum.__globals__ }}", PRIVATE.format("__globals__")),
    ("{{ cycler.__init__.__globals__.os }}", PRIVATE.format("__globals__")),
    ("{{ cycler.__init__ }}", PRIVATE.format("__init__")),
    ("{{ ''.format.__self__ }}", PRIVATE.format("__self__")),
    ("{{ _private }}", PRIVATE.format("_private")),
    ("{{ (1).__class__ }}", PRIVATE.format("__class__")),
    ("{{ order.id | attr('__class__') }}", "unknown filter 'attr'"),
    ("{{ '%s' | format(order) }}", "unknown filter 'format'"),
    ("{{ lipsum() }}", "unknown function 'lipsum'"),
    ("{{ cycler(1, 2) }}", "unknown function 'cycler'"),
    ("{{ joiner() }}", "unknown function 'joiner'"),
    ("{{ namespace(a=1) }}", "unknown function 'namespace'"),
    ("{{ dict(a=1) }}", "unknown function 'dict'"),
    ("{{ open('/etc/passwd') }}", "unknown function 'open'"),
    ("{{ money(*order) }}", NO_STARS),
    ("{{ money(**order) }}", NO_STARS),
    ("{{ '{0}'.format(*order.lines) }}", NO_STARS),
    ("{% for line in order.lines %}{{ line }}{% endfor %}", NO_BLOCKS),
    ("{% set x = 1 %}{{ x }}", NO_BLOCKS),
    ("{% import 'os' as os %}", NO_BLOCKS),
    ("{% include '/etc/passwd' %}", NO_BLOCKS),
    ("{{ order.lines | map(attribute='amount') | list }}", "unknown filter 'map'"),
    ("{{ order.lines | selectattr('amount') | list }}", "unknown filter 'selectattr'"),
    ("{{ order.id | pprint }}", "unknown filter 'pprint'"),
    ("{{ order.id | tojson }}", "unknown filter 'tojson'"),
    ("{{ order.id is callable }}", "unknown test 'callable'"),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED_WHEN_COMPILED)
def test_refused_when_compiled(tmp_path: Path, expression: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        _rules(tmp_path, expression)
    error = caught.value
    assert error.message == message
    assert error.rule_path == "value"
    assert error.place is not None
    assert (error.place.file, error.place.line) == (shown(tmp_path / "mapping.yaml"), 7)
    assert str(error).startswith(f"{shown(tmp_path / 'mapping.yaml')}:7:")
    assert str(error).endswith(f": value: {message}")


REFUSED_WHEN_RUN = [
    ("{{ range(10**9) }}", SANDBOX + "range of 1000000000 items is too large for a rule"),
    ("{{ range(10**9) | list | length }}",
     SANDBOX + "range of 1000000000 items is too large for a rule"),
    ("{{ range(0, 10**6, 1) | sum }}", SANDBOX + "range of 1000000 items is too large for a rule"),
    ("{{ 'a' * 10**7 }}", TOO_LARGE.format("a text of 10000000 characters")),
    ("{{ 10**7 * 'a' }}", TOO_LARGE.format("a text of 10000000 characters")),
    ("{{ [0] * 1000000 }}", TOO_LARGE.format("a list of 1000000 items")),
    ("{{ ('ab' * 50000) * 2 }}", TOO_LARGE.format("a text of 200000 characters")),
    ("{{ 2 ** 1000 }}", SANDBOX + "exponent too large for a rule"),
    ("{{ 9 ** (9 ** 9) }}", SANDBOX + "exponent too large for a rule"),
    ("{{ '{0.__class__}'.format(order) }}", SANDBOX + "str.format is not allowed in rules; use ~ to join text"),
    ("{{ '{0.__class__.__mro__}'.format('') }}", SANDBOX + "str.format is not allowed in rules; use ~ to join text"),
    ("{{ '{0[__class__]}'.format(order) }}", SANDBOX + "str.format is not allowed in rules; use ~ to join text"),
    ("{{ '{x.__init__}'.format(x=order) }}", SANDBOX + "str.format is not allowed in rules; use ~ to join text"),
    ("{{ '{:099999999}'.format(1) }}", SANDBOX + "str.format is not allowed in rules; use ~ to join text"),
    ("{{ '%099999999d' % 1 }}",
     SANDBOX + "%-formatting is not allowed in rules; use ~ to join text"),
    ("{{ ((2 ** 64) ** 64) ** 64 }}", SANDBOX + "power too large for a rule"),
    ("{{ [[1] * 100000] * 100000 }}", TOO_LARGE.format("a list of 10000000000 items")),
    ("{{ order.pop('id') }}", SANDBOX + "access to attribute 'pop' of 'dict' object is unsafe."),
    ("{{ order.update({'id': 1}) }}",
     SANDBOX + "access to attribute 'update' of 'dict' object is unsafe."),
    ("{{ order.lines.append(1) }}",
     SANDBOX + "access to attribute 'append' of 'list' object is unsafe."),
    ("{{ order.lines.clear() }}",
     SANDBOX + "access to attribute 'clear' of 'list' object is unsafe."),
    ("{{ config }}", "'config' is undefined"),
    ("{{ self }}", "'self' is undefined"),
    ("{{ self.__init__ if false else config.items() }}", None),  # refused when compiled
]


@pytest.mark.parametrize(("expression", "message"), REFUSED_WHEN_RUN[:-1])
def test_refused_when_run(tmp_path: Path, expression: str, message: str) -> None:
    rules = _rules(tmp_path, expression)
    document = copy.deepcopy(DOCUMENT)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply(document, "1042")
    error = caught.value
    assert error.message == message
    assert error.field == "value"
    assert error.order_id == "1042"
    assert error.place is not None and error.place.line == 7
    assert str(error) == f"{error.place}: order 1042: value: {message}"
    assert document == DOCUMENT  # nothing the rule did reached the input


def test_private_names_are_refused_even_in_a_branch_never_taken(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r": value: access to '__init__' is not allowed"):
        _rules(tmp_path, REFUSED_WHEN_RUN[-1][0])


def test_settings_are_not_changed_by_a_rule(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        settings:
          defaults: {codes: [1, 2]}
        output:
          value: "{{ settings.codes.append(3) }}"
        """)
    bound = rules.bind()
    with pytest.raises(MappingError, match="access to attribute 'append' of 'list' object"):
        bound.apply({"order": {}})
    assert bound.settings == {"codes": [1, 2]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{{ ('a' * 100000) | length }}", 100000),  # the limit itself is allowed
        ("{{ range(3) | list }}", [0, 1, 2]),
        ("{{ 2 ** 64 }}", 2**64),
        ("{{ order.id ~ '-' ~ order.reference }}", "1042-QWZTRPLMX"),
        ("{{ 7 % 3 }}", 1),
        ("{{ order.get('missing', 'none') }}", "none"),
        ("{{ order.reference.lower() }}", "qwztrplmx"),
        ("{{ 0.1 + 0.2 }}", Decimal("0.3")),  # literals are decimals, never floats
        ("{{ 10 / 4 }}", Decimal("2.5")),
        ("{{ 1 / 3 * 3 == 1 }}", False),
        ("{{ 7 // 2 }}", 3),
        ("{{ order.lines[0].amount | decimal }}", Decimal("1.00")),
        ("{{ order.lines | length }}", 1),
    ],
)
def test_ordinary_expressions_still_work(tmp_path: Path, expression: str, expected: object) -> None:
    rules = _rules(tmp_path, expression)
    result = rules.bind().apply(copy.deepcopy(DOCUMENT))
    assert result == {"value": expected}
    assert type(result["value"]) is type(expected)


def test_a_float_in_the_input_is_not_used_for_money(tmp_path: Path) -> None:
    rules = compile_rules(tmp_path, """
        output:
          doubled: "{{ order.amount * 2 }}"
          rounded: "{{ order.amount | money }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"amount": 12.5}}, "7")
    assert caught.value.message == "floats are not used for money; parse the value with | decimal"
    assert caught.value.field == "doubled"
    rules = compile_rules(tmp_path, """
        output:
          rounded: "{{ order.amount | money }}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"amount": 12.5}}, "7")
    assert caught.value.message == "expected an amount like 12.50, got 12.5"


@pytest.mark.parametrize(
    "expression",
    [
        "{{ order.lines | sum(attribute='amont') }}",
        "{{ order.lines | sort(attribute='amont') }}",
        "{{ order.lines | max(attribute='amont') }}",
        "{{ order.lines | join(attribute='amont') }}",
    ],
)
def test_a_missing_attribute_in_a_filter_is_a_mapping_error(tmp_path: Path, expression: str) -> None:
    """Jinja's own filters report a missing attribute as UndefinedError: it must not escape."""
    rules = compile_rules(tmp_path, f"""
        output:
          value: "{expression}"
        """)
    with pytest.raises(MappingError) as caught:
        rules.bind().apply({"order": {"lines": [{"amount": "1.00"}, {"amount": "2.00"}]}}, "9")
    assert caught.value.message == "'dict object' has no attribute 'amont'"
    assert caught.value.field == "value"
    assert caught.value.order_id == "9"
