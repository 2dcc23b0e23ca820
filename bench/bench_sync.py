"""Benchmark: the sync pipeline, PrestaShop simulator → Yuki simulator, over real HTTP.

Run: python bench/bench_sync.py [--orders 10000] [--latency 0.02] [--memory-orders 2000]

Prints, for one sync pass of N generated orders: wall time, orders per second and requests per
order on each system; peak Python memory of the pipeline (tracemalloc) for N and for a smaller
pass, to show it does not grow with the number of orders; and the nightly re-check of N open
orders of which most have meanwhile been paid; for each pass also the ledger's SQL statements
per order (counted with SQLAlchemy's `before_cursor_execute` event: one per statement the
driver runs, an executemany counting once). Aims (issue 10): N = 10,000 synced in under 15 s
and re-checked in under 8 s at 20 ms per request.

The simulators run in a child process (they are other machines in real life): the figures are
the pipeline's own CPU and memory plus the simulators' latency, not the simulators' work
competing for this process's GIL. The ledger is a SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapper.engine.ledger import Ledger  # noqa: E402
from mapper.engine.sync.config import ShopConfig, parse_config  # noqa: E402
from mapper.engine.sync.pipeline import PassReport, ShopSync  # noqa: E402

PAYMENT_ACCEPTED = 2  # PrestaShop order state
PAID_SHARE = 0.9  # of the open orders, paid before the re-check
SYNC_AIM = 15.0  # seconds for 10,000 orders
RECHECK_AIM = 8.0


class StatementCount:
    """SQL statements run by any Engine of this process (only the ledger's here)."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._counted)

    def _counted(self, *_args: Any) -> None:
        self.count += 1


STATEMENTS = StatementCount()


# -- the simulators, in a child process --------------------------------------------------------
def serve(connection: Connection, orders: int, latency: float, unpaid_share: float) -> None:
    """Child process: both simulators, answering the parent's commands until "stop"."""
    from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
    from mapper.connectors.yuki.simulator import YukiSimulator

    shop = PrestaShopSimulator(latency=latency)
    batch = shop.add_generated(orders, seed=2024, unpaid_share=unpaid_share)
    yuki = YukiSimulator(latency=latency, daily_limit=10**9)
    key, administration = yuki.seed_demo()
    with shop, yuki:
        connection.send((shop.url, shop.DEMO_KEY, yuki.url, key, administration))
        while True:
            command = connection.recv()
            if command == "stats":
                subjects = Counter(str(i["subject"]) for i in yuki.invoices)
                twice = sum(1 for count in subjects.values() if count > 1)
                connection.send((shop.requests_served, yuki.requests_served, len(subjects), twice))
            elif command == "pay":
                ids = [i for n, i in enumerate(batch.order_ids) if n % 10 < PAID_SHARE * 10]
                for order_id in ids:
                    shop.set_order_state(order_id, PAYMENT_ACCEPTED)
                connection.send(len(ids))
            else:
                connection.send(None)
                return


@dataclass
class Stats:
    shop_requests: int
    yuki_requests: int
    invoices: int
    invoiced_twice: int


class Systems:
    """The parent's handle on the child process's simulators."""

    def __init__(self, connection: Connection, shop_config: ShopConfig) -> None:
        self._connection = connection
        self.shop = shop_config

    def ask(self, command: str) -> Any:
        self._connection.send(command)
        return self._connection.recv()

    def stats(self) -> Stats:
        return Stats(*self.ask("stats"))


@contextmanager
def simulators(orders: int, latency: float, unpaid_share: float, folder: Path) -> Iterator[Systems]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(child, orders, latency, unpaid_share))
    process.start()
    try:
        shop_url, shop_key, yuki_url, yuki_key, administration = parent.recv()
        config = parse_config(
            {
                "ledger": "ledger.db",
                "shops": [
                    {
                        "name": "bench",
                        "mapping": "prestashop-yuki",
                        "start": "2024-01-01",
                        "source": {"type": "prestashop", "url": shop_url, "key": {"env": "PS"}},
                        "target": {
                            "type": "yuki",
                            "url": yuki_url,
                            "access_key": {"env": "YUKI"},
                            "administration_id": administration,
                        },
                    }
                ],
            },
            folder,
            environ={"PS": shop_key, "YUKI": yuki_key},
        )
        systems = Systems(parent, config.shops[0])
        yield systems
        systems.ask("stop")
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


