"""How fast the ledger is on a SQLite file: per-order bookkeeping, lists, and racing processes.

Run from the repository root: `python -m bench.bench_ledger [--orders N] [--listed N]`.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.ledger.database import connect, parse_url
from mapper.engine.ledger.tables import orders
from sqlalchemy import insert

SHOP = "bench-shop"
ORDER_DATE = datetime(2024, 1, 1, tzinfo=UTC)
SENT = OrderState.SENT


def _per_order(url: str, count: int) -> None:
    with Ledger.open(url) as ledger:
        began = time.perf_counter()
        for n in range(count):
            order_id = str(n)
            ledger.observe(SHOP, order_id, f"N{n}", ORDER_DATE, sendable=True)
            ledger.claim(SHOP, order_id, f"N{n}", ORDER_DATE, "bench@1")
            ledger.mark_sent(SHOP, order_id, f"INV-{n}")
        seconds = time.perf_counter() - began
    print(
        f"observe+claim+mark_sent: {count} orders in {seconds:.2f} s = "
        f"{count / seconds:.0f} orders/s ({seconds / count / 3 * 1000:.2f} ms per transaction)"
    )


def _fill(url: str, count: int) -> None:
    """Bulk rows for the list figures (one transaction; not what the pipeline does)."""
    Ledger.open(url).close()  # creates the tables
    engine = connect(parse_url(url), busy_timeout=timedelta(seconds=30))
    now = datetime.now(UTC)
    states = [OrderState.SENT] * 8 + [OrderState.OPEN, OrderState.FAILED]
    rows = [
        {
            "shop": SHOP,
            "order_id": f"L{n}",
            "number": f"N{n}",
            "order_date": ORDER_DATE,
            "state": states[n % len(states)].value,
            "reprocess_requested": False,
            "attempts": 1,
            "first_seen_at": now,
            "updated_at": now - timedelta(seconds=n),
            "sent_at": now if states[n % len(states)] is OrderState.SENT else None,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(orders), rows)
    engine.dispose()


def _lists(url: str, count: int) -> None:
    _fill(url, count)
    with Ledger.open(url) as ledger:
        figures: list[tuple[str, Callable[[], int]]] = [
            ("counts(shop)", lambda: sum(ledger.counts(SHOP).values())),
            (
                "list_orders(shop, SENT, limit=50)",
                lambda: _count(ledger.list_orders(SHOP, SENT, limit=50)),
            ),
            ("list_orders(shop, SENT), all", lambda: _count(ledger.list_orders(SHOP, SENT))),
            ("list_orders(limit=50), all shops", lambda: _count(ledger.list_orders(limit=50))),
            (
                "list_orders(shop, [SENT, FAILED], limit=50)",
                lambda: _count(ledger.list_orders(SHOP, [SENT, OrderState.FAILED], limit=50)),
            ),
            ("list_orders(), all", lambda: _count(ledger.list_orders())),
            ("open_order_ids(shop), all", lambda: _count(ledger.open_order_ids(SHOP))),
        ]
        for label, run in figures:
            began = time.perf_counter()
            size = run()
            seconds = time.perf_counter() - began
            print(f"{label}: {seconds * 1000:.1f} ms ({size} items; {count} rows in the table)")


def _count(items: Iterable[object]) -> int:
    return sum(1 for _ in items)


def _race(url: str, seed: int, count: int, start: Barrier, results: Any) -> None:
    won = 0
    with Ledger.open(url) as ledger:
        start.wait()
        for n in range(count):
            order_id = f"R{(n * (seed + 1)) % count}"
            if ledger.claim(SHOP, order_id, "N", ORDER_DATE, "bench@1"):
                won += 1
    results.put(won)


def _racing(url: str, count: int, workers: int) -> None:
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(workers + 1), spawn.Queue()
    processes = [
        spawn.Process(target=_race, args=(url, seed, count, start, results))
        for seed in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    won = [results.get() for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    print(
        f"{workers} processes racing to claim the same {count} orders: {sum(won)} claims "
        f"(split {won}), {workers * count} claim calls in {seconds:.2f} s = "
        f"{workers * count / seconds:.0f} calls/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--listed", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _per_order(f"sqlite:///{Path(folder) / 'per-order.db'}", args.orders)
        _lists(f"sqlite:///{Path(folder) / 'lists.db'}", args.listed)
        _racing(f"sqlite:///{Path(folder) / 'race.db'}", args.orders, args.workers)


if __name__ == "__main__":
    main()
