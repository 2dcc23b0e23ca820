"""Exactly once, under real failures: `mapper sync` killed with SIGKILL in the middle of passes,
and passes against systems that fail one request in five (500, 429, hangs, cut-off bodies).

Real processes and real sockets: the PrestaShop and Yuki simulators serve on loopback from this
process; the killed passes are `mapper sync` subprocesses on a SQLite ledger. After all of it,
every order the rules would invoice has exactly one invoice in Yuki, every order the checks
turn away is in Errors with the check's message, and nothing is left in `sending`.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mapper.connectors.errors import ConnectorError
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.ledger.errors import ShopLocked
from mapper.engine.sync.config import load_config
from mapper.engine.sync.pipeline import PassReport, ShopSync

from sync.sync_helpers import (  # tests/ is on sys.path: pytest puts it there
    SHOP,
    SlowFirstPostYuki,
    config_data,
    expected_outcomes,
    invoice_counts,
    ledger_records,
    running_systems,
    take_over_lock,
    verify,
    write_config,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

ORDERS = 300
KILLED_ORDERS = 500
KILLS = 10
SEED = 20240605
# Seconds after a pass first changes the ledger: it claims, posts and marks ~100 orders in
# about half a second, and first resolves what the pass before it left in `sending`.
KILL_AFTER = (0.0, 0.7)
PASS_DEADLINE = 30.0
SUMMARY = re.compile(r"(\d+) sent, (\d+) to Errors")


def mapper_command(config: Path, *args: str) -> list[str]:
    found = shutil.which("mapper", path=str(Path(sys.executable).parent))
    entry = [found] if found else [sys.executable, "-c", "from mapper.cli import main; main()"]
    return [*entry, *args, "--config", str(config)]


@dataclass
class Kill:
    """What one killed pass left behind: orders in `sending`, and how many of them Yuki had
    already booked (killed between post and mark_sent) or not (between claim and post)."""

    after: float
    finished_first: bool
    sent: int
    sending: int
    booked: int


def killed_pass(
    command: list[str], env: dict[str, str], ledger: Ledger, after: float, *, on_claim: bool
) -> bool:
    """Run one pass and SIGKILL it `after` seconds after it first changed the ledger (so every
    kill lands once the pass is at work, however fast this machine) — with `on_claim`, after
    it first holds orders claimed (`sending`), the window a kill must hit at least once for
    the test to prove anything; True if it finished first."""
    before = ledger.counts(SHOP)

    def waiting(counts: dict[OrderState, int]) -> bool:
        # (what the pass before left in `sending` is there from the start: not this pass's)
        return counts == before or (on_claim and counts[OrderState.SENDING] == 0)

    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + PASS_DEADLINE
    while process.poll() is None and waiting(ledger.counts(SHOP)):
        assert time.monotonic() < deadline, "the pass neither changed the ledger nor ended"
        time.sleep(0.01)
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return False
    return True


def lock_held(ledger: Ledger) -> bool:
    """Whether a pass holds the shop's lock (taken and given back at once to find out)."""
    try:
        probe = ledger.acquire_shop_lock(SHOP, owner="the test's probe")
    except ShopLocked:
        return True
    probe.release()
    return False


def test_sigkill_in_the_middle_of_passes_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with running_systems(
        KILLED_ORDERS, seed=SEED, latency=0.02, unpaid_share=0.2, bad_share=0.1
    ) as systems:
        expected = expected_outcomes(systems.orders)
        subjects = {e.order_id: e.subject for e in expected.values()}
        # Settle time 0: these posts are answered at once (no late booking), so an order a
        # killed pass left unposted is posted by the next one (test_late_booking covers 15 min).
        config = write_config(tmp_path, config_data(systems, target={"settle_seconds": 0}))
        ledger_url = load_config(config, systems.environment()).ledger_url
        env = {**os.environ, **systems.environment()}
        command = mapper_command(config, "sync")

        kills: list[Kill] = []
        # Opened (and so created) here; the passes open the same file.
        with Ledger.open(ledger_url) as watcher:
            for number in range(KILLS):
                # Every other pass is killed as soon as it is seen holding claimed orders: a
                # fast machine may otherwise finish the first pass's work before any kill.
                on_claim = number % 2 == 0
                after = 0.0 if on_claim else rng.uniform(*KILL_AFTER)
                finished = killed_pass(command, env, watcher, after, on_claim=on_claim)
                records = ledger_records(ledger_url)
                invoices = invoice_counts(systems.yuki)
                sending = [i for i, r in records.items() if r.state == OrderState.SENDING]
                booked = sum(1 for i in sending if invoices[subjects[i]])
                sent = sum(1 for r in records.values() if r.state == OrderState.SENT)
                kills.append(Kill(round(after, 2), finished, sent, len(sending), booked))
                assert all(count == 1 for count in invoices.values()), "an order invoiced twice"
                held = not finished and lock_held(watcher)
                # A pass killed at work holds the shop's lock (one killed as it was exiting,
                # its work done and the lock given back, may not): orders in `sending` mean
                # it was at work.
                assert held or not sending, kills[-1]
                if number == 0 and held:
                    # The dead pass still holds the shop's lock: no second pass may start.
                    refused = subprocess.run(command, env=env, capture_output=True, text=True)
                    assert refused.returncode == 2
                    assert "is locked by" in refused.stderr
                take_over_lock(ledger_url)

        final = subprocess.run(command, env=env, capture_output=True, text=True)
        assert final.returncode in (0, 1), final.stderr
        # Nothing new to do: neither for a pass from the cursor, nor for a re-check that
        # fetches every open order again.
        for job in ("sync", "recheck"):
            again = subprocess.run(
                mapper_command(config, job), env=env, capture_output=True, text=True
            )
            assert again.returncode == 0, again.stderr
            assert [m.groups() for m in SUMMARY.finditer(again.stdout)] == [("0", "0")], (
                again.stdout
            )

        verdict = verify(expected, ledger_records(ledger_url), invoice_counts(systems.yuki))
    print(f"\nkills: {kills}\nfinal pass: {final.stdout.strip()}")
    print(f"sent {verdict.sent}, rejected {verdict.rejected}, open {verdict.open}; "
          f"in Errors to check in Yuki: {verdict.check_in_target}")
    assert verdict.problems == []
    assert verdict.sent + len(verdict.check_in_target) == sum(
        1 for e in expected.values() if e.verdict == "send"
    )
    # The test proves something only if some kill caught orders between claim and mark_sent.
    assert sum(k.sending for k in kills) > 0, kills


