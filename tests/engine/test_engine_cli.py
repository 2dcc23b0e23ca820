"""The `mapper` command: dry-run, validate and test, their output and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree
from mapper.cli import main
from ps_order_builder import sample_document, write_json

PROJECT = Path(__file__).resolve().parents[2]
YUKI_RULES = PROJECT / "mappings" / "yuki" / "mapping.yaml"
NS = {"y": "urn:xmlns:http://www.theyukicompany.com:salesinvoices"}
RULES = "prestashop 1.0.0 > yuki 1.0.0"


def _run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    # the CLI ends with sys.exit or returns: never an exception of its own
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _dry_run(path: Path, *extra: str) -> Result:
    return _run("dry-run", path, "--mapping", "prestashop-yuki", *extra)


def _invoices(xml: str) -> list[Any]:
    root = etree.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{{{NS['y']}}}SalesInvoices"
    return root.findall("y:SalesInvoice", NS)


def _prices(invoice: Any) -> list[str]:
    return [e.text for e in invoice.findall("y:InvoiceLines/y:InvoiceLine/y:Product/y:SalesPrice", NS)]


def _one_line(result: Result) -> str:
    """The CLI's only stderr line (a message, never a traceback)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mapper: ")
    assert "Traceback" not in result.output
    return lines[0]


def _bad_amount() -> dict[str, Any]:
    document = sample_document(1043, "BADAMOUNT")
    document["order"]["total_paid_tax_incl"] = "12,50"
    return document


def _rejected() -> dict[str, Any]:
    document = sample_document(1044, "WRONGTOTL")
    document["order"]["total_paid_tax_incl"] = "50.000000"
    return document


# -- dry-run ------------------------------------------------------------------------------------
def test_dry_run_of_one_document(tmp_path: Path) -> None:
    result = _dry_run(write_json(tmp_path / "order.json", sample_document()))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith('<?xml version="1.0" encoding="utf-8"?>\n<SalesInvoices ')
    (invoice,) = _invoices(result.stdout)
    assert f"<!-- order 1042 by mapper: {RULES} -->" in result.stdout
    assert invoice.findtext("y:Subject", namespaces=NS) == "Bestelling QWZTRPLMX"
    assert invoice.findtext("y:PaymentMethod", namespaces=NS) == "ElectronicTransfer"
    assert invoice.findtext("y:Process", namespaces=NS) == "false"
    assert invoice.findtext("y:Date", namespaces=NS) == "2026-03-02"
    assert invoice.findtext("y:Contact/y:FullName", namespaces=NS) == "Sophie Fischer"
    assert invoice.find("y:Reference", NS) is None  # concept invoice: no reference
    assert _prices(invoice) == ["14.95", "4.49", "4.95", "-3.45", "-1.55"]
    quantities = invoice.findall("y:InvoiceLines/y:InvoiceLine/y:ProductQuantity", NS)
    assert [q.text for q in quantities] == ["2", "3", "1", "1", "1"]
    vat_types = invoice.findall("y:InvoiceLines/y:InvoiceLine/y:Product/y:VATType", NS)
    assert [v.text for v in vat_types] == ["1", "2", "1", "1", "2"]


def test_several_orders_make_one_sales_invoices_document(tmp_path: Path) -> None:
    documents = [sample_document(1042 + i, f"REF{i:06d}") for i in range(3)]
    result = _dry_run(write_json(tmp_path / "orders.json", documents))
    assert result.exit_code == 0
    assert result.stdout.count("<?xml") == 1
    assert result.stdout.count("<SalesInvoices") == 1
    invoices = _invoices(result.stdout)
    assert [i.findtext("y:Subject", namespaces=NS) for i in invoices] == [
        "Bestelling REF000000", "Bestelling REF000001", "Bestelling REF000002",
    ]


