"""The hostile corpus: rule expressions, rule files and order inputs that must each be refused
with one line, in bounded time and memory. Each case: a name, what to run, and the exact
message a user reads (paths shown relative to the case's temporary folder)."""

from __future__ import annotations

import json

# -- expressions: written as output field `value` on line 7 of rules/mapping.yaml ----------------
_AT = "rules/mapping.yaml:7:5: "
_RUN = _AT + "order 7: value: refused by the sandbox: "
_BIG = _RUN + "{} is too large for a rule (at most 100000 characters or items)"
_NUMBER = _RUN + "a number of more than 1000 digits is too large for a rule"
_DEEP = _AT + "value: expression nested too deeply (at most 50 levels)"
_FORMAT = _RUN + "str.format is not allowed in rules; use ~ to join text"
_BYTES = _RUN + "bytes are not used in rules (no encode, decode or to_bytes)"


def _lets(step: str, count: int, start: str) -> str:
    lines = [f'  v0: "{{{{ {start} }}}}"']
    lines += [f'  v{i}: "{{{{ {step.format(p=f"v{i - 1}")} }}}}"' for i in range(1, count)]
    return "let:\n" + "\n".join(lines) + f'\noutput:\n  value: "{{{{ v{count - 1} | length }}}}"\n'


EXPRESSIONS = [
    ("format-padding", "{{ '{:>999999999}'['format'](1) }}", _FORMAT),
    ("format-attribute", "{{ '{:>999999999}'.format(1) }}", _FORMAT),
    ("format-map", "{{ '{x:>99999999}'['format_map']({'x': 1}) }}", _FORMAT),
    ("format-item-call", "{{ ('{:>999999999}'['format'])(1) }}", _FORMAT),
    (
        "replace-empty",
        "{{ 'aaaa' | replace('', 'b' * 100000) }}",
        _BIG.format("a text of 500004 characters"),
    ),
    (
        "replace-method",
        "{{ ('a' * 1000).replace('', 'b' * 1000) }}",
        _BIG.format("a text of 1002001 characters"),
    ),
    ("replace-grow", "{{ ('a' * 50001) | replace('a', 'aa') }}", None),
    (
        "join-separator",
        "{{ ('x' * 100000) | list | join('x' * 100000) }}",
        _BIG.format("a text of 9999900000 characters"),
    ),
    (
        "join-method",
        "{{ ('x' * 100000).join(['a', 'b', 'c']) }}",
        _BIG.format("a text of 200003 characters"),
    ),
    ("join-range", "{{ ('x' * 1000).join(range(1000)) }}", None),
    (
        "batch-fill",
        "{{ [1] | batch(10**9, 0) | list }}",
        _RUN
        + "a batch of 1000000000 items is too large for a rule (at most 100000 characters or items)",
    ),
    (
        "slice-many",
        "{{ [1] | slice(10**9) | list }}",
        _RUN + "1000000000 slices is too large for a rule (at most 100000 characters or items)",
    ),
    ("ljust", "{{ 'a'.ljust(10**10) }}", _BIG.format("a text of 10000000000 characters")),
    ("rjust", "{{ 'a'.rjust(10**10, 'b') }}", _BIG.format("a text of 10000000000 characters")),
    ("center", "{{ 'a'.center(10**9) }}", _BIG.format("a text of 1000000000 characters")),
    ("zfill", "{{ '1'.zfill(10**9) }}", _BIG.format("a text of 1000000000 characters")),
    (
        "expandtabs",
        "{{ ('\t' * 1000).expandtabs(10**6) }}",
        _BIG.format("a text of 1000001000 characters"),
    ),
    ("to-bytes", "{{ (1).to_bytes(10**10, 'big') }}", _BYTES),
    ("encode-rot13", "{{ 'a'.encode('rot13') }}", _BYTES),
    ("encode-utf8", "{{ 'a'.encode('utf-8') }}", _BYTES),
    (
        "translate",
        "{{ 'aaaa'.translate({97: 'b' * 100000}) }}",
        _RUN + "str.translate is not allowed in rules; use replace",
    ),
    ("repeat-text", "{{ 'a' * 10**7 }}", _BIG.format("a text of 10000000 characters")),
    ("repeat-list", "{{ [0] * 1000000 }}", _BIG.format("a list of 1000000 items")),
    (
        "repeat-nested-deep",
        "{{ [[[[[['ab' * 50000]]]]]] * 2 }}",
        _BIG.format("a list of 200000 items"),
    ),
    (
        "repeat-nested-wide",
        "{{ [[1] * 100000] * 100000 }}",
        _BIG.format("a list of 10000000000 items"),
    ),
    (
        "concat-lists",
        "{{ (range(100000) | list) + (range(100000) | list) }}",
        _BIG.format("a list of more than 100000 items and characters"),
    ),
    ("concat-text", "{{ ('a' * 100000) ~ 'b' }}", _BIG.format("a text of 100001 characters")),
    ("add-text", "{{ ('a' * 100000) + 'b' }}", _BIG.format("a text of 100001 characters")),
    (
        "literal-list-of-big",
        "{{ ['a' * 60000, 'a' * 60000] }}",
        _BIG.format("a list of more than 100000 items and characters"),
    ),
    (
        "literal-dict-of-big",
        "{{ {'a': 'a' * 60000, 'b': 'b' * 60000} }}",
        _BIG.format("a object of more than 100000 items and characters"),
    ),
    (
        "string-of-list",
        "{{ ([['x' * 99] * 1000] * 1) | string }}",
        _BIG.format("a text of 105000 characters"),
    ),
    ("sum-lists", "{{ [[1]] * 1000 | sum(start=[]) }}", _RUN + "sum adds numbers only in rules"),
    ("int-huge", "{{ ('9' * 2000) | int }}", _NUMBER),
    (
        "multiply-ints",
        "{{ (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) * (10 ** 60) }}",
        _NUMBER,
    ),
    ("power-decimal", "{{ (10.5 ** 64) ** 64 }}", _NUMBER),
    ("divide-tiny", "{{ 1 / ('1e-1500' | decimal) }}", None),
    (
        "range-huge",
        "{{ range(10**9) | list }}",
        _RUN + "range of 1000000000 items is too large for a rule",
    ),
    ("nested-operators", "{{ " + "1 + " * 300 + "1 }}", _DEEP),
    ("nested-parentheses", "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", _DEEP),
    ("nested-brackets", "{{ " + "[" * 5000 + "]" * 5000 + " }}", _DEEP),
    ("nested-not", "{{ " + "not " * 5000 + "true }}", _DEEP),
    ("nested-minus", "{{ " + "-" * 5000 + "1 }}", _DEEP),
    ("attribute-chain", "{{ order" + ".a" * 300 + " }}", _DEEP),
    ("filter-chain", "{{ order.id" + " | string" * 300 + " }}", _DEEP),
    ("call-chain", "{{ 'a'" + ".lower()" * 300 + " }}", _DEEP),
    (
        "jsonpath-steps",
        "$" + ".a" * 3000,
        _AT + "value: a JSONPath of 6001 characters is too long (at most 500)",
    ),
    (
        "jsonpath-regex",
        "$.order.lines[?(@.name =~ '(a+)+$')]",
        _AT
        + "value: regular expressions (=~) are not allowed in JSONPath filters; compare with == or use a Jinja expression",
    ),
    (
        "money-out-of-range",
        "{{ order.total | money }}",
        _AT + "order 7: value: amount '1e400' is out of range",
    ),
    ("decimal-division-by-zero", "{{ 1 / 0 }}", _AT + "order 7: value: division by zero"),
]

