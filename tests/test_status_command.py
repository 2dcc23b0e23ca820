"""`mapper status`: read-only, the lists with order number and id, fitting the width, "12 of 28",
and the Open list's shop state and next re-check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.engine.ledger import Ledger
from mapper.engine.sync.schedule import next_recheck

SHOP = "webshop"
RULES = "prestashop 1.0.0 > yuki 1.0.0"
REFERENCE = "5f3c2a9e-7d41-4b8e-9a0c-1e2f3a4b5c6d"
WRONG_TOTAL = (
    "checks: total: the lines add up to 41.32 incl. VAT, the order's total_paid_tax_incl is "
    "50.00 (difference 8.68)"
)
FIX = "Correct the order in the shop, then process it again."
NOT_PAID = "order state 1 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
ENV = {"PS_KEY": "ps-key-value", "YUKI_KEY": "yuki-key-value", "COLUMNS": "100"}


@pytest.fixture(autouse=True)
def amsterdam_time() -> Iterator[None]:
    """The lists show local time; the tests read it in the shop's own zone."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Amsterdam"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def write_config(folder: Path, ledger: str = "data/ledger.db", recheck_at: str = "03:00") -> Path:
    shop = {
        "name": SHOP,
        "mapping": "prestashop-yuki",
        "recheck_at": recheck_at,
        "source": {"type": "prestashop", "url": "https://shop.example.nl", "key": {"env": "PS_KEY"}},
        "target": {
            "type": "yuki",
            "url": "https://api.yukiworks.nl",
            "access_key": {"env": "YUKI_KEY"},
            "administration_id": "8f1a4c2e-0000-4000-8000-000000000001",
        },
    }
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump({"ledger": ledger, "shops": [shop]}), encoding="utf-8")
    return path


def fill_ledger(url: str, sent: int, failed: int, open_: int) -> None:
    """Orders 1001… sent, then failed, then open; each change 7 minutes after the last,
    from 2026-03-02 09:00 UTC (10:00 in Amsterdam)."""
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    order_date = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    with Ledger.open(url, clock=clock) as ledger:
        for index in range(sent + failed + open_):
            order_id, number = str(1001 + index), f"QWZTR{index:04d}"
            if index >= sent + failed:
                ledger.observe(
                    SHOP, order_id, number, order_date, sendable=False, shop_state=NOT_PAID
                )
            else:
                ledger.claim(SHOP, order_id, number, order_date, RULES)
                if index < sent:
                    ledger.mark_sent(SHOP, order_id, REFERENCE)
                else:
                    ledger.mark_failed(SHOP, order_id, WRONG_TOTAL, resolution=FIX)
            now[0] += timedelta(minutes=7)


def status(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, ["status", "--config", str(config), *args], env=env or ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def ledger_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'data' / 'ledger.db'}"


# -- read-only ---------------------------------------------------------------------------------
def test_a_mistyped_ledger_path_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, ledger="dta/ledger.db")
    result = status(config)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mapper: no ledger at '{tmp_path / 'dta' / 'ledger.db'}' "
        "(run `mapper sync` first, or check `ledger:` in mapper.yaml)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mapper.yaml"]


def test_status_does_not_change_the_ledger_file_list(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=1, failed=0, open_=0)
    before = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert status(config).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == before


