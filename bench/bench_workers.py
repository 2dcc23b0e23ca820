"""How mapper's workers scale: N shops x M orders synced by 1, 2 and 4 `mapper worker`
processes on a Redis broker and a PostgreSQL ledger, every request to the simulators slowed by
a latency (default 20 ms).

Run from the repository root, with the test services up (`. tests/support/services.sh &&
start_test_services`, or MAPPER_TEST_POSTGRES_URL set):

    python -m bench.bench_workers [--shops 200] [--orders 100] [--workers 1,2,4] [--latency 0.02]

It starts a Redis of its own (tests/support/redis.py) and a fresh PostgreSQL schema per run, the
simulators in this process (tests/workers/fleet.py: PrestaShop and Lightspeed shops, Yuki and
Factuursturen targets), queues one sync per shop and times until the queue is drained. Printed
per run: wall time, orders/s, requests per order (to shops and targets together), the peak
memory (VmHWM) of the biggest worker process, and the speed-up over one worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mapper.engine.ledger import Ledger  # noqa: E402
from support.postgres import postgres_server  # noqa: E402
from support.redis import RedisServer  # noqa: E402
from sync.sync_helpers import write_config  # noqa: E402
from workers.fleet import WorkerProcess, mapper_command, running_fleet  # noqa: E402

QUEUE = "bench"


def peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(shops: int, orders: int, workers: int, latency: float, folder: Path) -> dict[str, float]:
    with (
        postgres_server() as server,
        server.fresh_schema() as ledger_url,
        RedisServer(folder / "redis") as broker,
        running_fleet(shops, orders, latency=latency, seed=7) as fleet,
    ):
        env = {**os.environ, **fleet.environment(), "LEDGER_URL": ledger_url,
               "BROKER_URL": broker.url}
        queue = {"url": {"env": "BROKER_URL"}, "name": QUEUE}
        path = write_config(folder, fleet.config_data(ledger={"env": "LEDGER_URL"}, queue=queue))
        Ledger.open(ledger_url).close()
        processes = [WorkerProcess(path, env, folder / f"worker{i}.log") for i in range(workers)]
        try:
            time.sleep(3)  # the workers start (import, compile the rule sets) before the clock
            started = time.perf_counter()
            subprocess.run(mapper_command("enqueue", "sync", "--config", str(path)), env=env,
                           check=True, capture_output=True)
            client = broker.client()
            peak = 0
            while client.llen(QUEUE) or client.hlen("unacked"):
                for worker in processes:
                    peak = max([peak, *(peak_kib(pid) for pid in worker.children())])
                time.sleep(0.2)
            wall = time.perf_counter() - started
        finally:
            for worker in processes:
                worker.stop()
        total = shops * orders
        return {"wall": wall, "orders/s": total / wall, "requests/order": fleet.requests() / total,
                "peak MiB": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    print(f"{args.shops} shops x {args.orders} orders, latency {args.latency * 1000:.0f} ms")
    print(f"{'workers':>7} {'wall s':>8} {'orders/s':>9} {'req/order':>9} {'peak MiB':>9} "
          f"{'speed-up':>8}")
    base = 0.0
    for count in (int(n) for n in args.workers.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            figures = run(args.shops, args.orders, count, args.latency, Path(folder))
        base = base or figures["wall"]
        print(f"{count:>7} {figures['wall']:>8.1f} {figures['orders/s']:>9.1f} "
              f"{figures['requests/order']:>9.2f} {figures['peak MiB']:>9.0f} "
              f"{base / figures['wall']:>7.2f}x", flush=True)


if __name__ == "__main__":
    main()
