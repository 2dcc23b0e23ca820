"""A lost ledger does not double the books: a pass on a ledger without the shop's history
first adopts what Yuki already holds (one archive listing per window), over real HTTP with
real `mapper` processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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

ORDERS = 200


def test_a_deleted_ledger_leads_to_no_second_invoice(tmp_path: Path) -> None:
    with running_systems(ORDERS, seed=4, unpaid_share=0.0, bad_share=0.0) as systems:
        config = write_config(tmp_path, config_data(systems))
        ledger_url = load_config(config, systems.environment()).ledger_url
        env = {**os.environ, **systems.environment()}
        first = subprocess.run(mapper_command(config, "sync"), env=env, capture_output=True,
                               text=True)
        assert first.returncode == 0, first.stderr
        booked = sum(invoice_counts(systems.yuki).values())
        for name in os.listdir(tmp_path):
            if name.startswith("ledger.db"):
                os.remove(tmp_path / name)
        searches_before = systems.yuki.operations_served.count("SearchDocuments")
        again = subprocess.run(mapper_command(config, "sync"), env=env, capture_output=True,
                               text=True)
        searches = systems.yuki.operations_served.count("SearchDocuments") - searches_before
        counts = invoice_counts(systems.yuki)
        records = ledger_records(ledger_url)
    assert booked == ORDERS
    assert again.returncode == 0, again.stderr
    assert f"{ORDERS} already in the accounting system (adopted)" in again.stdout
    assert sum(counts.values()) == ORDERS and set(counts.values()) == {1}
    assert {r.state for r in records.values()} == {OrderState.SENT}
    assert searches < ORDERS // 4  # one listing per 31-day window, not one look-up per order