def test_json_lines_are_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    lines = [json.dumps(sample_document(2000 + i, f"LINE{i:05d}")) for i in range(2)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _dry_run(path)
    assert result.exit_code == 0
    assert len(_invoices(result.stdout)) == 2


def test_format_json_prints_one_line_per_order(tmp_path: Path) -> None:
    documents = [sample_document(1042, "FIRSTORDR"), sample_document(1043, "SECONDORD")]
    result = _dry_run(write_json(tmp_path / "orders.json", documents), "--format", "json")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert (first["order"], first["rules"]) == ("1042", RULES)
    assert json.loads(lines[1])["order"] == "1043"
    payload = first["payload"]
    assert payload["Subject"] == "Bestelling FIRSTORDR"
    invoice_lines = payload["InvoiceLines"]["InvoiceLine"]
    assert [line["Product"]["SalesPrice"] for line in invoice_lines] == [
        "14.95", "4.49", "4.95", "-3.45", "-1.55",
    ]  # amounts are exact strings, never JSON floats
    assert invoice_lines[0]["ProductQuantity"] == "2"


def test_explain_names_the_yuki_rule_of_each_field(tmp_path: Path) -> None:
    result = _dry_run(write_json(tmp_path / "order.json", sample_document()), "--explain")
    assert result.exit_code == 0
    explained = result.stderr.splitlines()
    assert explained[0] == f"order 1042 ({RULES}):"
    subject_line = _line_of(YUKI_RULES, "Subject: ")
    rule = YUKI_RULES.read_text("utf-8").splitlines()[subject_line - 1].split(": ", 1)[1]
    subject = [line for line in explained if line.startswith("  Subject = ")]
    assert len(subject) == 1
    assert subject[0].startswith("  Subject = Bestelling QWZTRPLMX  ← ")
    assert f"mappings/yuki/mapping.yaml:{subject_line}:" in subject[0]
    shown = subject[0].split(f"{subject_line}:")[1].split("  ", 1)[1]  # the rule, cut at 90
    assert rule.strip('"').startswith(shown.rstrip("…"))
    date = next(line for line in explained if line.startswith("  Date = "))
    assert f"mappings/yuki/mapping.yaml:{_line_of(YUKI_RULES, 'Date:')}:" in date


def test_explain_names_the_part_that_made_an_invoice_line(tmp_path: Path) -> None:
    result = _dry_run(write_json(tmp_path / "order.json", sample_document()), "--explain")
    quantity = next(
        line for line in result.stderr.splitlines()
        if line.startswith("  InvoiceLines.InvoiceLine[0].ProductQuantity = 2")
    )
    line = _line_of(YUKI_RULES, 'ProductQuantity: "{{')
    assert f"mapping.yaml:{line}:" in quantity


def _line_of(path: Path, start: str) -> int:
    found = [
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.lstrip().startswith(start)
    ]
    assert len(found) == 1, (start, found)
    return found[0]


# -- bad input: exit code 2 and one line --------------------------------------------------------
def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.json"
    result = _dry_run(missing)
    assert result.exit_code == 2
    assert _one_line(result) == f"mapper: {missing}: no such file"
    assert result.stdout == ""


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"order": {"id": 1042,', encoding="utf-8")
    result = _dry_run(path)
    assert result.exit_code == 2
    assert _one_line(result) == (
        f"mapper: {path}: invalid JSON at line 1 column 23: Expecting property name enclosed in "
        "double quotes"
    )


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("\n", encoding="utf-8")
    result = _dry_run(path)
    assert result.exit_code == 2
    assert _one_line(result) == f"mapper: {path}: the file is empty; expected a JSON order document"


def test_an_unknown_mapping(tmp_path: Path) -> None:
    path = write_json(tmp_path / "order.json", sample_document())
    result = _run("dry-run", path, "--mapping", "prestashop-nothing")
    assert result.exit_code == 2
    line = _one_line(result)
    assert line.startswith("mapper: unknown rule set 'nothing' (known: ")
    assert "prestashop" in line and "yuki" in line


def test_a_mapping_that_is_not_a_pair(tmp_path: Path) -> None:
    result = _run("dry-run", write_json(tmp_path / "o.json", {}), "--mapping", "prestashop")
    assert result.exit_code == 2
    assert _one_line(result) == (
        "mapper: --mapping takes SHOP-TARGET, like prestashop-yuki; got 'prestashop'"
    )


def test_a_malformed_amount(tmp_path: Path) -> None:
    result = _dry_run(write_json(tmp_path / "order.json", _bad_amount()))
    assert result.exit_code == 2
    line = _one_line(result)
    assert "mappings/prestashop/mapping.yaml:" in line
    assert line.endswith(": order 1043: let paid_incl: expected an amount like 12.50, got '12,50'")
    assert result.stdout == ""


def test_one_bad_order_does_not_stop_the_rest(tmp_path: Path) -> None:
    documents = [_bad_amount(), sample_document(1042, "GOODORDER")]
    result = _dry_run(write_json(tmp_path / "orders.json", documents))
    assert result.exit_code == 2
    assert "order 1043: let paid_incl" in _one_line(result)
    (invoice,) = _invoices(result.stdout)
    assert invoice.findtext("y:Subject", namespaces=NS) == "Bestelling GOODORDER"


def test_one_bad_json_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    good = json.dumps(sample_document(1042, "GOODORDER"))
    path.write_text(good + "\n{not json\n" + good.replace("GOODORDER", "ALSOGOOD1") + "\n")
    result = _dry_run(path)
    assert result.exit_code == 2
    assert _one_line(result) == (
        f"mapper: {path}:2: invalid JSON at column 2: "
        "Expecting property name enclosed in double quotes"
    )
    assert len(_invoices(result.stdout)) == 2


def test_not_an_object_in_an_array(tmp_path: Path) -> None:
    path = write_json(tmp_path / "orders.json", [sample_document(), 42])
    result = _dry_run(path)
    assert result.exit_code == 2
    assert _one_line(result) == (
        f"mapper: {path}[1]: expected a JSON object (an order document), got int"
    )
    assert len(_invoices(result.stdout)) == 1


def test_a_rejected_order_exits_1_with_its_reason(tmp_path: Path) -> None:
    documents = [_rejected(), sample_document(1042, "GOODORDER")]
    result = _dry_run(write_json(tmp_path / "orders.json", documents))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "order 1044 turned away: order_total: The order total 50.00 does not equal the lines "
        "43.37 + shipping 4.95 + wrapping 0.00 − discount 5.00 = 43.32 (difference 6.68)",
        "  Resolution: Check the order's amounts in PrestaShop (a product, shipping or discount "
        "changed after ordering?) and correct them, then process the order again.",
    ]
    assert len(_invoices(result.stdout)) == 1


def test_an_order_not_yet_paid_is_left_open(tmp_path: Path) -> None:
    document = sample_document()
    document["order"]["current_state"] = "1"
    result = _dry_run(write_json(tmp_path / "order.json", [document, sample_document(1045)]))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "order 1042 not invoiced (yet): order state 1 is not one of the invoicing states "
        "2, 3, 4, 5, 9, 12",
    ]
    assert len(_invoices(result.stdout)) == 1
    assert "<!-- order 1045 by mapper" in result.stdout


