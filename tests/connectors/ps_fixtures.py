"""Fixtures and helpers for the PrestaShop client and simulator tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from mapper.connectors.prestashop.client import PrestaShopClient
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults


@dataclass
class ScriptedFaults(Faults):
    """Faults in a fixed order: one entry per request ("500", "429", "timeout", "truncated" or
    None for a normal answer); normal answers once the script is used up."""

    script: list[str | None] = field(default_factory=list)

    def draw(self) -> str | None:
        return self.script.pop(0) if self.script else None


@dataclass
class Sleeps:
    """A `sleep` for RetryPolicy that records the delays instead of waiting."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def ps_retry(sleeps: Sleeps | None = None, attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=1.0, jitter=0.0,
                       sleep=sleeps if sleeps is not None else Sleeps())


@pytest.fixture
def ps_sim() -> Iterator[PrestaShopSimulator]:
    """A running simulator with the four demo orders and 60 generated ones (ids 5–64)."""
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records())
    simulator.add_generated(60, seed=11, bad_share=0.1, unreferenced_share=0.3)
    with simulator:
        yield simulator


@pytest.fixture
def ps_sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def ps_client(ps_sim: PrestaShopSimulator, ps_sleeps: Sleeps) -> Iterator[PrestaShopClient]:
    with PrestaShopClient(
        ps_sim.url, PrestaShopSimulator.DEMO_KEY, timeout=2.0, retry=ps_retry(ps_sleeps)
    ) as client:
        yield client


def order_list_requests(simulator: PrestaShopSimulator, resource: str = "orders") -> list[dict[str, str]]:
    """The queries of the list requests the simulator served for `resource`."""
    return [dict(r.query) for r in simulator.request_log if r.path == f"/api/{resource}"]
