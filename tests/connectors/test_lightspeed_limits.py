"""LightspeedClient keeps to rate limits and rides out every injected fault kind."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mapper.connectors.errors import QuotaExceededError, TransientError
from mapper.connectors.lightspeed.client import LightspeedClient
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.simulation import Faults

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        ScriptedFaults,
        clock,
        make_lightspeed,
        raw_http,
        retry_policy,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        ScriptedFaults,
        clock,
        make_lightspeed,
        raw_http,
        retry_policy,
    )

__all__ = ["clock"]


_EXPECTED: list[str] = []


def fault_free_documents(clock: FakeClock) -> str:
    """The demo shop's documents as read without faults (links made port-independent)."""
    if not _EXPECTED:
        with LightspeedSimulator(clock=clock) as sim, make_lightspeed(sim, clock) as client:
            _EXPECTED.append(portless(list(client.iter_orders_changed(None)), sim))
    return _EXPECTED[0]


def portless(documents: list[dict[str, Any]], sim: LightspeedSimulator) -> str:
    return json.dumps(documents, default=str).replace(sim.url, "")


def test_waits_for_the_window_when_the_5_minute_budget_is_spent(clock: FakeClock) -> None:
    expected = fault_free_documents(clock)
    with LightspeedSimulator(rate_limits=(4, 1000, 10000), clock=clock) as sim, \
            make_lightspeed(sim, clock) as client:
        documents = list(client.iter_orders_changed(None))
        assert portless(documents, sim) == expected
        # 7 calls (a list page, 6 orders) at 4 per window: it paused once, never ran into a 429.
        assert client.requests_made == 7 == sim.requests_served
        assert len(client.rate_limit_waits) == 1
        assert all(0 < wait <= 301 for wait in client.rate_limit_waits)
        assert clock.sleeps == client.rate_limit_waits


def test_a_429_waits_for_the_reset_header_and_goes_on(clock: FakeClock) -> None:
    with LightspeedSimulator(rate_limits=(3, 1000, 10000), clock=clock) as sim, \
            make_lightspeed(sim, clock) as client:
        # Someone else (another app of the shop) spends the budget behind our back.
        for _ in range(3):
            raw_http().get(f"{sim.url}/nl/orders/count.json", auth=(DEMO_KEY, DEMO_SECRET))
        assert client.count_orders() == 6
        assert client.requests_made == 2  # the 429, then the answer
        assert len(clock.sleeps) == 1 and clock.sleeps[0] > 1


def test_a_429_with_retry_after_waits_that_long(clock: FakeClock) -> None:
    faults = ScriptedFaults({1: "429"})
    with LightspeedSimulator(clock=clock, faults=faults) as sim, \
            make_lightspeed(sim, clock) as client:
        assert client.count_orders() == 6
    assert clock.sleeps == [2.0]


def test_a_spent_day_budget_stops_the_pass(clock: FakeClock) -> None:
    with LightspeedSimulator(rate_limits=(300, 3000, 2), clock=clock) as sim, \
            make_lightspeed(sim, clock, max_wait=3600) as client:
        client.count_orders()
        client.count_orders()
        with pytest.raises(QuotaExceededError, match="more than the 3600s allowed"):
            client.count_orders()
    assert sim.requests_served == 2


@pytest.mark.parametrize("kind", ["500", "429", "timeout", "truncated"])
def test_each_fault_kind_is_retried_to_the_same_result(clock: FakeClock, kind: str) -> None:
    expected = fault_free_documents(clock)
    # Requests 1, 3 and 8 fail (the list page, the first order's GET, and the fifth's once
    # the first was asked again).
    faults = ScriptedFaults({1: kind, 3: kind, 8: kind}, hang_seconds=0.3)
    with LightspeedSimulator(clock=clock, faults=faults) as sim, \
            make_lightspeed(sim, clock, timeout=0.1) as client:
        assert portless(list(client.iter_orders_changed(None)), sim) == expected
        assert client.requests_made == 7 + 3


def test_random_faults_with_a_seed_still_give_every_order(clock: FakeClock) -> None:
    expected = fault_free_documents(clock)
    faults = Faults(rate=0.25, kinds=("500", "429", "truncated"), seed=11)
    with LightspeedSimulator(clock=clock, faults=faults) as sim, \
            make_lightspeed(sim, clock, retry=retry_policy(clock, attempts=8)) as client:
        assert portless(list(client.iter_orders_changed(None)), sim) == expected
        assert client.requests_made > 7


def test_persistent_5xx_gives_up_as_transient(clock: FakeClock) -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"error": {"message": "Maintenance", "code": 503}})

    client = LightspeedClient("https://api.webshopapp.com", DEMO_KEY, DEMO_SECRET,
                              retry=retry_policy(clock, attempts=3),
                              transport=httpx.MockTransport(answer))
    with pytest.raises(TransientError, match="Maintenance") as caught:
        client.count_orders()
    assert caught.value.status == 503 and len(calls) == 3 and client.requests_made == 3
