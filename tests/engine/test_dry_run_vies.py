"""`mapper dry-run --vies STATUS`: ICP orders as a pass with `vies: {check: true}` would treat
them when VIES answers STATUS for every number — without asking VIES."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.sync.vies import assumed_answers

FIXTURES = Path(__file__).resolve().parents[2] / "mappings/prestashop-yuki/fixtures"
ICP = FIXTURES / "03_icp_germany_company.input.json"
DOMESTIC = FIXTURES / "01_domestic_two_rates_discount.input.json"


def dry_run(order: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["dry-run", str(order), "--mapping", "prestashop-yuki", *options]
    )
    return result.exit_code, result.stdout, result.stderr


def test_valid_books_the_icp_invoice_as_without_vies() -> None:
    code, out, err = dry_run(ICP, "--vies", "valid")
    assert (code, err) == (0, "")
    assert out == (FIXTURES / "03_icp_germany_company.expected.xml").read_text("utf-8")


def test_invalid_turns_the_icp_order_away() -> None:
    code, out, err = dry_run(ICP, "--vies", "invalid")
    today = dt.date.today().isoformat()
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (
        "order 2001 turned away: icp_vies: ICP order to DE without VAT, but the VAT number on "
        "the invoice address is not valid: VIES does not know it as a valid VAT number "
        f"(checked on {today})"
    )


def test_unverified_waits_in_open_by_default() -> None:
    code, out, err = dry_run(ICP, "--vies", "unverified")
    today = dt.date.today().isoformat()
    assert (code, out) == (0, "")
    assert err == (
        f"order 2001 not invoiced (yet): waiting for VIES: the VAT number could not be checked "
        f"on {today} (the member state's database is not available); it is checked again at "
        "the next re-check\n"
    )


def test_unverified_sent_with_note_when_the_shop_says_so() -> None:
    code, out, err = dry_run(ICP, "--vies", "unverified", "--vies-unverified", "send_with_note")
    today = dt.date.today().isoformat()
    assert (code, err) == (0, "")
    assert (
        f"    <Remarks>BTW-nummer kon op {today} niet in VIES worden gecontroleerd "
        "(MS_UNAVAILABLE); ICP onder voorbehoud van controle.</Remarks>\n"
    ) in out


def test_an_order_that_is_not_icp_is_not_checked() -> None:
    assert dry_run(DOMESTIC, "--vies", "invalid") == dry_run(DOMESTIC)


def test_an_unknown_answer_is_refused() -> None:
    code, _, err = dry_run(ICP, "--vies", "maybe")
    assert code == 2 and "'maybe' is not one of 'valid', 'invalid', 'unverified'" in err
    with pytest.raises(ValueError, match="valid, invalid or unverified, not 'maybe'"):
        assumed_answers("maybe")
