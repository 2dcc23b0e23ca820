"""What start-up keeps from one command to the next (engine/rules/disk_cache.py) gives what
working it out again gives; and plain JSONPaths are read without jsonpath-ng.

- compiled stage code read back from the cache maps an order byte for byte as freshly compiled
  code does; a damaged or foreign file is compiled again; `MAPPER_CACHE_DIR=off` keeps nothing;
- the generated source is the same in every process (else the cache would never hit);
- a rule file or settings found valid are remembered, never a problem: an invalid settings
  value is refused the second time as the first;
- Jinja trees read back from disk translate to the same Python as freshly parsed ones;
- `plain_steps` finds the steps jsonpath-ng's parse gives, for every plain path.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonpath_ng.ext.parser import parse as parse_jsonpath
from mapper.engine.errors import ConfigError
from mapper.engine.library.functions import FILTERS
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules import compile as rules_compile
from mapper.engine.rules import disk_cache, expressions, load, xml_writer
from mapper.engine.rules.compile import BoundRuleSet, compile_rule_set
from mapper.engine.rules.expressions import (
    _ALL,
    ExpressionError,
    _simple_steps,
    compile_jinja,
    plain_steps,
)
from mapper.engine.rules.lookups import LookupIndex

FIXTURE = (
    mappings_dir() / "prestashop-yuki" / "fixtures" / "01_domestic_two_rates_discount.input.json"
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(disk_cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _payload_text() -> str:
    pair = Pair(
        compile_rule_set(mappings_dir() / "prestashop").bind(),
        compile_rule_set(mappings_dir() / "yuki").bind(),
    )
    outcome = pair.map(json.loads(FIXTURE.read_text(encoding="utf-8")))
    assert isinstance(outcome, Payload)
    return pair.render([outcome])


def test_cached_stage_code_maps_as_freshly_compiled_code(cache: Path) -> None:
    xml_writer._SHAPES.made.clear()  # (shape writers are made once per process)
    fresh = _payload_text()  # compiles and keeps the stage code
    kept = sorted((cache / "code").glob("*.code"))
    # the PrestaShop and Yuki stages, Yuki's XML writer and the writer of its Contact's shape
    assert len(kept) == 4
    assert _payload_text() == fresh  # read back from the cache
    for file in kept:
        file.write_bytes(file.read_bytes()[:40])  # cut short: compiled again
    xml_writer._SHAPES.made.clear()
    assert _payload_text() == fresh
    assert all(len(file.read_bytes()) > 40 for file in kept)  # and written anew


def test_a_file_of_another_python_is_not_read(cache: Path) -> None:
    source = "x = 1\n" * 5000
    assert disk_cache.compiled(source, "<stage>").co_filename == "<stage>"
    (kept,) = (cache / "code").glob("*.code")
    kept.write_bytes(b"\0\0\0\0" + kept.read_bytes()[4:])  # another interpreter's magic
    namespace: dict[str, object] = {}
    exec(disk_cache.compiled(source, "<stage>"), namespace)  # noqa: S102 — our own source
    assert namespace["x"] == 1


def test_a_small_source_is_kept_in_the_table_of_small_code(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = disk_cache.StoredTable("code", "small", "test")
    monkeypatch.setattr(disk_cache, "_SMALL_CODE", table)
    source = "def _rule(s):\n    return s['order']['id']\n"
    first = disk_cache.compiled(source, "<rule>")
    assert isinstance(table.get(f"<rule>\0{source}"), bytes)
    again = disk_cache.compiled(source, "<rule>")
    assert again == first and again is not first  # read back, not compiled
    table.put(f"<rule>\0{source}", b"damaged")
    namespace: dict[str, Any] = {}
    exec(disk_cache.compiled(source, "<rule>"), namespace)  # noqa: S102 — our own source
    assert namespace["_rule"]({"order": {"id": 7}}) == 7
    table.save()
    assert list((cache / "code").glob("*.pickle"))


def test_a_stored_value_is_taken_back_only_when_asked_for(cache: Path) -> None:
    """The trees' table holds every rule set run on the machine: reading it does not take
    each value back (Jinja's environment set on every node), only those a command asks for;
    written again, every value is written detached."""
    taken_back: list[str] = []

    def table() -> disk_cache.StoredTable:
        return disk_cache.StoredTable(
            "templates",
            "test",
            detach=lambda value: value.update(attached=False),
            attach=lambda value: (taken_back.append(value["text"]), value.update(attached=True)),
        )

    first = table()
    for text in ("a", "b"):
        first.put(text, {"text": text, "attached": True})
    first.save()
    assert taken_back == ["a", "b"]  # saving detaches, then takes back what this process uses
    taken_back.clear()

    second = table()
    assert second.get("a") == {"text": "a", "attached": True}
    assert second.get("a")["attached"] and taken_back == ["a"]  # once, and only "a"
    second.put("c", {"text": "c", "attached": True})
    second.save()
    assert taken_back == ["a", "a", "c"]  # after saving: the two this process holds
    stored = pickle.loads(next((cache / "templates").glob("*.pickle")).read_bytes())
    assert {text: value["attached"] for text, value in stored.items()} == {
        "a": False,
        "b": False,
        "c": False,
    }


def test_a_rule_file_read_back_is_the_file_read_anew(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Located data kept from an earlier read: the same values, places and language; a file
    changed since, or shown by another name, is read anew; a damaged entry too."""
    monkeypatch.setattr(load, "_LOADED", disk_cache.StoredTable("rules", "test"))
    rules = tmp_path / "mapping.yaml"
    rules.write_text("language: 2\nlet:\n  code: NO  # Norway\n  total: '{{ 1 + 2 }}'\n")
    fresh = load.load_yaml(rules, "mapping.yaml", rule_file=True)
    load._LOADED.save()
    monkeypatch.setattr(load, "_LOADED", disk_cache.StoredTable("rules", "test"))
    located = load._located
    monkeypatch.setattr(load, "_located", lambda *args: pytest.fail("read anew"))
    kept = load.load_yaml(rules, "mapping.yaml", rule_file=True)
    assert kept == fresh == {"let": {"code": "NO", "total": "{{ 1 + 2 }}"}}
    assert kept is not fresh and kept.language == 2 and kept.language_written
    assert str(kept["let"].places["total"]) == "mapping.yaml:4:10"
    assert kept["let"].key_places == fresh["let"].key_places
    monkeypatch.setattr(load, "_located", located)
    assert str(load.load_yaml(rules, "other.yaml", rule_file=True).place).startswith("other.yaml")
    rules.write_text("let:\n  code: NO\n")  # language 1: Norway is false
    assert load.load_yaml(rules, "mapping.yaml", rule_file=True) == {"let": {"code": False}}
    for key in list(load._LOADED._read()):
        load._LOADED.put(key, b"damaged")
    assert load.load_yaml(rules, "mapping.yaml", rule_file=True) == {"let": {"code": False}}


_RULE_STRINGS = [
    "{{ order.total | money }}",  # a filter, written in place
    "{{ 1 | decimal + order.total | decimal }}",  # a constant made at translation
    "{{ lookup('vat_codes', 'domestic', 'NL', 21) }}",  # a function answering from a memo
    "{{ range(2) | list }}",  # the bounded range
    "{{ 'x' if order.total is number else 'y' }}",  # a test
    "Order {{ order.number | upper }}",  # text around an expression
]


def test_a_rule_string_translated_before_becomes_the_same_rule(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translation read back gives the same Python over the same objects as translating
    anew; one naming a function that is no longer there is translated again (and refused)."""
    monkeypatch.setattr(expressions, "_TRANSLATIONS", disk_cache.StoredTable("translations", "t"))
    functions = rules_compile._functions()
    row = {"scheme": "domestic", "country": "NL", "rate": 21, "code": "V21"}
    scope: dict[str, Any] = {
        "order": {"total": "12.50", "number": "ps-7"},
        "$lookups": {"vat_codes": LookupIndex("vat_codes", 3, {("domestic", "NL", "21"): [row]})},
    }
    fresh = [
        compile_jinja(text, functions, FILTERS, on_error=RuntimeError) for text in _RULE_STRINGS
    ]
    expressions._TRANSLATIONS.save()

    monkeypatch.setattr(expressions, "_TRANSLATIONS", disk_cache.StoredTable("translations", "t"))
    translate = expressions.template_body
    monkeypatch.setattr(expressions, "template_body", lambda *args: pytest.fail("translated"))
    again = [
        compile_jinja(text, functions, FILTERS, on_error=RuntimeError) for text in _RULE_STRINGS
    ]
    assert [body for _, body in again] == [body for _, body in fresh]
    values = [Decimal("12.50"), Decimal("13.50"), row, [0, 1], "y", "Order PS-7"]
    assert [rule(dict(scope)) for rule, _ in again] == values
    assert [rule(dict(scope)) for rule, _ in fresh] == values
    namespaces = [expressions.INLINE[rule][1] for rule, _ in (fresh[2], again[2])]
    assert namespaces[0]["g_lookup"] is namespaces[1]["g_lookup"] is functions["lookup"]
    assert namespaces[0]["m_missing"] is namespaces[1]["m_missing"]

    monkeypatch.setattr(expressions, "template_body", translate)
    without_lookup = {name: f for name, f in functions.items() if name != "lookup"}
    with pytest.raises(ExpressionError, match="lookup"):
        compile_jinja(_RULE_STRINGS[2], without_lookup, FILTERS, on_error=RuntimeError)


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(disk_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert disk_cache.cache_folder("code") is None
    disk_cache.compiled("y = 2\n" * 5000, "<stage>")
    disk_cache.remember_valid("schema", "data")
    assert not disk_cache.known_valid("schema", "data")
    assert list(tmp_path.iterdir()) == []


def test_the_generated_source_is_the_same_in_every_process() -> None:
    script = (
        "import hashlib, json, sys\n"
        "import mapper.engine.rules.codegen as codegen\n"
        "import mapper.engine.rules.compile as rules_compile\n"
        "rules_compile.GENERATE_AFTER = 0\n"  # the stage generated for the first order
        "seen = []\n"
        "codegen.compiled = lambda source, name: (seen.append(source), compile(source, name,"
        " 'exec'))[1]\n"
        "from mapper.engine.mapping import Pair\n"
        "pair = Pair.load('prestashop-yuki')\n"
        f"pair.map(json.load(open({str(FIXTURE)!r})))\n"
        "print(' '.join(hashlib.sha256(s.encode()).hexdigest() for s in seen))\n"
    )
    digests = set()
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed, disk_cache.CACHE_ENV: "off"}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=environment
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1 and len(digests.pop().split()) == 2


def test_settings_found_valid_are_remembered_and_problems_never(cache: Path) -> None:
    rules = compile_rule_set(mappings_dir() / "yuki")
    assert isinstance(rules.bind({"currency": "EUR"}), BoundRuleSet)
    remembered = len(list((cache / "valid").iterdir()))
    assert remembered >= 2  # the rule files, and these settings
    assert isinstance(rules.bind({"currency": "EUR"}), BoundRuleSet)
    assert len(list((cache / "valid").iterdir())) == remembered  # known: nothing new
    for _ in range(2):  # refused each time: a problem is never remembered as valid
        with pytest.raises(ConfigError, match=r"yuki\.currency: 'euro' does not match"):
            rules.bind({"currency": "euro"})


def test_jinja_trees_read_back_translate_as_freshly_parsed_ones(cache: Path) -> None:
    script = (
        "import hashlib, json\n"
        "import mapper.engine.rules.codegen as codegen\n"
        "import mapper.engine.rules.compile as rules_compile\n"
        "rules_compile.GENERATE_AFTER = 0\n"
        "import mapper.engine.rules.expressions as expressions\n"
        "parsed, parse = [], expressions._ENV.parse\n"
        "expressions._ENV.parse = lambda source: (parsed.append(source), parse(source))[1]\n"
        "codegen.compiled = lambda source, name: (print(hashlib.sha256(source.encode())"
        ".hexdigest()), compile(source, name, 'exec'))[1]\n"
        "from mapper.engine.mapping import Pair\n"
        "pair = Pair.load('prestashop-yuki')\n"
        f"pair.map(json.load(open({str(FIXTURE)!r})))\n"
        "print('parsed', len(parsed))\n"
    )
    environment = {**os.environ, disk_cache.CACHE_ENV: str(cache)}
    runs = []
    for _ in range(2):
        runs.append(
            subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, env=environment
            )
        )
        assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
        assert list((cache / "templates").glob("*.pickle"))  # the trees, kept at exit
    first, second = (run.stdout.splitlines() for run in runs)
    assert first[:2] == second[:2]  # the same stage sources
    assert first[2] != "parsed 0" and second[2] == "parsed 0"  # the second run parsed nothing


@pytest.mark.parametrize(
    "path",
    [
        "$",
        "$.order",
        "$.order.number",
        "$.order.associations.order_rows[*]",
        "$.products[*]",
        "$[*]",
        "$.a[0].b",
        "$.a[12][3]",
        "$.a_b1.C2",
        "$.sorted.len.true",
    ],
)
def test_plain_paths_read_as_jsonpath_ng_parses_them(path: str) -> None:
    ours = plain_steps(path)
    theirs = _simple_steps(parse_jsonpath(path))
    assert ours is not None and ours == theirs
    assert (ours[-1] is _ALL) == path.endswith("[*]") if ours else path == "$"


@pytest.mark.parametrize(
    "path",
    ["$..a", "$.a[*].b", "$.a[-1]", "$.where", "$.a[?(@.b > 1)]", "$['a']", "$.a.*", "$.é"],
)
def test_other_paths_are_left_to_jsonpath_ng(path: str) -> None:
    assert plain_steps(path) is None
