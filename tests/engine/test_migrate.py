"""Rule-file language versions: `mapper migrate` rewrites language 1 to 2, meaning the same.

tests/engine/language1/ is a rule set written before files named their version (language 1);
tests/engine/language1_migrated/ is what `mapper migrate` must make of it, byte for byte.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.engine.errors import RuleError
from mapper.engine.rules.compile import compile_rule_set
from mapper.engine.rules.load import load_yaml
from mapper.engine.rules.migrate import migrate_text
from mapper.engine.rules.render import json_text, plain

HERE = Path(__file__).resolve().parent
OLD = HERE / "language1"
MIGRATED = HERE / "language1_migrated"

ORDER = {
    "order": {
        "number": "QWZTRPLMX",
        "lines": [
            {"description": "Theepot", "amount_incl": Decimal("29.90")},
            {"description": "Verzendkosten", "amount_incl": Decimal("4.95")},
        ],
    }
}


def _run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _payload(folder: Path) -> str:
    output = compile_rule_set(folder).bind().apply(ORDER)
    return json_text(plain(output))


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "language1"
    shutil.copytree(OLD, folder)
    return folder


def test_an_old_rule_set_means_what_language_1_read() -> None:
    assert _payload(OLD) == (
        '{"number": "QWZTRPLMX", "email": true, "cutoff": 750, "ledger": 83, "norway": false, '
        '"flags": {"True": 1000}, "lines": [{"description": "Theepot", "amount": "29.90", '
        '"vat_included": true}, {"description": "Verzendkosten", "amount": "4.95", '
        '"vat_included": true}]}'
    )


def test_migrate_rewrites_it_keeping_comments_and_layout(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    result = _run("migrate", folder)
    assert result.exit_code == 0, result.output
    for name in ("mapping.yaml", "lines.yaml"):
        assert (folder / name).read_bytes() == (MIGRATED / name).read_bytes(), name
    mapping = folder.resolve() / "mapping.yaml"
    lines = folder.resolve() / "lines.yaml"
    assert result.output.splitlines() == [
        f"{mapping}: language 1 → 2 (6 value(s) rewritten)",
        f"  {mapping}:13:17: yes → true",
        f"  {mapping}:14:13: 12:30 → 750",
        f"  {mapping}:15:13: 0123 → 83",
        f"  {mapping}:23:11: NO → false",
        f'  {mapping}:25:5: on → "True"',
        f"  {mapping}:25:9: 1_000 → 1000",
        f"{lines}: language 1 → 2 (1 value(s) rewritten)",
        f"  {lines}:3:17: on → true",
    ]


def test_the_migrated_rule_set_compiles_to_identical_output(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    before = _payload(folder)
    assert _run("migrate", folder).exit_code == 0
    assert _payload(folder) == before
    assert _payload(MIGRATED) == before


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _run("migrate", folder)
    again = _run("migrate", folder)
    assert again.exit_code == 0
    assert again.output.splitlines() == [
        f"{folder.resolve() / 'mapping.yaml'}: language 2, nothing to migrate",
        f"{folder.resolve() / 'lines.yaml'}: language 2, nothing to migrate",
    ]


def test_check_says_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    result = _run("migrate", folder, "--check")
    assert result.exit_code == 1
    assert result.output.startswith(f"{folder.resolve() / 'mapping.yaml'}: language 1 → 2")
    assert (folder / "mapping.yaml").read_bytes() == (OLD / "mapping.yaml").read_bytes()


def test_language_2_reads_what_is_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("language: 2\nlet:\n  country: NO\n  postcode: 0123\n  on: yes\n  n: 12\n")
    data = load_yaml(path, rule_file=True)
    assert data["let"] == {"country": "NO", "postcode": "0123", "on": "yes", "n": 12}
    assert (data.language, data.language_written) == (2, True)
    assert "language" not in data
    path.write_text("let:\n  country: NO\n  postcode: 0123\n")
    old = load_yaml(path, rule_file=True)
    assert old["let"] == {"country": False, "postcode": 83}
    assert (old.language, old.language_written) == (1, False)


def test_a_language_this_mapper_does_not_know_is_refused_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text('name: x\nversion: "1.0.0"\nlanguage: 3\n')
    with pytest.raises(RuleError) as caught:
        load_yaml(path, "mapping.yaml", rule_file=True)
    assert str(caught.value) == (
        "mapping.yaml:3:11: language 3 is not one this mapper reads (1, 2); was the file "
        "written for a newer mapper?"
    )


def test_an_explicit_language_1_is_rewritten_in_place() -> None:
    text = "# rules\nlanguage: 1  # old\nlet:\n  a: off\n"
    assert migrate_text(text, "r.yaml")[0] == "# rules\nlanguage: 2  # old\nlet:\n  a: false\n"


def test_crlf_line_ends_are_kept(tmp_path: Path) -> None:
    text = 'name: x\r\nversion: "1.0.0"\r\nlet:\r\n  a: yes\r\n'
    new, language, changes = migrate_text(text, "r.yaml")
    assert new == 'name: x\r\nversion: "1.0.0"\r\nlanguage: 2\r\nlet:\r\n  a: true\r\n'
    assert language == 1
    assert [str(change) for change in changes] == ["r.yaml:4:6: yes → true"]


def test_a_folder_without_rule_sets_is_bad_usage(tmp_path: Path) -> None:
    result = _run("migrate", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(": no mapping.yaml in it or its sub-folders")
