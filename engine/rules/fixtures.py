"""`mapper test`: run a folder's fixtures and compare field by field.

A fixture is `NAME.input.json` with `NAME.expected.json` or `NAME.expected.xml`, and optionally
`NAME.settings.yaml` (a section per rule set). In a rule set's folder the fixtures exercise that
rule set alone (a shop's: document → canonical order; a target's: canonical order → payload); in
a pair's folder (`mappings/prestashop-yuki/`) they run the whole way. An expected rejection is
`{"rejected": [{"check": ..., "message": ...}]}`; an order not to be invoiced yet is
`{"skipped": "reason"}`. XML payloads are also checked against the
target's XSD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import MapperError, UsageError
from ..mapping import (
    Pair,
    Payload,
    Skipped,
    load_rule_set,
    payload_writer,
    rule_set_folder,
)
from . import canonical
from .compile import Rejection, RuleSet
from .explain import leaves
from .render import json_text, without_empty
from .settings import load_settings_file


@dataclass
class FixtureReport:
    passed: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def run_fixtures(name_or_path: str | Path) -> FixtureReport:
    """Run the fixtures of a shipped rule set or pair (`yuki`, `prestashop-yuki`) or of a
    folder given as a path (`./my-rules`)."""
    folder = rule_set_folder(name_or_path, pairs=True)
    inputs = sorted((folder / "fixtures").glob("*.input.json"))
    if not inputs:
        raise UsageError(f"{name_or_path}: no fixtures (fixtures/NAME.input.json)")
    report = FixtureReport()
    for input_file in inputs:
        name = input_file.name.removesuffix(".input.json")
        try:
            differences = _run_one(folder, input_file)
        except MapperError as error:
            differences = [f"error: {error}"]
        if differences:
            report.failed += 1
            report.lines.append(f"FAIL {name}")
            report.lines.extend(f"  {d}" for d in differences)
        else:
            report.passed += 1
            report.lines.append(f"ok   {name}")
    return report


def _run_one(folder: Path, input_file: Path) -> list[str]:
    name = input_file.name.removesuffix(".input.json")
    settings_file = input_file.with_name(f"{name}.settings.yaml")
    settings = load_settings_file(settings_file) if settings_file.exists() else {}
    document = json.loads(input_file.read_text(encoding="utf-8"), parse_float=Decimal)
    expected_json = input_file.with_name(f"{name}.expected.json")
    expected_xml = input_file.with_name(f"{name}.expected.xml")
    actual = produce(folder, document, settings)
    if isinstance(actual, Skipped):
        if not expected_json.exists():
            return [f"not invoiced ({actual.reason}), but a payload was expected"]
        return _compare_json(_load_expected(expected_json), {"skipped": actual.reason})
    if isinstance(actual, Rejection):
        got: Any = {"rejected": [f.as_dict() for f in actual.failures]}
        if not expected_json.exists():
            return [f"turned away, but {expected_xml.name} expects a payload: {actual.reasons()}"]
        return _compare_json(_load_expected(expected_json), got)
    if expected_xml.exists():
        text, schema = actual
        return _xsd_problems(text, schema) + _compare_xml(expected_xml.read_text("utf-8"), text)
    if expected_json.exists():
        if actual[0].lstrip().startswith("<"):
            return [f"the rules make an XML payload; write it in {expected_xml.name}"]
        return _compare_json(_load_expected(expected_json), json.loads(actual[0]))
    return [f"no {expected_json.name} or {expected_xml.name}"]


def produce(folder: Path, document: dict[str, Any], settings: dict[str, Any]) -> Any:
    """What the folder's rules make of a fixture input: (text, xsd path | None) or a Rejection."""
    if (folder / "mapping.yaml").exists():
        rules = load_rule_set(folder)
        bound = rules.bind(settings.get(rules.name), "fixture settings")
        if rules.kind == "source":
            reason = bound.not_sendable_reason(document)
            if reason is not None:
                return Skipped(None, reason)
            result = bound.apply(document, str(document.get("order", {}).get("id", "")) or None)
            if isinstance(result, Rejection):
                return result
            problems = canonical.problems(result)
            if problems:
                raise UsageError("canonical order breaks its schema: " + "; ".join(problems))
            return json_text(result, indent=2), None
        body = bound.apply({"order": canonical.from_json(document)}, document.get("id"))
        if isinstance(body, Rejection):
            return body
        payload = Payload(
            str(document.get("id")), str(document.get("number")), body, document, rules.label
        )
        return _render(rules, payload)
    pair = Pair.load(folder.name, settings, "fixture settings")
    outcome = pair.map(document)
    if isinstance(outcome, Rejection | Skipped):
        return outcome
    return _render(pair.target.rules, outcome)


def _render(rules: RuleSet, payload: Payload) -> tuple[str, Path | None]:
    fmt = rules.format
    if fmt.get("type") == "xml":
        writer = payload_writer(rules, "xml")
        schema = (rules.folder / fmt["schema"]).resolve() if "schema" in fmt else None
        return writer.write(payload) + writer.end(), schema
    return json_text(without_empty(payload.body), indent=2), None


def _load_expected(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _compare_json(expected: Any, actual: Any) -> list[str]:
    want, got = dict(leaves(expected)), dict(leaves(actual))
    return _field_diff(want, got)


def _field_diff(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    differences = []
    for path in list(dict.fromkeys([*want, *got])):
        if path not in got:
            differences.append(f"{path}: expected {want[path]!r}, missing")
        elif path not in want:
            differences.append(f"{path}: unexpected {got[path]!r}")
        elif want[path] != got[path]:
            differences.append(f"{path}: expected {want[path]!r}, got {got[path]!r}")
    return differences


def _xml_fields(text: str) -> dict[str, Any]:
    root = etree.fromstring(text.encode("utf-8"))
    fields: dict[str, Any] = {}

    def walk(element: Any, path: str) -> None:
        children = [c for c in element if isinstance(c.tag, str)]
        if not children:
            fields[path] = (element.text or "").strip()
            return
        counts: dict[str, int] = {}
        for child in children:
            tag = etree.QName(child).localname
            index = counts.get(tag, 0)
            counts[tag] = index + 1
            walk(child, f"{path}.{tag}[{index}]" if path else f"{tag}[{index}]")

    walk(root, "")
    return fields


def _compare_xml(expected: str, actual: str) -> list[str]:
    return _field_diff(_xml_fields(expected), _xml_fields(actual))


def _xsd_problems(text: str, schema_path: Path | None) -> list[str]:
    if schema_path is None:
        return []
    if not schema_path.exists():
        return [f"schema {schema_path} not found"]
    schema = etree.XMLSchema(etree.parse(str(schema_path)))
    document = etree.fromstring(text.encode("utf-8"))
    if schema.validate(document):
        return []
    errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
    return [f"XSD: line {e.line}: {e.message}" for e in errors]
