"""The Open list says which shop state keeps each order open, and follows the shop's changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from mapper.cli import main
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.simulation import Faults
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import load_config
from mapper.engine.sync.pipeline import ShopSync

INVOICING = "2, 3, 4, 5, 9, 12"  # the prestashop rule set's default invoice_states
AWAITING_BANK_WIRE, CANCELLED = 10, 6


@pytest.fixture()
def shop() -> Iterator[PrestaShopSimulator]:
    simulator = PrestaShopSimulator(faults=Faults())
    simulator.add_generated(
        12, seed=3, start=dt.datetime(2026, 2, 2, 8), interval_seconds=3600,
        unpaid_share=0.5, bad_share=0.0,
    )
    with simulator:
        yield simulator


@pytest.fixture()
def yuki() -> Iterator[YukiSimulator]:
    with YukiSimulator() as simulator:
        yield simulator


def _config(folder: Path, shop: PrestaShopSimulator, yuki: YukiSimulator) -> Path:
    access_key, administration = yuki.seed_demo()
    data = {
        "ledger": "ledger.db",
        "shops": [
            {
                "name": "webshop",
                "mapping": "prestashop-yuki",
                "start": "2026-02-01",
                "source": {"type": "prestashop", "url": shop.url, "key": {"env": "TEST_PS_KEY"}},
                "target": {
                    "type": "yuki",
                    "url": yuki.url,
                    "access_key": {"env": "TEST_YUKI_KEY"},
                    "administration_id": administration,
                },
            }
        ],
    }
    (folder / "mapper.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder / "mapper.yaml"


def test_the_shop_state_is_recorded_and_follows_the_shop(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    monkeypatch.setenv("TEST_YUKI_KEY", yuki.seed_demo()[0])
    config_path = _config(tmp_path, shop, yuki)
    config = load_config(config_path)
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        try:
            sync.sync()
            opened = list(ledger.list_orders("webshop", OrderState.OPEN))
            assert opened
            first = opened[0]
            state = shop.order(int(first.order_id))["current_state"]  # type: ignore[index]
            assert first.reason == (
                f"order state {state} is not one of the invoicing states {INVOICING}"
            )
            moved_to = CANCELLED if str(state) == str(AWAITING_BANK_WIRE) else AWAITING_BANK_WIRE
            shop.set_order_state(int(first.order_id), moved_to)
            sync.recheck()
        finally:
            sync.close()
        record = ledger.get_order("webshop", first.order_id)
    assert record is not None and record.state == OrderState.OPEN
    assert record.reason == f"order state {moved_to} is not one of the invoicing states {INVOICING}"
    assert record.updated_at > first.updated_at  # "since": when mapper saw the new state

    result = CliRunner().invoke(
        main,
        ["status", "--config", str(config_path), "--shop", "webshop", "--list", "open"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if f"  {first.order_id}  " in line)
    assert row.startswith(f"{record.number}  ")
    assert f"order state {moved_to} is not one of the invoicing states {INVOICING}" in row
