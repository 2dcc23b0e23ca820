"""Exactly once when the accounting system books after the client gave up: real `mapper sync`
processes against the simulators over HTTP; Yuki takes 6 s to book, the client waits 0.5 s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mapper.engine.ledger import OrderState
from mapper.engine.sync.config import load_config

from sync.sync_helpers import (
    config_data,
    invoice_counts,
    ledger_records,
    running_systems,
    write_config,
)
from sync.test_sync_faults import mapper_command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

ORDERS = 10
BOOKING_LATENCY = 6.0


def test_a_late_booking_is_waited_for_not_posted_again(tmp_path: Path) -> None:
    with running_systems(
        ORDERS, seed=9, booking_latency=BOOKING_LATENCY, unpaid_share=0.0, bad_share=0.0
    ) as systems:
        yuki = systems.yuki
        data = config_data(systems, target={"timeout": 0.5, "batch_size": 10})
        config = write_config(tmp_path, data)
        ledger_url = load_config(config, systems.environment()).ledger_url
        env = {**os.environ, **systems.environment()}
        command = mapper_command(config, "sync")

        first = subprocess.run(command, env=env, capture_output=True, text=True)
        second = subprocess.run(command, env=env, capture_output=True, text=True)
        # The premise: the second pass ran while Yuki was still booking the first post.
        assert yuki.bookings_finished == 0, "the second pass came too late to prove anything"
        states_between = {r.state for r in ledger_records(ledger_url).values()}
        assert yuki.wait_for_bookings(1, timeout=30)
        third = subprocess.run(command, env=env, capture_output=True, text=True)
        counts = invoice_counts(yuki)
        records = ledger_records(ledger_url)
    assert first.returncode in (0, 1), first.stderr
    assert "not confirmed by the accounting system now" in first.stdout + first.stderr
    assert second.returncode in (0, 1), second.stderr
    assert "waiting for the accounting system to confirm" in second.stdout + second.stderr
    assert states_between == {OrderState.SENDING}
    assert third.returncode == 0, third.stderr
    assert "10 recovered after an interruption" in third.stdout
    assert len(counts) == ORDERS and set(counts.values()) == {1}
    assert yuki.bookings_finished == 1  # one ProcessSalesInvoices in all: never posted again
    assert {r.state for r in records.values()} == {OrderState.SENT}
