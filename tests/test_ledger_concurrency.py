"""The ledger shared between processes: each order is claimed once, a shop is locked by one pass.

Real processes (spawned, so each opens its own connections) race on one ledger: a SQLite file,
then a PostgreSQL schema (the `ledger_url` fixture of tests/conftest.py).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier, Event
from queue import Queue
from typing import Any

import pytest
from mapper.engine.ledger import Ledger, OrderState, ShopLocked

SHOP = "prestashop-demo"
ORDER_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
ORDER_IDS = [str(5000 + n) for n in range(150)]
WAIT = 60  # seconds; only reached if a child process hangs

spawn = multiprocessing.get_context("spawn")


def _claim_all(url: str, seed: int, start: Barrier, results: Any) -> None:
    """Child process: claim every order (in its own order) and report which it won."""
    order_ids = list(ORDER_IDS)
    random.Random(seed).shuffle(order_ids)
    won = []
    with Ledger.open(url) as ledger:
        start.wait(WAIT)
        for order_id in order_ids:
            if ledger.claim(SHOP, order_id, f"N{order_id}", ORDER_DATE, f"worker-{seed}"):
                won.append(order_id)
                ledger.mark_sent(SHOP, order_id, f"INV-{seed}-{order_id}")
    results.put((seed, won))


def test_each_order_is_claimed_by_exactly_one_process(ledger_url: str) -> None:
    url = ledger_url
    with Ledger.open(url) as ledger:  # half of the orders were seen open before, half are new
        for order_id in ORDER_IDS[::2]:
            ledger.observe(SHOP, order_id, f"N{order_id}", ORDER_DATE, sendable=False)
    workers = 3
    start = spawn.Barrier(workers)
    results = spawn.Queue()
    processes = [
        spawn.Process(target=_claim_all, args=(url, seed, start, results))
        for seed in range(workers)
    ]
    for process in processes:
        process.start()
    won = dict(results.get(timeout=WAIT) for _ in processes)
    for process in processes:
        process.join(WAIT)
        assert process.exitcode == 0
    claimed = [order_id for orders in won.values() for order_id in orders]
    assert sorted(claimed) == sorted(ORDER_IDS)  # every order once, none twice
    with Ledger.open(url) as ledger:
        assert ledger.counts(SHOP)[OrderState.SENT] == len(ORDER_IDS)
        for record in ledger.list_orders(SHOP):
            assert record.attempts == 1
            winner = next(seed for seed, orders in won.items() if record.order_id in orders)
            assert record.target_reference == f"INV-{winner}-{record.order_id}"
            assert record.rule_version == f"worker-{winner}"


def test_threads_sharing_one_ledger_claim_each_order_once(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger:
        won: Queue[str] = Queue()
        start = threading.Barrier(4)

        def claim_all(seed: int) -> None:
            order_ids = list(ORDER_IDS[:60])
            random.Random(seed).shuffle(order_ids)
            start.wait(WAIT)
            for order_id in order_ids:
                if ledger.claim(SHOP, order_id, "N", ORDER_DATE, "v"):
                    won.put(order_id)

        threads = [threading.Thread(target=claim_all, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert sorted(won.queue) == sorted(ORDER_IDS[:60])


def _hold_lock(url: str, held: Event, done: Event, release: bool) -> None:
    """Child process: take the shop lock, say so, and either release it or die holding it."""
    ledger = Ledger.open(url)
    lock = ledger.acquire_shop_lock(SHOP, owner="scheduler-child", ttl=timedelta(minutes=10))
    held.set()
    done.wait(WAIT)
    if release:
        lock.release()
        ledger.close()
    else:
        os._exit(0)  # a crash: no release, no cleanup


def test_a_lock_held_by_one_process_refuses_another(ledger_url: str) -> None:
    url = ledger_url
    Ledger.open(url).close()
    held, done = spawn.Event(), spawn.Event()
    child = spawn.Process(target=_hold_lock, args=(url, held, done, True))
    child.start()
    try:
        assert held.wait(WAIT)
        with Ledger.open(url) as ledger, pytest.raises(ShopLocked) as refused:
            ledger.acquire_shop_lock(SHOP, owner="cli")
        assert "shop 'prestashop-demo' is locked by 'scheduler-child' since" in str(refused.value)
    finally:
        done.set()
        child.join(WAIT)
    assert child.exitcode == 0
    with Ledger.open(url) as ledger, ledger.shop_lock(SHOP, owner="cli") as lock:
        assert lock.owner == "cli"


def test_the_lock_of_a_dead_process_is_taken_over_after_its_ttl(ledger_url: str) -> None:
    url = ledger_url
    Ledger.open(url).close()
    held, done = spawn.Event(), spawn.Event()
    child = spawn.Process(target=_hold_lock, args=(url, held, done, False))
    child.start()
    assert held.wait(WAIT)
    done.set()
    child.join(WAIT)
    assert child.exitcode == 0
    with Ledger.open(url) as ledger, pytest.raises(ShopLocked, match="'scheduler-child'"):
        ledger.acquire_shop_lock(SHOP, owner="next pass")  # the ttl has not run out yet

    def eleven_minutes_later() -> datetime:
        return datetime.now(UTC) + timedelta(minutes=11)

    # A worker whose own clock runs 11 minutes ahead does not decide: the database's clock does.
    with (
        Ledger.open(url, clock=eleven_minutes_later) as ledger,
        pytest.raises(ShopLocked, match="'scheduler-child'"),
    ):
        ledger.acquire_shop_lock(SHOP, owner="skewed pass")
    with (
        Ledger.open(url, db_clock=lambda _connection: eleven_minutes_later()) as ledger,
        ledger.shop_lock(SHOP, owner="next pass") as lock,
    ):
        assert lock.owner == "next pass"
        assert lock.generation == 2  # the fencing token: one more than the dead holder's


def _open_fresh(url: str, start: Barrier, results: Any) -> None:
    start.wait(WAIT)
    with Ledger.open(url) as ledger:
        results.put(ledger.counts()[OrderState.OPEN])


def test_processes_opening_a_new_ledger_at_once_migrate_it_once(ledger_url: str) -> None:
    url = ledger_url
    start, results = spawn.Barrier(3), spawn.Queue()
    processes = [spawn.Process(target=_open_fresh, args=(url, start, results)) for _ in range(3)]
    for process in processes:
        process.start()
    assert [results.get(timeout=WAIT) for _ in processes] == [0, 0, 0]
    for process in processes:
        process.join(WAIT)
        assert process.exitcode == 0
