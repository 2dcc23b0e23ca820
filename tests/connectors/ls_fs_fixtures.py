"""Shared helpers of the Lightspeed and Factuursturen tests: a fake clock, scripted faults,
simulators and clients wired to them over real sockets on 127.0.0.1."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mapper.connectors.factuursturen.client import FactuursturenClient
from mapper.connectors.factuursturen.simulator import (
    DEMO_API_KEY,
    DEMO_USERNAME,
    FactuursturenSimulator,
)
from mapper.connectors.lightspeed.client import LightspeedClient
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults


class FakeClock:
    """Time that moves only when someone sleeps: shared by a simulator and a client."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedFaults(Faults):
    """Faults at chosen request numbers (1-based), e.g. {2: "truncated"}: deterministic."""

    def __init__(self, plan: dict[int, str], *, hang_seconds: float = 0.3) -> None:
        super().__init__(rate=0.0, hang_seconds=hang_seconds, retry_after=2.0)
        self.plan = plan
        self.drawn = 0

    def draw(self) -> str | None:
        self.drawn += 1
        return self.plan.get(self.drawn)


@functools.cache
def raw_http() -> httpx.Client:
    """One plain HTTP client for talking to simulators directly (building one costs ~70 ms)."""
    return httpx.Client(timeout=5.0)


def retry_policy(clock: FakeClock, attempts: int = 6) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05, jitter=0.0,
                       sleep=clock.sleep)


def make_lightspeed(sim: LightspeedSimulator, clock: FakeClock, **kwargs: Any) -> LightspeedClient:
    options: dict[str, Any] = {"retry": retry_policy(clock), "clock": clock, "timeout": 2.0}
    options.update(kwargs)
    return LightspeedClient(sim.url, DEMO_KEY, DEMO_SECRET, **options)


def make_factuursturen(
    sim: FactuursturenSimulator, clock: FakeClock, **kwargs: Any
) -> FactuursturenClient:
    options: dict[str, Any] = {"retry": retry_policy(clock), "timeout": 2.0}
    options.update(kwargs)
    return FactuursturenClient(sim.url, DEMO_USERNAME, DEMO_API_KEY, **options)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ls_sim(clock: FakeClock) -> Iterator[LightspeedSimulator]:
    with LightspeedSimulator(clock=clock) as sim:
        yield sim


@pytest.fixture
def ls_client(ls_sim: LightspeedSimulator, clock: FakeClock) -> Iterator[LightspeedClient]:
    with make_lightspeed(ls_sim, clock) as client:
        yield client


@pytest.fixture
def fs_sim(clock: FakeClock) -> Iterator[FactuursturenSimulator]:
    with FactuursturenSimulator(clock=clock) as sim:
        yield sim


@pytest.fixture
def fs_client(fs_sim: FactuursturenSimulator, clock: FakeClock) -> Iterator[FactuursturenClient]:
    with make_factuursturen(fs_sim, clock) as client:
        yield client


def client_fields(clientnr: int | str = 3104501, **overrides: Any) -> dict[str, Any]:
    """A Factuursturen client as the rules would write it for a shop customer."""
    fields: dict[str, Any] = {
        "clientnr": clientnr,
        "contact": "Sanne de Vries",
        "showcontact": True,
        "company": "",
        "address": "Lindengracht 112",
        "zipcode": "1015 KK",
        "city": "Amsterdam",
        "country": "146",
        "email": "sanne.devries@example.nl",
        "sendmethod": "email",
        "tax_type": "extax",
    }
    fields.update(overrides)
    return fields


def invoice_fields(clientnr: int | str = 3104501, order: str = "ORD00101",
                   **overrides: Any) -> dict[str, Any]:
    """An invoice body: 9 % tea and a 21 % teapot plus shipping, prices excl. VAT."""
    fields: dict[str, Any] = {
        "clientnr": clientnr,
        "action": "send",
        "sendmethod": "email",
        "reference": {"line1": f"Bestelling {order}", "line2": "", "line3": ""},
        "lines": {
            "line1": {"amount": 2, "description": "Sencha Kyoto 100 gram",
                      "tax_rate": 9, "price": Decimal("8.2110"), "discount_pct": 0},
            "line2": {"amount": 1, "description": "Gietijzeren theepot 0,8 liter zwart",
                      "tax_rate": 21, "price": Decimal("41.28"), "discount_pct": 0},
            "line3": {"amount": 1, "description": "Verzendkosten PostNL pakket",
                      "tax_rate": 21, "price": Decimal("4.92"), "discount_pct": 0},
        },
    }
    fields.update(overrides)
    return fields


def payload(clientnr: int | str = 3104501, order: str = "ORD00101",
            **invoice_overrides: Any) -> dict[str, Any]:
    return {"client": client_fields(clientnr),
            "invoice": invoice_fields(clientnr, order, **invoice_overrides)}
