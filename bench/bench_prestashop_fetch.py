"""How fast PrestaShopClient fetches orders, and that its memory stays flat (it streams).

Runs the PrestaShop simulator in a child process (so tracemalloc sees only the client) with
generated orders and a fixed latency per request, then fetches every order twice — by window
paging (`iter_orders_changed`) and by `filter[id]` batches (`fetch_orders`) — printing orders per
second and requests made; then repeats both with tracemalloc on, for 1,000 orders and for all of
them, to compare the peak memory.

    python bench/bench_prestashop_fetch.py [--orders 10000] [--latency 0.02] [--page-size 100]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.synchronize import Event
from typing import Any

from mapper.connectors.prestashop.client import PrestaShopClient
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator

WINDOW = (datetime(2000, 1, 1), datetime(2100, 1, 1))


@dataclass
class Result:
    mode: str
    orders: int
    seconds: float
    requests: int
    peak_bytes: int | None


def _serve(orders: int, latency: float, urls: Any, stop: Event) -> None:
    simulator = PrestaShopSimulator(latency=latency)
    simulator.add_generated(orders, seed=1)
    simulator.start()
    urls.put(simulator.url)
    stop.wait()
    simulator.stop()


def _fetch(url: str, mode: str, orders: int, size: int, trace: bool) -> Result:
    with PrestaShopClient(url, PrestaShopSimulator.DEMO_KEY, timeout=30.0) as client:
        client.order_states()  # warm up: connection, and the simulator's date index
        client.requests_made = 0
        documents: Callable[[], Iterator[dict[str, Any]]]
        if mode == "window paging":
            documents = lambda: client.iter_orders_changed(*WINDOW, page_size=size)  # noqa: E731
        else:
            documents = lambda: client.fetch_orders(range(1, orders + 1), batch_size=size)  # noqa: E731
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        count = 0
        for _ in documents():
            count += 1  # documents are dropped at once, as a sync pass would after mapping one
        seconds = time.perf_counter() - started
        peak = None
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return Result(mode, count, seconds, client.requests_made, peak)


def _run(orders: int, latency: float, size: int, trace: bool) -> list[Result]:
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(orders, latency, urls, stop), daemon=True)
    server.start()
    try:
        url = urls.get(timeout=60)
        return [_fetch(url, mode, orders, size, trace)
                for mode in ("window paging", "filter[id] batches")]
    finally:
        stop.set()
        server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()

    print(f"PrestaShop fetch: {args.orders} generated orders, {args.latency * 1000:g} ms latency "
          f"per request, pages / batches of {args.page_size}")
    print(f"{'mode':<20} {'orders':>7} {'seconds':>8} {'orders/s':>9} {'requests':>9} "
          f"{'req/100 orders':>15}")
    for result in _run(args.orders, args.latency, args.page_size, trace=False):
        print(f"{result.mode:<20} {result.orders:>7} {result.seconds:>8.2f} "
              f"{result.orders / result.seconds:>9.0f} {result.requests:>9} "
              f"{100 * result.requests / max(result.orders, 1):>15.1f}")

    print("\npeak memory of the client while fetching (tracemalloc, MiB):")
    sizes = sorted({min(1_000, args.orders), args.orders})
    peaks: dict[str, list[str]] = {}
    for orders in sizes:
        for result in _run(orders, args.latency, args.page_size, trace=True):
            assert result.peak_bytes is not None
            peaks.setdefault(result.mode, []).append(
                f"{orders} orders: {result.peak_bytes / 2**20:.2f}"
            )
    for mode, figures in peaks.items():
        print(f"  {mode:<20} " + "   ".join(figures))


if __name__ == "__main__":
    main()
