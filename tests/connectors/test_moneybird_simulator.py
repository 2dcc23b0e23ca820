"""The Moneybird simulator speaks Moneybird's wire format: Bearer auth, ids as strings, bodies
wrapped in the resource name, the two error shapes, and RateLimit headers with 429 "Retry later"."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mapper.connectors.moneybird.simulator import DEMO_TOKEN, MoneybirdSimulator

ADMIN = "470000000000000001"
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_796_124_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim() -> Iterator[MoneybirdSimulator]:
    with MoneybirdSimulator(clock=Clock(), rate_limit=3) as simulator:
        yield simulator


def url(sim: MoneybirdSimulator, resource: str) -> str:
    return f"{sim.url}/api/v2/{ADMIN}/{resource}.json"


def test_without_the_token_nothing_is_answered(sim: MoneybirdSimulator) -> None:
    answer = httpx.get(url(sim, "tax_rates"))
    assert (answer.status_code, answer.json()) == (401, {"error": "No valid access token given"})


def test_rate_limit_headers_then_429_retry_later(sim: MoneybirdSimulator) -> None:
    with httpx.Client(headers=AUTH) as http:
        answers = [http.get(url(sim, "ledger_accounts")) for _ in range(4)]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    last = answers[-1]
    assert (last.status_code, last.json()) == (429, "Retry later")
    assert (last.headers["RateLimit-Reset"], last.headers["Retry-After"]) == ("1796124300", "300")


def test_customer_id_lookup_404_and_422_field_errors(sim: MoneybirdSimulator) -> None:
    with httpx.Client(headers=AUTH) as http:
        missing = http.get(url(sim, "contacts/customer_id/42"))
        nameless = http.post(url(sim, "contacts"), json={"contact": {"customer_id": "42"}})
        made = http.post(url(sim, "contacts"), json={"contact": {"customer_id": "42",
                                                                  "lastname": "Jansen"}})
    assert (missing.status_code, missing.json()) == (
        404, {"error": "record not found", "symbolic": {"customer_id": "not_found"}})
    assert nameless.status_code == 422 and nameless.json()["error"] == {
        "firstname": ["is required"], "lastname": ["is required"], "company_name": ["is required"]}
    assert nameless.json()["details"]["lastname"] == [{"error": "is required"}]
    assert made.status_code == 201 and isinstance(made.json()["id"], str)
    assert len(made.json()["id"]) == 18 and made.json()["customer_id"] == "42"
