"""A rule-set argument is a shipped name unless it is written as a path (`./prestashop`).

A folder in the working directory named like a shipped rule set must never replace it: a user
who keeps a copy of `prestashop/` next to mapper.yaml gets the shipped rules from
`--mapping prestashop-yuki`, `mapper validate prestashop`, `mapper test prestashop-yuki`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.engine.errors import UsageError
from mapper.engine.mapping import available_rule_sets, load_rule_set, rule_set_folder
from mapper.engine.paths import mappings_dir, written_as_path
from ps_order_builder import sample_document, write_json

SHIPPED = mappings_dir()
RULE_SETS = "exact, factuursturen, lightspeed, moneybird, peppol, prestashop, shopify, woocommerce, yuki"
WITH_PAIRS = (
    "exact, factuursturen, lightspeed, lightspeed-exact, lightspeed-factuursturen, "
    "lightspeed-moneybird, lightspeed-peppol, lightspeed-yuki, moneybird, peppol, prestashop, "
    "prestashop-exact, prestashop-factuursturen, prestashop-moneybird, prestashop-peppol, "
    "prestashop-yuki, shopify, shopify-exact, shopify-factuursturen, shopify-peppol, shopify-yuki, "
    "woocommerce, woocommerce-exact, woocommerce-factuursturen, woocommerce-moneybird, "
    "woocommerce-peppol, woocommerce-yuki, yuki"
)
# A copy of the shipped rule set under another name and version, so it is told apart.
DECOY_VERSION = "9.9.9"


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def decoys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding folders `prestashop/`, `yuki/` and `prestashop-yuki/`:
    copies of the shipped rule sets, changed so that using them would show."""
    shutil.copytree(SHIPPED / "common", tmp_path / "common")  # what both include
    for name in ("prestashop", "yuki"):
        copy = tmp_path / name
        shutil.copytree(SHIPPED / name, copy)
        text = (copy / "mapping.yaml").read_text(encoding="utf-8")
        (copy / "mapping.yaml").write_text(
            text.replace('version: "1.0.0"', f'version: "{DECOY_VERSION}"', 1), encoding="utf-8"
        )
    pair = tmp_path / "prestashop-yuki" / "fixtures"
    pair.mkdir(parents=True)
    write_json(pair / "wrong.input.json", sample_document())
    (pair / "wrong.expected.json").write_text('{"not": "this"}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- what counts as a path ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "is_path"),
    [
        ("prestashop", False),
        ("prestashop-yuki", False),
        ("yuki", False),
        ("./prestashop", True),
        ("../rules/prestashop", True),
        ("mappings/yuki", True),
        ("/srv/mapper/rules/yuki", True),
        ("~/rules/yuki", True),
        (".", True),
    ],
)
def test_only_what_is_written_as_a_path_is_one(text: str, is_path: bool) -> None:
    assert written_as_path(text) is is_path


# -- names are shipped rule sets, even beside a folder of that name -----------------------------
def test_a_name_is_the_shipped_rule_set(decoys: Path) -> None:
    assert rule_set_folder("prestashop") == SHIPPED / "prestashop"
    assert load_rule_set("prestashop").version == "1.0.0"
    assert load_rule_set("./prestashop").version == DECOY_VERSION


def test_validate_a_name_beside_a_decoy_folder(decoys: Path) -> None:
    result = _run("validate", "yuki")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("yuki 1.0.0: ")


def test_validate_a_folder_written_as_a_path(decoys: Path) -> None:
    result = _run("validate", "./yuki")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"yuki {DECOY_VERSION}: ")


def test_dry_run_uses_the_shipped_pair_beside_decoys(decoys: Path) -> None:
    order = write_json(decoys / "order.json", sample_document())
    result = _run("dry-run", str(order), "--mapping", "prestashop-yuki")
    assert result.exit_code == 0, result.stderr
    assert "<!-- order 1042 by mapper: prestashop 1.0.0 > yuki 1.0.0 -->" in result.stdout


def test_mapper_test_a_shipped_pair_beside_a_decoy(decoys: Path) -> None:
    result = _run("test", "prestashop-yuki")
    shipped = sorted((SHIPPED / "prestashop-yuki" / "fixtures").glob("*.input.json"))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == f"{len(shipped)} passed, 0 failed"
    assert "ok   wrong" not in result.stdout and "FAIL wrong" not in result.stdout


def test_mapper_test_a_folder_written_as_a_path(decoys: Path) -> None:
    result = _run("test", "./prestashop-yuki")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL wrong",
        "  the rules make an XML payload; write it in wrong.expected.xml",
        "0 passed, 1 failed",
    ]


# -- unknown names and missing folders: exit 2, one line ----------------------------------------
def _one_line(result: Result) -> str:
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_name_lists_the_known_ones(decoys: Path) -> None:
    (decoys / "yuk").mkdir()  # a folder of that name changes nothing: a name is not a path
    assert _one_line(_run("validate", "yuk")) == (
        f"mapper: unknown rule set 'yuk' (known: {RULE_SETS}; a folder of your own is given as "
        "a path, like ./yuk)"
    )


def test_an_unknown_name_for_mapper_test_lists_the_pairs_too(decoys: Path) -> None:
    assert _one_line(_run("test", "prestashop-yuk")) == (
        f"mapper: unknown rule set 'prestashop-yuk' (known: {WITH_PAIRS}; a folder of your own "
        "is given as a path, like ./prestashop-yuk)"
    )


def test_an_unknown_half_of_a_mapping(tmp_path: Path) -> None:
    order = write_json(tmp_path / "order.json", sample_document())
    assert _one_line(_run("dry-run", str(order), "--mapping", "prestashop-yuk")) == (
        f"mapper: unknown rule set 'yuk' (known: {RULE_SETS}; a folder of your own is given as "
        "a path, like ./yuk)"
    )


def test_a_path_to_nothing(decoys: Path) -> None:
    assert _one_line(_run("validate", "./nothing")) == (
        "mapper: ./nothing: no such folder of rule files"
    )


def test_a_path_to_a_folder_without_mapping_yaml(decoys: Path) -> None:
    assert _one_line(_run("validate", "./prestashop-yuki")) == (
        "mapper: ./prestashop-yuki: not a rule set (no mapping.yaml in it)"
    )


def test_the_known_names_are_the_shipped_folders() -> None:
    assert ", ".join(available_rule_sets()) == RULE_SETS
    assert ", ".join(available_rule_sets(pairs=True)) == WITH_PAIRS


def test_mappings_env_chooses_where_names_are_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SHIPPED / "yuki", tmp_path / "yuki")
    monkeypatch.setenv("MAPPER_MAPPINGS", str(tmp_path))
    assert rule_set_folder("yuki") == tmp_path / "yuki"
    with pytest.raises(UsageError, match=r"^unknown rule set 'prestashop' \(known: yuki; "):
        rule_set_folder("prestashop")