# -- the lists ---------------------------------------------------------------------------------
def test_each_list_shows_number_and_id_exactly(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=1, failed=1, open_=1)
    before = datetime.now(UTC)
    result = status(config, "--shop", SHOP)
    after = datetime.now(UTC)
    assert result.exit_code == 0, result.stderr
    nights = {
        next_recheck(moment, clock_time(3, 0)).astimezone().strftime("%Y-%m-%d %H:%M")
        for moment in (before, after)
    }
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    (at,) = [i for i, line in enumerate(lines) if line.startswith("Open — ")]
    assert lines[at] in {
        f"Open — waiting for an invoicing status (1); re-checked every night, next at {night}"
        for night in nights
    }
    lines[at] = "(the Open heading)"
    rule = "─" * 100
    assert lines == [
        "Reporting — sent to the accounting system (1)",
        "order      id    date        reference                             rules            sent",
        rule,
        f"QWZTR0000  1001  2026-03-01  {REFERENCE}  prestashop       2026-03-02 10:00",
        "                                                                   1.0.0 > yuki",
        "                                                                   1.0.0",
        "",
        "Errors — not sent; the reason and what to do (1)",
        "order      id    date        tries  reason                                          since",
        rule,
        "QWZTR0001  1002  2026-03-01  1      checks: total: the lines add up to 41.32 incl.  2026-03-02 10:07",
        "                                    VAT, the order's total_paid_tax_incl is 50.00",
        "                                    (difference 8.68) — Resolution: Correct the",
        "                                    order in the shop, then process it again.",
        "",
        "(the Open heading)",
        "order      id    date        state in the shop                                      since",
        rule,
        "QWZTR0002  1003  2026-03-01  order state 1 is not one of the invoicing states 2,    2026-03-02 10:14",
        "                             3, 4, 5, 9, 12",
        "",
    ]


def test_a_limit_says_how_many_of_how_many(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=3, failed=28, open_=0)
    result = status(config, "--list", "errors", "--limit", "12")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Errors — not sent; the reason and what to do (showing 12 of 28)"
    rows = [line for line in lines if line.startswith(SHOP)]
    # newest first: the last failed order (1031) on top, 12 of them down to 1020
    assert [line.split()[2] for line in rows] == [str(n) for n in range(1031, 1019, -1)]
    assert "Reporting" not in result.stdout


def test_all_shown_says_only_the_count(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=2, failed=0, open_=0)
    result = status(config, "--list", "reporting", "--limit", "2")
    assert result.stdout.splitlines()[0] == "Reporting — sent to the accounting system (2)"


@pytest.mark.parametrize("columns", ["100", "72", "40"])
def test_no_line_is_wider_than_the_width(tmp_path: Path, columns: str) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=5, failed=5, open_=5)
    result = status(config, env={**ENV, "COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 30
    assert max(len(line) for line in lines) <= int(columns)
    if columns != "40":
        # order number and id, what `mapper reprocess` takes, are never cut short
        assert f"{SHOP}  QWZTR0014  1015" in result.stdout


def test_without_columns_a_pipe_gets_100(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=5, failed=5, open_=5)
    without_columns: dict[str, str | None] = {**ENV, "COLUMNS": None}  # None: unset
    result = CliRunner().invoke(main, ["status", "--config", str(config)], env=without_columns)
    widths = [len(line) for line in result.stdout.splitlines()]
    assert max(widths) == 100  # rich alone would take 80


def test_an_empty_list_says_none(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=1, failed=0, open_=0)
    result = status(config, "--list", "errors")
    assert result.stdout.splitlines() == [
        "Errors — not sent; the reason and what to do (0)",
        "(none)",
        "",
    ]


def test_brackets_in_a_reason_are_text_not_markup(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with Ledger.open(ledger_url(tmp_path)) as ledger:
        ledger.claim(SHOP, "1042", "QWZTRPLMX", datetime(2026, 3, 1, tzinfo=UTC), RULES)
        ledger.mark_failed(
            SHOP, "1042", "lines[2].price: expected an amount like 12.50, got '[bold]'",
            resolution=FIX,
        )
    result = status(config, "--list", "errors", "--shop", SHOP, env={**ENV, "COLUMNS": "200"})
    assert "lines[2].price: expected an amount like 12.50, got '[bold]' — Resolution:" in result.stdout


def test_an_unknown_shop_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill_ledger(ledger_url(tmp_path), sent=1, failed=0, open_=0)
    result = status(config, "--shop", "webshp")
    assert result.exit_code == 2
    assert result.stderr.startswith("mapper: no shop 'webshp' in the configuration")
    assert len(result.stderr.splitlines()) == 1
