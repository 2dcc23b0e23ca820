"""The hostile corpus (tests/engine/hostile/corpus.py): every hostile rule expression, rule file
and order input is refused with one line, in bounded time and memory.

The cases run in one child process (tests/engine/hostile/worker.py) under RLIMIT_AS (1 GB)
and RLIMIT_CPU, with a timeout: a case that built a huge value or looped would kill the child
and fail here, naming the case it was running. Each case's line is compared with the reviewed
line in tests/engine/hostile/expected.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.errors import MappingError
from mapper.engine.rules.render import XmlDocumentWriter, comment_text
from tiny_rule_sets import compile_rules

HOSTILE = Path(__file__).parent / "hostile"
sys.path.insert(0, str(HOSTILE))
import corpus  # noqa: E402

CASES = corpus.cases()
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text("utf-8"))
MEMORY = 1 << 30  # address space of the child (the engine's own imports take ~150 MB)
CPU_SECONDS = 120


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    cases = "".join(json.dumps(case) + "\n" for case in CASES)
    done = subprocess.run(
        [sys.executable, str(HOSTILE / "worker.py")],
        input=cases,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limits,  # noqa: PLW1509 — the limits must hold in the child only
        check=False,
    )
    running = done.stderr.strip().splitlines()[-1:] if done.stderr.strip() else ["(none)"]
    assert done.returncode == 0, f"the worker died ({done.returncode}) during {running[0]}"
    found = [json.loads(line) for line in done.stdout.splitlines()]
    return {result["case"]: result for result in found}


def test_the_corpus_is_large_enough() -> None:
    rules = [c for c in CASES if "expression" in c or "files" in c]
    inputs = [c for c in CASES if "input" in c or "payload" in c]
    assert len(rules) >= 60
    assert len(inputs) >= 40
    assert sorted(EXPECTED) == sorted(c["name"] for c in CASES)


@pytest.mark.parametrize("name", [case["name"] for case in CASES])
def test_each_hostile_case_is_refused_in_one_line(
    results: dict[str, dict[str, Any]], name: str
) -> None:
    result = results[name]
    line = f"{result['kind']}: {result['message']}"
    assert not result["kind"].startswith("uncaught"), line
    assert "\n" not in result["message"]
    assert "Traceback" not in line and "hunter2" not in line
    assert line == EXPECTED[name]
    if name.startswith(("expression:", "rules:")):
        assert result["kind"] in ("RuleError", "MappingError")


def test_the_neighbours_of_a_bad_document_are_still_read(
    results: dict[str, dict[str, Any]],
) -> None:
    for name in ("input:json-deep-1000", "input:json-deep-list-20000", "input:id-5000-digits"):
        parts = results[name]["message"].split(" | ")
        assert parts.count("ok") == len(parts) - 1, results[name]


def test_an_xml_target_refuses_the_order_with_a_control_character(tmp_path: Path) -> None:
    rules = compile_rules(
        tmp_path,
        """
        format: {type: xml, root: Invoices, item: Invoice}
        output:
          InvoiceLines:
            - each: "$.order.lines[*]"
              as: line
              item:
                Description: "{{ line.name }}"
        """,
    )
    document = {"order": {"lines": [{"name": "tea"}, {"name": "tea\x00bag"}]}}
    with pytest.raises(MappingError) as caught:
        rules.bind().apply(document, "7")
    assert str(caught.value) == (
        "order 7: InvoiceLines[1].Description: contains a control character (U+0000) "
        "that XML cannot carry"
    )
    fine = rules.bind().apply({"order": {"lines": [{"name": "tea\tbag"}]}}, "8")
    assert fine == {"InvoiceLines": [{"Description": "tea\tbag"}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order 2---x by mapper", "order 2- - -x by mapper"),
        ("order 2-", "order 2- "),
        ("order \x00", "order ?"),
        ("order -->", "order - ->"),
    ],
)
def test_a_comment_is_never_broken_by_an_id(text: str, expected: str) -> None:
    assert comment_text(text) == expected
    written = XmlDocumentWriter("Root", "urn:x", "Item").element({"A": "1"}, text)
    inner = written.split("<!--", 1)[1].rsplit("-->", 1)[0]
    assert "--" not in inner and not inner.endswith("-")