# -- rule files ---------------------------------------------------------------------------------
_HEADER = 'name: tiny\nversion: "1.0.0"\nkind: target\noutput_schema: test\n'
_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def _file(text: str) -> dict[str, str]:
    return {"mapping.yaml": _HEADER + text}


RULE_FILES = [
    (
        "billion-laughs",
        _file(
            "output:\n  value: 1\nx:\n"
            + "".join("  " + line + "\n" for line in _LAUGHS.splitlines())
        ),
        None,
    ),
    (
        "aliases-many",
        _file(
            "x: &x 1\nlet:\n"
            + "".join(f"  v{i}: *x\n" for i in range(60))
            + "output:\n  value: 1\n"
        ),
        None,
    ),
    ("yaml-deep-flow", _file("output:\n  value: " + "[" * 20000 + "]" * 20000 + "\n"), None),
    (
        "yaml-deep-block",
        _file("output:\n  value:\n" + "".join("  " * (i + 2) + "- \n" for i in range(200))),
        None,
    ),
    (
        "rule-file-200mb",
        {"mapping.yaml": _HEADER + "# " + "x" * 2_000_000 + "\noutput: {value: 1}\n"},
        None,
    ),
    ("not-utf8", {"mapping.yaml": _HEADER + "output: {value: 1}\n# \udcff\n"}, None),
    (
        "include-absolute-environ",
        _file("include: [/proc/self/environ]\noutput: {value: 1}\n"),
        None,
    ),
    ("include-absolute-binary", _file("include: [/bin/ls]\noutput: {value: 1}\n"), None),
    ("include-dotdot", _file("include: [../outside/secrets.yaml]\noutput: {value: 1}\n"), None),
    (
        "include-deep-dotdot",
        _file("include: [../../../../../../etc/passwd]\noutput: {value: 1}\n"),
        None,
    ),
    ("include-symlink-out", {**_file("include: [link.yaml]\noutput: {value: 1}\n")}, None),
    ("include-self", _file("include: [mapping.yaml]\noutput: {value: 1}\n"), None),
    ("include-directory", _file("include: [.]\noutput: {value: 1}\n"), None),
    (
        "defaults-file-outside",
        _file("settings:\n  defaults_file: ../../../../outside/secrets.yaml\noutput: {value: 1}\n"),
        None,
    ),
    (
        "defaults-file-absolute",
        _file("settings:\n  defaults_file: {OUTSIDE}/secrets.yaml\noutput: {value: 1}\n"),
        None,
    ),
    (
        "lookup-file-absolute",
        _file(
            "lookups:\n  t:\n    key: [a]\n    file: {OUTSIDE}/secrets.yaml\noutput: {value: 1}\n"
        ),
        None,
    ),
    (
        "lookup-file-symlink",
        _file("lookups:\n  t:\n    key: [a]\n    file: rows.yaml\noutput: {value: 1}\n"),
        None,
    ),
    ("let-doubling-text", _file(_lets("{p} ~ {p}", 40, "'x' * 1000")), None),
    ("let-doubling-list", _file(_lets("{p} + {p}", 40, "range(1000) | list")), None),
    ("let-nesting-list", _file(_lets("[{p}, {p}]", 40, "'x' * 1000")), None),
    ("let-squaring-number", _file(_lets("{p} * {p}", 40, "10 ** 60")), None),
    ("let-squaring-decimal", _file(_lets("{p} * {p}", 40, "10.5")), None),
    ("let-nesting-deep", _file(_lets("[{p}]", 200, "1")), None),
    ("let-string-of-nested", _file(_lets("[{p}, {p}] | string", 40, "'x'")), None),
    (
        "each-over-range",
        _file(
            "output:\n  value:\n    - each: \"{{ range(100000) | list }}\"\n      as: i\n      item: \"{{ ('x' * 99999) | replace('x', 'y') | length }}\"\n"
        ),
        None,
    ),
]
SYMLINKS = {
    "include-symlink-out": {"link.yaml": "{OUTSIDE}/secrets.yaml"},
    "lookup-file-symlink": {"rows.yaml": "{OUTSIDE}/secrets.yaml"},
}