def test_bad_input_wins_over_a_rejection(tmp_path: Path) -> None:
    result = _dry_run(write_json(tmp_path / "orders.json", [_rejected(), _bad_amount()]))
    assert result.exit_code == 2
    assert result.stdout == ""


def test_wrong_settings_give_a_line_per_problem(tmp_path: Path) -> None:
    settings = tmp_path / "tenant.yaml"
    settings.write_text("yuki:\n  process: 'yes'\n  reference: order\n", encoding="utf-8")
    order = write_json(tmp_path / "order.json", sample_document())
    result = _dry_run(order, "--settings", str(settings))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"mapper: {settings}:2:3: yuki.process: 'yes' is not of type 'boolean'",
        f"{settings}:3:3: yuki.reference: 'order' is not one of ['order_number', 'invoice_number']",
    ]


def test_settings_change_the_payload(tmp_path: Path) -> None:
    settings = tmp_path / "tenant.yaml"
    settings.write_text("yuki:\n  process: true\n", encoding="utf-8")
    order = write_json(tmp_path / "order.json", sample_document())
    result = _dry_run(order, "--settings", str(settings))
    assert result.exit_code == 0
    (invoice,) = _invoices(result.stdout)
    assert invoice.findtext("y:Process", namespaces=NS) == "true"
    assert invoice.findtext("y:Reference", namespaces=NS) == "QWZTRPLMX"


def test_a_settings_file_that_is_not_yaml(tmp_path: Path) -> None:
    settings = tmp_path / "tenant.yaml"
    settings.write_text("- just\n- a list\n", encoding="utf-8")
    result = _dry_run(write_json(tmp_path / "o.json", sample_document()), "--settings", str(settings))
    assert result.exit_code == 2
    assert _one_line(result) == f"mapper: settings file {settings} must hold one section per rule set"