@contextmanager
def shop_sync(systems: Systems, folder: Path) -> Iterator[ShopSync]:
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        sync = ShopSync(systems.shop, ledger)
        try:
            yield sync
        finally:
            sync.close()


# -- the measurements ----------------------------------------------------------------------------
@dataclass
class Pass:
    report: PassReport
    seconds: float
    shop_requests: int
    yuki_requests: int
    invoices: int
    invoiced_twice: int
    peak_mib: float | None = None
    statements: int = 0


def timed(systems: Systems, job: Any, *, trace: bool = False) -> Pass:
    before = systems.stats()
    if trace:
        tracemalloc.start()
    statements = STATEMENTS.count
    started = time.perf_counter()
    report = job()
    seconds = time.perf_counter() - started
    statements = STATEMENTS.count - statements
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    after = systems.stats()
    return Pass(
        report,
        seconds,
        after.shop_requests - before.shop_requests,
        after.yuki_requests - before.yuki_requests,
        after.invoices,
        after.invoiced_twice,
        peak,
        statements,
    )


def sync_pass(orders: int, latency: float, *, trace: bool = False) -> Pass:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with simulators(orders, latency, 0.15, folder) as systems, shop_sync(
            systems, folder
        ) as sync:
            return timed(systems, sync.sync, trace=trace)


def recheck(orders: int, latency: float) -> tuple[Pass, Pass, int]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with simulators(orders, latency, 1.0, folder) as systems, shop_sync(
            systems, folder
        ) as sync:
            first = timed(systems, sync.sync)
            paid = int(systems.ask("pay"))
            again = timed(systems, sync.recheck)
            return first, again, paid


def line(label: str, run: Pass, orders: int) -> str:
    r = run.report
    return (
        f"{label:<28} {run.seconds:7.1f} s  {orders / run.seconds:6.0f} orders/s  "
        f"sent {r.sent}, open {r.open}, errors {r.failed}, done before {r.done_before}; "
        f"requests/order: shop {run.shop_requests / orders:.3f}, "
        f"Yuki {run.yuki_requests / orders:.3f}; ledger statements/order "
        f"{run.statements / orders:.2f}; invoices {run.invoices} ({run.invoiced_twice} twice)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument(
        "--memory-orders", type=int, default=2_000, help="the smaller pass for memory (0: skip)"
    )
    args = parser.parse_args()
    n = args.orders

    print(f"sync pass, {n} orders, {args.latency * 1000:.0f} ms per request:")
    full = sync_pass(n, args.latency)
    print(line(f"  sync {n}", full, n))
    aim = SYNC_AIM * n / 10_000
    verdict = "met" if full.seconds < aim else "MISSED"
    print(f"  aim: {n} orders in < {aim:.1f} s (scaled from {SYNC_AIM:.0f} s): {verdict}")

    if args.memory_orders:
        print("peak Python memory of the pipeline (tracemalloc; slower while tracing):")
        for size in (args.memory_orders, n):
            traced = sync_pass(size, args.latency, trace=True)
            print(f"  sync {size:>6}: peak {traced.peak_mib:6.1f} MiB ({traced.seconds:.1f} s)")

    print(f"re-check of {n} open orders, {PAID_SHARE:.0%} of them paid meanwhile:")
    first, again, paid = recheck(n, args.latency)
    print(line("  first pass (all open)", first, n))
    print(line(f"  recheck ({paid} paid)", again, n))
    aim = RECHECK_AIM * n / 10_000
    verdict = "met" if again.seconds < aim else "MISSED"
    print(f"  aim: re-check of {n} in < {aim:.1f} s (scaled from {RECHECK_AIM:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
