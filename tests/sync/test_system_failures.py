"""A system that fails is one line, per shop: an unreachable shop, a refused Yuki key, a wrong
administration, an unreachable Yuki. The other shops still run, the command exits 3, never a
traceback, and the orders being handled stay where they were — the next pass, with the system
back, books each of them exactly once.

Real processes and real HTTP: the PrestaShop and Yuki simulators on loopback, the `mapper`
command as a subprocess on a SQLite ledger.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.retry import RetryPolicy
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import load_config
from mapper.engine.sync.jobs import run_job
from mapper.engine.sync.pipeline import ShopSync
from mapper.engine.sync.refs import resolve_orders

from sync.sync_helpers import (
    SHOP,
    Systems,
    config_data,
    expected_outcomes,
    invoice_counts,
    ledger_records,
    running_systems,
    verify,
    write_config,
)
from sync.test_sync_faults import mapper_command

# The post never reached Yuki (refused before it, or no connection): what was claimed is looked
# up and posted by the next pass without waiting for a late booking.
NO_SETTLE = {"settle_seconds": 0}


def with_history(ledger_url: str) -> None:
    """A ledger that has synced the shop before, so a pass goes straight to the shop's orders
    (a ledger without history first asks the target what it already holds: engine/sync/adopt.py)."""
    with Ledger.open(ledger_url) as ledger:
        ledger.set_cursor(SHOP, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

ORDERS = 12
SEED = 8
ORDER_DATE = dt.datetime(2024, 5, 2, 10, 30, tzinfo=dt.UTC)
# Twelve orders of which 6 are invoiced, 4 not yet paid (open) and 2 turned away by the checks.
MIXED: dict[str, Any] = {"seed": 11, "unpaid_share": 0.2, "bad_share": 0.3}


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port bound but never listening: connecting to it is refused, and no other
    process can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def run(config: Path, systems: Systems, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **systems.environment(), **env}
    return subprocess.run(
        mapper_command(config, *args), env=environment, capture_output=True, text=True, timeout=120
    )


def summary(name: str, expected: dict[str, Any], job: str = "sync") -> str:
    verdicts = [e.verdict for e in expected.values()]
    return (
        f"{name}: {job}: {len(verdicts)} orders seen, {verdicts.count('send')} sent, "
        f"{verdicts.count('reject')} to Errors, {verdicts.count('open')} open, 0 done before"
    )


def test_an_unreachable_shop_is_one_line_and_the_good_shop_is_synced(
    tmp_path: Path, dead_port: int
) -> None:
    with running_systems(ORDERS, seed=SEED, unpaid_share=0.0, bad_share=0.0) as systems:
        expected = expected_outcomes(systems.orders)
        data = config_data(systems)
        good = data["shops"][0]
        bad = {
            **good,
            "name": "bad",
            "source": {**good["source"], "url": f"http://127.0.0.1:{dead_port}"},
        }
        data["shops"] = [bad, good]  # the bad one first: it must not stop the good one
        config = write_config(tmp_path, data)

        result = run(config, systems, "sync")
        invoices = invoice_counts(systems.yuki)

    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"mapper: shop bad: prestashop: cannot reach http://127.0.0.1:{dead_port} (connection "
        "refused); check url in mapper.yaml's source section and that prestashop is up; the "
        "next pass tries again"
    ]
    assert result.stdout.splitlines() == [
        "bad: sync: 0 orders seen, 0 sent, 0 to Errors, 0 open, 0 done before; "
        "stopped: prestashop failed",
        summary(SHOP, expected),
    ]
    assert result.returncode == 3
    sent = {e.subject for e in expected.values() if e.verdict == "send"}
    assert len(sent) == ORDERS
    assert invoices == {subject: 1 for subject in sent}


@pytest.mark.parametrize(
    ("target", "key", "line"),
    [
        (
            {},
            "wrong-key-4f1c9a7e2b",
            "mapper: shop demo: yuki: access refused: Authentication failed: the access key is "
            "not valid (check access_key in mapper.yaml's target section)",
        ),
        (
            {"administration_id": "11111111-2222-3333-4444-555555555555"},
            None,
            "mapper: shop demo: yuki: access refused: No access to administration "
            "'11111111-2222-3333-4444-555555555555' (check administration_id in mapper.yaml's "
            "target section)",
        ),
    ],
    ids=["wrong-key", "wrong-administration"],
)
def test_yuki_refusing_the_credentials_is_one_line_and_loses_no_order(
    tmp_path: Path, target: dict[str, str], key: str | None, line: str
) -> None:
    with running_systems(ORDERS, **MIXED) as systems:
        expected = expected_outcomes(systems.orders)
        refused = write_config(tmp_path, config_data(systems, target={**target, **NO_SETTLE}))
        with_history(load_config(refused, systems.environment()).ledger_url)
        wrong = {"MAPPER_TEST_YUKI_KEY": key} if key else {}
        first = run(refused, systems, "sync", **wrong)
        assert systems.yuki.invoices == []
        stuck = ledger_records(load_config(refused, systems.environment()).ledger_url)

        # the key or id corrected
        fixed = write_config(tmp_path, config_data(systems, target=NO_SETTLE))
        second = run(fixed, systems, "sync")
        verdict = verify(
            expected,
            ledger_records(load_config(fixed, systems.environment()).ledger_url),
            invoice_counts(systems.yuki),
        )

    assert "Traceback" not in first.stdout + first.stderr
    assert first.stderr.splitlines() == [line]
    assert first.returncode == 3
    assert first.stdout.endswith("; stopped: yuki failed\n")
    # What the refused pass claimed is still there, in sending — not in Errors, not lost.
    to_send = {e.order_id for e in expected.values() if e.verdict == "send"}
    assert {i for i, r in stuck.items() if r.state == OrderState.SENDING} == to_send
    # The orders the checks turned away went to Errors in the first pass, before the post.
    assert second.returncode == 0, second.stderr
    assert verdict.problems == []
    assert (verdict.sent, verdict.rejected, verdict.open) == (6, 2, 4)


def test_yuki_unreachable_mid_pass_stops_the_shop_and_the_next_pass_books_once(
    tmp_path: Path, dead_port: int
) -> None:
    retry = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0, jitter=0.0)
    build = functools.partial(ShopSync, retry=retry, sleep=lambda seconds: None)
    with running_systems(ORDERS, seed=SEED, unpaid_share=0.0, bad_share=0.0) as systems:
        expected = expected_outcomes(systems.orders)
        down = {"url": f"http://127.0.0.1:{dead_port}", "batch_size": 5, **NO_SETTLE}
        config = load_config(
            write_config(tmp_path, config_data(systems, target=down)), systems.environment()
        )
        with_history(config.ledger_url)
        with Ledger.open(config.ledger_url) as ledger:
            first = run_job(config.shops[0], ledger, "sync", ShopSync.sync, build=build)
        records = ledger_records(config.ledger_url).values()
        states = {r.state for r in records}
        sending = sum(1 for r in records if r.state == OrderState.SENDING)

        config = load_config(
            write_config(tmp_path, config_data(systems, target=NO_SETTLE)), systems.environment()
        )
        with Ledger.open(config.ledger_url) as ledger:
            second = run_job(config.shops[0], ledger, "sync", ShopSync.sync, build=build)
        verdict = verify(expected, ledger_records(config.ledger_url), invoice_counts(systems.yuki))

    assert str(first.failure) == (
        f"shop demo: yuki: cannot reach http://127.0.0.1:{dead_port} (connection refused); "
        "check url in mapper.yaml's target section and that yuki is up; the next pass tries again"
    )
    # It stopped at the first batch it could not deliver: nothing sent, nothing to Errors.
    assert (first.seen > 0, first.sent, first.failed) == (True, 0, 0)
    assert OrderState.FAILED not in states and OrderState.SENDING in states
    # Only the batch being posted is left sending: the next chunk, mapped while it was posted,
    # is claimed only once that post is answered — so it was never claimed.
    assert sending == 5
    assert second.failure is None
    assert verdict.problems == []
    assert verdict.sent == ORDERS


def test_yuki_out_of_calls_is_one_line(tmp_path: Path) -> None:
    with running_systems(ORDERS, seed=SEED, unpaid_share=0.0, bad_share=0.0) as systems:
        systems.yuki.daily_limit = 1  # Authenticate is the day's one call
        config = write_config(tmp_path, config_data(systems))
        result = run(config, systems, "sync")
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "mapper: shop demo: yuki: out of calls: Daily limit exceeded (Every domain has 1 free "
        "webservice calls a day); the next pass goes on where this one stopped, once the limit "
        "is reset"
    ]
    assert result.returncode == 3


def test_a_shop_url_that_is_not_a_shop_is_one_line(tmp_path: Path) -> None:
    with running_systems(ORDERS, seed=SEED) as systems:
        # The Yuki simulator's address given as the shop's: it answers, but not as PrestaShop.
        config = write_config(tmp_path, config_data(systems, source={"url": systems.yuki.url}))
        result = run(config, systems, "sync")
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mapper: shop demo: prestashop: ")
    assert lines[0].endswith(
        "(check url in mapper.yaml's source section: it must be prestashop's own address)"
    )
    assert result.returncode == 3


def test_with_v_a_retried_call_logs_one_line_not_one_per_attempt(
    tmp_path: Path, dead_port: int
) -> None:
    with running_systems(3, seed=SEED) as systems:
        data = config_data(systems, source={"url": f"http://127.0.0.1:{dead_port}"})
        config = write_config(tmp_path, data)
        quiet = run(config, systems, "sync")
        verbose = subprocess.run(
            ["mapper", "-v", *mapper_command(config, "sync")[1:]],
            env={**os.environ, **systems.environment()},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert len(quiet.stderr.splitlines()) == 1
    gave_up = [line for line in verbose.stderr.splitlines() if "gave up after" in line]
    assert len(gave_up) == 1, verbose.stderr
    assert gave_up[0].startswith("WARNING mapper.connectors.retry: PrestaShop: ")
    assert gave_up[0].endswith("Connection refused (gave up after 5 attempts)")
    assert "Traceback" not in verbose.stderr
    assert verbose.returncode == 3


# -- reprocess: by number or by id --------------------------------------------------------------
def failed_orders(systems: Systems, config: Path) -> list[Any]:
    url = load_config(config, systems.environment()).ledger_url
    return sorted(
        (r for r in ledger_records(url).values() if r.state == OrderState.FAILED),
        key=lambda r: int(r.order_id),
    )


def test_reprocess_takes_the_order_number_or_the_id(tmp_path: Path) -> None:
    with running_systems(ORDERS, **MIXED) as systems:
        config = write_config(tmp_path, config_data(systems))
        assert run(config, systems, "sync").returncode == 1
        first, second, *_ = failed_orders(systems, config)
        by_number = run(config, systems, "reprocess", first.number, "--shop", SHOP)
        by_id = run(config, systems, "reprocess", second.order_id, "--shop", SHOP)
    # Still wrong in the shop: each goes back to Errors, with its reason, exit 1.
    for result in (by_number, by_id):
        assert result.stdout == (
            "demo: reprocess: 1 orders seen, 0 sent, 1 to Errors, 0 open, 0 done before\n"
        )
        assert (result.stderr, result.returncode) == ("", 1)


def test_reprocess_of_an_unknown_order_names_it_and_exits_2(tmp_path: Path) -> None:
    with running_systems(3, seed=SEED) as systems:
        config = write_config(tmp_path, config_data(systems))
        assert run(config, systems, "sync").returncode in (0, 1)
        result = run(config, systems, "reprocess", "NOSUCHREF", "--shop", SHOP)
        requests = systems.prestashop.requests_served
        again = run(config, systems, "reprocess", "NOSUCHREF", "--shop", SHOP)
        assert systems.prestashop.requests_served == requests  # nothing asked of the shop
    assert (result.stdout, result.returncode) == ("", 2)
    assert result.stderr == "mapper: order 'NOSUCHREF' is not in the ledger of shop demo\n"
    assert again.stderr == result.stderr


def test_a_number_split_carts_share_is_ambiguous_and_names_the_ids(tmp_path: Path) -> None:
    with running_systems(3, seed=SEED) as systems:
        config = write_config(tmp_path, config_data(systems))
        url = load_config(config, systems.environment()).ledger_url
        with Ledger.open(url) as ledger:
            for order_id in ("41", "42"):  # one cart, split over two orders
                ledger.observe(SHOP, order_id, "XKBKNABJK", ORDER_DATE, sendable=True)
                ledger.mark_failed(SHOP, order_id, "a reason", resolution="fix it")
            # By id, each is found; given twice, it is reprocessed once.
            assert resolve_orders(ledger, SHOP, ["42", "41", "42"]) == ["42", "41"]
        result = run(config, systems, "reprocess", "XKBKNABJK", "--shop", SHOP)
    assert (result.stdout, result.returncode) == ("", 2)
    assert result.stderr == (
        "mapper: shop demo: more than one order has that number: 'XKBKNABJK' is id 41 or "
        "id 42 (give the id)\n"
    )


def test_a_refused_shop_key_is_one_line_naming_the_setting_never_the_key(tmp_path: Path) -> None:
    wrong_key = "WRONGKEY" * 4
    with running_systems(ORDERS, seed=SEED) as systems:
        config = write_config(tmp_path, config_data(systems))
        result = run(config, systems, "sync", MAPPER_TEST_PS_KEY=wrong_key)
    assert result.stderr.splitlines() == [
        "mapper: shop demo: prestashop: access refused: the webservice key was refused: check "
        "the key in Advanced parameters > Webservice and that the webservice is enabled "
        "(PrestaShop says: Authentification key is not active (code 20); No permission for "
        "this authentication key (code 21)); check key in mapper.yaml's source section"
    ]
    assert wrong_key not in result.stdout + result.stderr
    assert result.returncode == 3


def test_a_shop_url_without_its_scheme_is_bad_configuration(tmp_path: Path) -> None:
    with running_systems(3, seed=SEED) as systems:
        config = write_config(tmp_path, config_data(systems, source={"url": "shop.example.nl"}))
        result = run(config, systems, "sync")
    assert (result.stdout, result.returncode) == ("", 2)
    assert result.stderr == (
        "mapper: shop demo: source: the shop URL must start with http:// or https://\n"
    )


@pytest.mark.parametrize(
    "command", [("recheck",), ("backfill", "--shop", SHOP, "--since", "2024-01-01")]
)
def test_recheck_and_backfill_of_an_unreachable_shop_are_one_line(
    tmp_path: Path, dead_port: int, command: tuple[str, ...]
) -> None:
    with running_systems(3, seed=SEED) as systems:
        data = config_data(systems, source={"url": f"http://127.0.0.1:{dead_port}"})
        config = write_config(tmp_path, data)
        with Ledger.open(load_config(config, systems.environment()).ledger_url) as ledger:
            ledger.observe(SHOP, "7", "QWERTYUIO", ORDER_DATE, sendable=False)  # one open order
        result = run(config, systems, *command)
    assert result.stderr.splitlines() == [
        f"mapper: shop demo: prestashop: cannot reach http://127.0.0.1:{dead_port} (connection "
        "refused); check url in mapper.yaml's source section and that prestashop is up; the "
        "next pass tries again"
    ]
    assert result.stdout == (
        f"demo: {command[0]}: 0 orders seen, 0 sent, 0 to Errors, 0 open, 0 done before; "
        "stopped: prestashop failed\n"
    )
    assert result.returncode == 3