def test_a_rule_error_at_run_time_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A typo in a filter's attribute surfaces as Jinja's UndefinedError: it must be reported."""
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT / "mappings", mappings)
    rules = mappings / "prestashop" / "mapping.yaml"
    text = rules.read_text("utf-8")
    assert "sum_of(article_lines, 'amount_incl') +" in text
    rules.write_text(
        text.replace(
            "sum_of(article_lines, 'amount_incl') +",
            "(article_lines | sum(attribute='amount_inc')) +",
        )
    )
    order = write_json(tmp_path / "order.json", sample_document())
    result = _run("dry-run", order, "--mapping", "prestashop-yuki",
                  env={"MAPPER_MAPPINGS": str(mappings)})
    assert result.exit_code == 2
    assert _one_line(result).endswith(": order 1042: let lines_incl: "
                                      "'dict object' has no attribute 'amount_inc'")


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    order = write_json(tmp_path / "order.json", _bad_amount())
    mapper = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
    completed = subprocess.run(
        [mapper, "dry-run", str(order), "--mapping", "prestashop-yuki"],
        capture_output=True, text=True, cwd=PROJECT, timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("mapper: mappings/prestashop/mapping.yaml:")
    assert completed.stderr.endswith(
        ": order 1043: let paid_incl: expected an amount like 12.50, got '12,50'\n"
    )


# -- validate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["prestashop", "yuki"])
def test_validate_the_shipped_rule_sets(name: str) -> None:
    result = _run("validate", PROJECT / "mappings" / name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{name} 1.0.0: ")
    assert " rule file(s) valid, " in result.stdout
    assert result.stdout.endswith(" expressions compiled\n")


def test_validate_reports_the_place_of_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "mapping.yaml").write_text(
        'name: broken\nversion: "1.0.0"\nkind: target\noutput_schema: x\noutput:\n'
        '  a: "{{ order.id | nope }}"\n', encoding="utf-8")
    result = _run("validate", folder)
    assert result.exit_code == 2
    # as a compiler shows it: the place, then the source line with a caret under it
    assert result.stderr.splitlines() == [
        f"mapper: {(folder / 'mapping.yaml').resolve()}:6:6: a: unknown filter 'nope'",
        '    a: "{{ order.id | nope }}"',
        "       ^",
    ]
    assert "Traceback" not in result.output


# -- test ---------------------------------------------------------------------------------------
def test_mapper_test_shows_a_diff_per_failing_field(tmp_path: Path) -> None:
    folder = tmp_path / "prestashop-yuki"
    fixtures = folder / "fixtures"
    fixtures.mkdir(parents=True)
    document = sample_document()
    write_json(fixtures / "good.input.json", document)
    write_json(fixtures / "wrong.input.json", document)
    dry = _dry_run(fixtures / "good.input.json")
    assert dry.exit_code == 0
    (fixtures / "good.expected.xml").write_text(dry.stdout, encoding="utf-8")
    wrong = dry.stdout.replace("<SalesPrice>14.95</SalesPrice>", "<SalesPrice>14.59</SalesPrice>")
    wrong = wrong.replace("<Description>Korting</Description>", "<Description>Discount</Description>")
    assert wrong.count("14.59") == 1
    (fixtures / "wrong.expected.xml").write_text(wrong, encoding="utf-8")

    result = _run("test", folder)
    assert result.exit_code == 1
    line = "SalesInvoice[0].InvoiceLines[0].InvoiceLine"
    assert result.stdout.splitlines() == [
        "ok   good",
        "FAIL wrong",
        f"  {line}[0].Product[0].SalesPrice[0]: expected '14.59', got '14.95'",
        f"  {line}[3].Product[0].Description[0]: expected 'Discount', got 'Korting'",
        f"  {line}[4].Product[0].Description[0]: expected 'Discount', got 'Korting'",
        "1 passed, 1 failed",
    ]


def test_mapper_test_all_passing_exits_0(tmp_path: Path) -> None:
    folder = tmp_path / "prestashop-yuki"
    fixtures = folder / "fixtures"
    fixtures.mkdir(parents=True)
    write_json(fixtures / "nl.input.json", sample_document())
    (fixtures / "nl.expected.xml").write_text(
        _dry_run(fixtures / "nl.input.json").stdout, encoding="utf-8")
    result = _run("test", folder)
    assert (result.exit_code, result.stdout) == (0, "ok   nl\n1 passed, 0 failed\n")


def test_mapper_test_without_fixtures(tmp_path: Path) -> None:
    result = _run("test", tmp_path)
    assert result.exit_code == 2
    assert _one_line(result) == f"mapper: {tmp_path}: no fixtures (fixtures/NAME.input.json)"