# -- one request in five fails ---------------------------------------------------------------------
CLIENT_TIMEOUT = 0.5
MAX_PASSES = 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_fifth_of_requests_failing_still_invoices_each_order_once(
    tmp_path: Path, seed: int
) -> None:
    def faults(offset: int) -> Faults:
        return Faults(
            rate=0.2, seed=seed * 10 + offset, retry_after=0.05, hang_seconds=CLIENT_TIMEOUT + 0.1
        )

    with running_systems(
        ORDERS, seed=seed, faults=faults(0), yuki_faults=faults(1), unpaid_share=0.2, bad_share=0.1
    ) as systems:
        expected = expected_outcomes(systems.orders)
        # Small pages and batches: many more requests, so many more of them fail.
        data = config_data(
            systems,
            source={"timeout": CLIENT_TIMEOUT, "page_size": 25},
            target={"timeout": CLIENT_TIMEOUT, "batch_size": 10, "settle_seconds": 0},
        )
        config = load_config(write_config(tmp_path, data), systems.environment())
        retry = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, jitter=0.0)
        reports: list[PassReport | str] = []
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger, retry=retry)
            try:
                for _ in range(MAX_PASSES):
                    try:
                        report = sync.sync()
                    except ConnectorError as error:  # the shop failed past every retry
                        reports.append(f"pass abandoned: {error}")
                        continue
                    reports.append(report)
                    if report.uncertain == 0:
                        break
            finally:
                sync.close()
        assert isinstance(reports[-1], PassReport), reports
        assert reports[-1].uncertain == 0, reports
        verdict = verify(expected, ledger_records(config.ledger_url), invoice_counts(systems.yuki))
        served = (systems.prestashop.requests_served, systems.yuki.requests_served)
    print(f"\nseed {seed}: requests served (shop, Yuki) {served}")
    for entry in reports:
        print(f"  {entry.summary() if isinstance(entry, PassReport) else entry}")
    assert verdict.problems == []
    assert verdict.check_in_target == {}
    assert verdict.sent == sum(1 for e in expected.values() if e.verdict == "send")
    assert verdict.rejected == sum(1 for e in expected.values() if e.verdict == "reject") > 0


# -- a post that outlives the client's timeout -----------------------------------------------------
def test_a_post_still_running_after_its_timeout_is_never_sent_twice(tmp_path: Path) -> None:
    """Yuki books a batch after the client gave up waiting. Looking it up right away finds
    nothing, yet posting it again would book it twice: it is left in `sending`, and the next
    pass finds it booked."""
    with running_systems(
        40, seed=5, yuki_class=SlowFirstPostYuki, unpaid_share=0.0, bad_share=0.0
    ) as systems:
        yuki = systems.yuki
        assert isinstance(yuki, SlowFirstPostYuki)
        expected = expected_outcomes(systems.orders)
        data = config_data(systems, target={"timeout": 0.2, "batch_size": 10})
        config = load_config(write_config(tmp_path, data), systems.environment())
        retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, jitter=0.0)
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger, retry=retry)
            try:
                first = sync.sync()
                assert yuki.slow_post_done.wait(timeout=10)
                second = sync.sync()
            finally:
                sync.close()
        verdict = verify(expected, ledger_records(config.ledger_url), invoice_counts(yuki))
    assert verdict.problems == []
    assert verdict.sent == 40
    assert (first.sent, first.uncertain) == (30, 10)
    assert (second.recovered, second.uncertain) == (10, 0)
