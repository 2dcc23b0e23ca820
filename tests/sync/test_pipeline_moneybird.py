"""The sync pipeline over real sockets: PrestaShop simulator → Moneybird simulator. Every paid order
is booked once, as the rules say, on one contact per customer — also when Moneybird's answers
get lost or it asks to slow down."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.moneybird.simulator import DEMO_TOKEN, MoneybirdSimulator
from mapper.connectors.prestashop.simulator.data import OrderBatch, fetched_document
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults
from mapper.engine.errors import MappingError
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.config import Config, parse_config
from mapper.engine.sync.pipeline import ShopSync

MAPPING = "prestashop-moneybird"
MAX_PASSES = 8


def config_for(folder: Path, shop: PrestaShopSimulator, books: MoneybirdSimulator) -> Config:
    return parse_config(
        {
            "ledger": "ledger.db",
            "shops": [
                {
                    "name": "tea",
                    "mapping": MAPPING,
                    "start": "2024-01-01",
                    "source": {"type": "prestashop", "url": shop.url,
                               "key": {"env": "PS_KEY"}},
                    "target": {"type": "moneybird", "url": books.url,
                               "administration_id": books.administration_id,
                               "token": {"env": "MB_TOKEN"}, "timeout": 1,
                               # its answers are cut short at once, not booked late
                               "settle_seconds": 0},
                }
            ],
        },
        folder,
        environ={"PS_KEY": PrestaShopSimulator.DEMO_KEY, "MB_TOKEN": DEMO_TOKEN},
    )


def expected_references(batch: OrderBatch) -> dict[str, str]:
    """Order id → the reference of its sales invoice, for the orders the rules book."""
    pair = Pair.load(MAPPING)
    found = {}
    for record in batch:
        try:
            outcome = pair.map(fetched_document(record))
        except MappingError:  # bad input: it lands in Errors
            continue
        if isinstance(outcome, Payload):
            found[str(record.order["id"])] = outcome.body["sales_invoice"]["reference"]
    return found


@pytest.fixture()
def shop() -> Iterator[tuple[PrestaShopSimulator, OrderBatch]]:
    simulator = PrestaShopSimulator(faults=Faults())
    batch = simulator.add_generated(
        24, seed=11, start=dt.datetime(2024, 1, 6, 8), interval_seconds=3600,
        unpaid_share=0.25, bad_share=0.15,
    )
    with simulator:
        yield simulator, batch


def booked(books: MoneybirdSimulator) -> Counter[str]:
    return Counter(str(invoice["reference"]) for invoice in books.invoices.values())


def run_until_done(config: Config, retry: RetryPolicy) -> Any:
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger, retry=retry)
        try:
            for _ in range(MAX_PASSES):
                sync.sync()
                if not ledger.counts("tea").get(OrderState.SENDING):
                    break
        finally:
            sync.close()
        return ledger.counts("tea"), {r.order_id: r for r in ledger.list_orders("tea")}


def test_every_paid_order_is_booked_once_on_one_contact_per_customer(
    tmp_path: Path, shop: tuple[PrestaShopSimulator, OrderBatch]
) -> None:
    prestashop, batch = shop
    expected = expected_references(batch)
    with MoneybirdSimulator() as books:
        config = config_for(tmp_path, prestashop, books)
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger)
            first = sync.sync()
            second = sync.sync()
            sync.close()
            sent = {r.order_id: r for r in ledger.list_orders("tea", OrderState.SENT)}
        assert first.seen == 24 and first.sent == len(expected) and second.sent == 0
        assert booked(books) == Counter(expected.values())
        assert set(sent) == set(expected)
        assert {r.target_reference for r in sent.values()} == set(books.invoices)
        # One contact per customer: as many as the booked orders have customers, none twice.
        customers = {str(record.order["id_customer"]) for record in batch
                     if str(record.order["id"]) in expected}
        assert sorted(c["customer_id"] for c in books.contacts.values()) == sorted(customers)
        assert all(invoice["state"] == "draft" for invoice in books.invoices.values())


def test_lost_answers_and_429s_never_book_an_order_twice(
    tmp_path: Path, shop: tuple[PrestaShopSimulator, OrderBatch]
) -> None:
    prestashop, batch = shop
    expected = expected_references(batch)
    faults = Faults(rate=0.25, kinds=("truncated", "500", "429"), seed=5, retry_after=0.0)
    retry = RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0, jitter=0.0,
                        sleep=lambda _: None)
    with MoneybirdSimulator(faults=faults) as books:
        counts, records = run_until_done(config_for(tmp_path, prestashop, books), retry)
        for _ in range(MAX_PASSES):  # what landed in Errors for Moneybird's faults, again
            if counts.get(OrderState.SENT, 0) == len(expected):
                break
            counts, records = run_until_done(config_for(tmp_path, prestashop, books), retry)
        injected = books.requests_served - len(books.requests_log)
    assert injected > 0  # faults really happened
    assert set(booked(books).values()) == {1}  # never two invoices for one order
    sent = {oid for oid, r in records.items() if r.state == OrderState.SENT}
    assert sent == set(expected) and len(books.invoices) == len(expected)
    assert {books.invoices[records[oid].target_reference]["reference"] for oid in sent} == {
        expected[oid] for oid in sent}
    customers = [c["customer_id"] for c in books.contacts.values()]
    assert len(customers) == len(set(customers))  # never two contacts for one customer
