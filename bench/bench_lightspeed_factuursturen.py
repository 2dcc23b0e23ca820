"""How fast the Lightspeed and Factuursturen clients move orders through their simulators.

Run from the repository root: `python -m bench.bench_lightspeed_factuursturen [--orders N]`.

Over real sockets on 127.0.0.1 it times (1) reading N generated orders as fetched order
documents with `LightspeedClient.iter_orders_changed`, without and with a per-request latency,
(2) booking N invoices with `FactuursturenClient.post` for customers who order several times,
and (3) both again with one request in ten failing (500, 429, timeout, truncated), checking
that every order still arrives exactly once. Rate limits are set out of the way: the point is
the cost per order in requests and time, not the waiting.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from mapper.connectors.factuursturen.client import FactuursturenClient
from mapper.connectors.factuursturen.simulator import (
    DEMO_API_KEY,
    DEMO_USERNAME,
    FactuursturenSimulator,
)
from mapper.connectors.lightspeed.client import LightspeedClient
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.lightspeed.simulator_data import generated_shop
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults

NO_LIMIT = (10**9, 10**9, 10**9)
FAST_RETRY = RetryPolicy(attempts=10, base_delay=0.001, max_delay=0.01, jitter=0.0)


@contextmanager
def timed(label: str, count: int, unit: str) -> Iterator[dict[str, Any]]:
    info: dict[str, Any] = {}
    start = time.perf_counter()
    yield info
    seconds = time.perf_counter() - start
    extra = "".join(f"  {key} {value}" for key, value in info.items())
    print(f"{label:<46} {count / seconds:8.0f} {unit}/s  {seconds * 1000 / count:6.2f} ms/"
          f"{unit}{extra}")


def read_orders(count: int, latency: float, faults: Faults | None) -> None:
    shop = generated_shop(count, seed=1)
    label = f"lightspeed read, latency {latency * 1000:.0f} ms" + (
        f", faults {faults.rate:.0%}" if faults else "")
    with LightspeedSimulator(shop, rate_limits=NO_LIMIT, latency=latency,
                             faults=faults) as sim, \
            LightspeedClient(sim.url, DEMO_KEY, DEMO_SECRET, retry=FAST_RETRY,
                             timeout=0.2) as client, \
            timed(label, count, "order") as info:
        documents = sum(1 for _ in client.iter_orders_changed(None))
        assert documents == count, documents
        info["requests/order"] = f"{client.requests_made / count:.2f}"


def book_invoices(count: int, faults: Faults | None) -> None:
    label = "factuursturen post" + (f", faults {faults.rate:.0%}" if faults else "")
    with FactuursturenSimulator(rate_limit_hour=10**9, faults=faults) as sim, \
            FactuursturenClient(sim.url, DEMO_USERNAME, DEMO_API_KEY, retry=FAST_RETRY,
                                timeout=0.2) as client, \
            timed(label, count, "invoice") as info:
        for n in range(count):
            client.post(payload(5000000 + n % max(1, count // 3), f"ORD{n:06d}"))
        assert len(sim.invoices) == count, len(sim.invoices)
        info["requests/invoice"] = f"{client.requests_made / count:.2f}"


def payload(clientnr: int, order: str) -> dict[str, Any]:
    return {
        "client": {"clientnr": clientnr, "contact": "Bench Klant", "address": "Kerkweg 1",
                   "zipcode": "1234 AB", "city": "Utrecht", "country": "146",
                   "email": "bench@example.nl", "sendmethod": "email"},
        "invoice": {
            "clientnr": clientnr, "action": "send", "sendmethod": "email",
            "reference": {"line1": f"Bestelling {order}"},
            "lines": {"line1": {"amount": 2, "description": "Sencha", "tax_rate": 9,
                                "price": Decimal("8.2110")},
                      "line2": {"amount": 1, "description": "Verzendkosten", "tax_rate": 21,
                                "price": Decimal("4.92")}},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    count = args.orders
    read_orders(count, 0.0, None)
    read_orders(count // 5, 0.005, None)
    read_orders(count, 0.0, Faults(rate=0.1, seed=3, hang_seconds=0.3, retry_after=0.01))
    book_invoices(count, None)
    book_invoices(count // 5, Faults(rate=0.1, seed=3, hang_seconds=0.3, retry_after=0.01))


if __name__ == "__main__":
    main()
