"""A lost ledger does not double Factuursturen's books: real `mapper sync` processes, Lightspeed
simulator → Factuursturen simulator over HTTP; the second pass, on a new ledger, adopts what
Factuursturen already holds (its invoice list paged through once, its concepts listed once)
instead of booking every order again."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mapper.connectors.factuursturen import simulator as factuursturen_sim
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.lightspeed import simulator as lightspeed_sim
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.connectors.lightspeed.simulator_data import generated_shop
from mapper.engine.ledger import Ledger, OrderRecord, OrderState
from mapper.engine.sync.config import load_config

from sync.test_sync_faults import mapper_command

SHOP = "tea"
ORDERS = 60
ENVIRONMENT = {
    "MAPPER_TEST_LS_KEY": lightspeed_sim.DEMO_KEY,
    "MAPPER_TEST_LS_SECRET": lightspeed_sim.DEMO_SECRET,
    "MAPPER_TEST_FS_KEY": factuursturen_sim.DEMO_API_KEY,
}


@dataclass
class ShopAndBooks:
    """Both simulators, running."""

    shop: LightspeedSimulator
    books: FactuursturenSimulator


@contextmanager
def running_shop_and_books(
    orders: int, seed: int, **books_options: Any
) -> Iterator[ShopAndBooks]:
    """A Lightspeed shop of `orders` generated orders and an empty Factuursturen account."""
    shop = LightspeedSimulator(generated_shop(orders, seed=seed))
    books = FactuursturenSimulator(rate_limit_hour=10**9, **books_options)
    with shop, books:
        yield ShopAndBooks(shop, books)


def write_config(
    folder: Path, systems: ShopAndBooks, *, action: str, target: dict[str, Any] | None = None
) -> Path:
    """mapper.yaml for one shop over both simulators; credentials by env reference."""
    data = {
        "ledger": "ledger.db",
        "shops": [
            {
                "name": SHOP,
                "mapping": "lightspeed-factuursturen",
                "start": "2026-01-01",
                "settings": {"factuursturen": {"action": action}},
                "source": {
                    "type": "lightspeed", "url": systems.shop.url,
                    "key": {"env": "MAPPER_TEST_LS_KEY"},
                    "secret": {"env": "MAPPER_TEST_LS_SECRET"},
                },
                "target": {
                    "type": "factuursturen", "url": systems.books.url,
                    "username": factuursturen_sim.DEMO_USERNAME,
                    "api_key": {"env": "MAPPER_TEST_FS_KEY"},
                    **(target or {}),
                },
            }
        ],
    }
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def booked_per_order(books: FactuursturenSimulator) -> Counter[str]:
    """Invoices and concepts Factuursturen holds, by the order number in their reference."""
    documents = [*books.invoices.values(), *books.saved.values()]
    return Counter(str(document["reference"]["line1"]) for document in documents)


def ledger_records(ledger_url: str) -> dict[str, OrderRecord]:
    with Ledger.open(ledger_url) as ledger:
        return {record.order_id: record for record in ledger.list_orders(SHOP)}


def run(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENVIRONMENT}
    return subprocess.run(mapper_command(config, "sync"), env=env, capture_output=True,
                          text=True, timeout=240)


@pytest.mark.parametrize("action", ["send", "save"])
def test_a_deleted_ledger_leads_to_no_second_factuursturen_invoice(
    tmp_path: Path, action: str
) -> None:
    with running_shop_and_books(ORDERS, seed=5, max_page=25) as systems:
        books = systems.books
        config = write_config(tmp_path, systems, action=action)
        ledger_url = load_config(config, ENVIRONMENT).ledger_url
        first = run(config)
        assert first.returncode in (0, 1), first.stderr
        booked = booked_per_order(books)
        sent_first = {r.order_id for r in ledger_records(ledger_url).values()
                      if r.state == OrderState.SENT}
        for name in os.listdir(tmp_path):
            if name.startswith("ledger.db"):
                os.remove(tmp_path / name)
        requests_before = len(books.requests_log)
        posts_before = len(books.posts)
        again = run(config)
        requests = books.requests_log[requests_before:]
        counts = booked_per_order(books)
        records = ledger_records(ledger_url)
        posts_again = len(books.posts) - posts_before
    assert len(sent_first) >= ORDERS // 2  # the premise: most orders were booked
    assert sum(booked.values()) == len(sent_first) and set(booked.values()) == {1}
    assert again.returncode in (0, 1), again.stderr
    assert f"{len(sent_first)} already in the accounting system (adopted)" in again.stdout
    assert posts_again == 0
    assert counts == booked
    assert {r.order_id for r in records.values() if r.state == OrderState.SENT} == sent_first
    # One listing for the period, paged (25 a page), not one look-up per order.
    listings = [path for method, path, _ in requests if method == "GET"
                and path.endswith(("/invoices", "/invoices_saved"))]
    assert len(listings) <= len(sent_first) // 25 + 3