# -- order inputs (documents for dry-run) and payloads -------------------------------------------
_ORDER = '{"order": {"id": 1}}'
INPUTS = [
    (
        "json-deep-1000",
        "[" + _ORDER + ", " + '{"a": ' * 1000 + "1" + "}" * 1000 + ", " + _ORDER + "]",
        None,
    ),
    ("json-deep-100", "[" + _ORDER + ", " + '{"a": ' * 100 + "1" + "}" * 100 + "]", None),
    (
        "json-deep-list-20000",
        "[" + _ORDER + ", " + "[" * 20000 + "]" * 20000 + ", " + _ORDER + "]",
        None,
    ),
    ("json-deep-single", '{"a": ' * 5000 + "1" + "}" * 5000, None),
    ("jsonl-deep", _ORDER + "\n" + '{"a": ' * 3000 + "1" + "}" * 3000 + "\n" + _ORDER, None),
    ("id-5000-digits", '[{"order": {"id": ' + "9" * 5000 + "}}, " + _ORDER + "]", None),
    ("float-5000-digits", '[{"order": {"total": 0.' + "1" * 5000 + "}}, " + _ORDER + "]", None),
    ("exponent-huge", '[{"order": {"total": 1e999999}}, ' + _ORDER + "]", None),
    ("exponent-tiny", '[{"order": {"total": 1e-999999}}, ' + _ORDER + "]", None),
    ("lone-surrogate", '[{"order": {"name": "\\ud800"}}, ' + _ORDER + "]", None),
    (
        "lone-low-surrogate",
        '[{"order": {"lines": [{"name": "tea \\udfff"}]}}, ' + _ORDER + "]",
        None,
    ),
    ("surrogate-key", '[{"order": {"\\ud800": 1}}, ' + _ORDER + "]", None),
    ("surrogate-pair-is-fine", '[{"order": {"name": "\\ud83d\\ude00"}}]', None),
    ("jsonl-surrogate", '{"order": {"name": "\\udbff"}}\n' + _ORDER, None),
    ("text-huge", '[{"order": {"note": "' + "x" * 200_000 + '"}}, ' + _ORDER + "]", None),
    ("id-huge-text", '[{"order": {"id": "' + "1" * 150_000 + '"}}, ' + _ORDER + "]", None),
    ("not-an-object", "[1, " + _ORDER + "]", None),
    ("jsonl-bad-line", _ORDER + "\n{oops\n" + _ORDER, None),
    ("nan", '[{"order": {"total": NaN}}, ' + _ORDER + "]", None),
    ("infinity", '[{"order": {"total": Infinity}}, ' + _ORDER + "]", None),
    ("minus-infinity", '[{"order": {"total": -Infinity}}, ' + _ORDER + "]", None),
    ("negative-5000-digits", '[{"order": {"id": -' + "7" * 5000 + "}}, " + _ORDER + "]", None),
    ("exponent-capital", '[{"order": {"total": 1E+999999}}, ' + _ORDER + "]", None),
    ("brackets-in-text", '[{"order": {"note": "' + "[{" * 5000 + '"}}, ' + _ORDER + "]", None),
    (
        "deep-list-in-lines",
        '[{"order": {"lines": ' + "[" * 500 + "]" * 500 + "}}, " + _ORDER + "]",
        None,
    ),
    ("jsonl-huge-number", '{"order": {"id": ' + "1" * 300 + "}}\n" + _ORDER, None),
    ("jsonl-huge-text", '{"order": {"note": "' + "y" * 100_001 + '"}}\n' + _ORDER, None),
    ("deep-then-bad-json", "[" + "[" * 3000 + "]" * 3000 + ", {oops}, " + _ORDER + "]", None),
]
PAYLOADS = [
    ("xml-nul", {"InvoiceLines": [{"Description": "tea\x00"}]}, None),
    ("xml-bell", {"Subject": "order \x07"}, None),
    ("xml-escape", {"Contact": {"Name": "A\x1b[31m"}}, None),
    ("xml-vertical-tab", {"Remarks": "a\x0bb"}, None),
    ("xml-form-feed", {"Remarks": "a\x0cb"}, None),
    ("xml-fffe", {"Remarks": "a\ufffeb"}, None),
    ("xml-ffff", {"Remarks": "\uffff"}, None),
    ("xml-surrogate", {"Remarks": "\ud800"}, None),
    ("xml-bad-name", {"InvoiceLines": [{"a b": "1"}]}, None),
    ("xml-name-markup", {"<script>": "1"}, None),
    ("xml-name-xml", {"xmlns": "1"}, None),
    ("xml-name-digit", {"1st": "1"}, None),
    ("xml-deep-list", {"Lines": [[[{"Text": "\x01"}]]]}, None),
    ("xml-tab-newline-fine", {"Remarks": "a\tb\nc\r"}, None),
]


def cases() -> list[dict]:
    """Every case as the worker takes it."""
    found: list[dict] = []
    for name, expression, expected in EXPRESSIONS:
        found.append({"name": f"expression:{name}", "expression": expression, "expected": expected})
    for name, files, expected in RULE_FILES:
        found.append(
            {
                "name": f"rules:{name}",
                "files": files,
                "symlinks": SYMLINKS.get(name, {}),
                "expected": expected,
            }
        )
    for name, text, expected in INPUTS:
        found.append({"name": f"input:{name}", "input": text, "expected": expected})
    for name, payload, expected in PAYLOADS:
        found.append({"name": f"payload:{name}", "payload": payload, "expected": expected})
    return found


if __name__ == "__main__":
    for case in cases():
        print(json.dumps(case))
