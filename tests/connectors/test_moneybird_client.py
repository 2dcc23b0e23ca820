"""The Moneybird client against the simulator over real HTTP: exact request bodies, one contact per
customer number, lost answers never duplicating a contact or a sales invoice, error bodies and
429s as one line, and the token never in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from mapper.connectors.errors import AuthenticationError, RateLimitedError, RejectedError
from mapper.connectors.moneybird.client import MoneybirdClient
from mapper.connectors.moneybird.simulator import DEMO_TOKEN, MoneybirdSimulator
from mapper.connectors.moneybird.simulator_data import TAX_RATES
from mapper.connectors.retry import RetryPolicy

try:
    from tests.connectors.ls_fs_fixtures import FakeClock, ScriptedFaults
except ImportError:
    from ls_fs_fixtures import FakeClock, ScriptedFaults  # type: ignore[no-redef]

ADMIN = "470000000000000001"
RATE_21, RATE_9 = "470000000000000101", "470000000000000102"
REVENUE = "470000000000000201"


def contact(customer_id: str = "3104501") -> dict[str, Any]:
    return {
        "customer_id": customer_id, "company_name": "", "firstname": "Sanne",
        "lastname": "de Vries", "address1": "Keizersgracht 100", "address2": "",
        "zipcode": "1015 AA", "city": "Amsterdam", "country": "NL", "phone": "",
        "email": "sanne.devries@example.nl", "send_invoices_to_email": "sanne.devries@example.nl",
        "tax_number": "",
    }


def invoice(reference: str = "Bestelling ORD00101 (8810001)") -> dict[str, Any]:
    return {
        "reference": reference, "invoice_date": "2026-03-02", "currency": "EUR",
        "prices_are_incl_tax": True,
        "details_attributes": [
            {"description": "Sencha Kyoto - 100 gram", "price": "8.95", "amount": "2",
             "tax_rate_id": RATE_9, "ledger_account_id": REVENUE},
            {"description": "PostNL pakket", "price": Decimal("5.95"), "amount": "1",
             "tax_rate_id": RATE_21, "ledger_account_id": REVENUE},
        ],
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_796_124_000.0)


def make_client(sim: MoneybirdSimulator, clock: FakeClock, **options: Any) -> MoneybirdClient:
    retry = RetryPolicy(attempts=6, base_delay=0.01, max_delay=5.0, jitter=0.0,
                        sleep=clock.sleep)
    token = options.pop("token", DEMO_TOKEN)
    settings: dict[str, Any] = {"retry": retry, "timeout": 2.0, "clock": clock}
    settings.update(options)
    return MoneybirdClient(sim.url, ADMIN, token, **settings)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[MoneybirdSimulator]:
    with MoneybirdSimulator(clock=clock) as simulator:
        yield simulator


def posted(sim: MoneybirdSimulator, resource: str) -> list[Any]:
    return [json.loads(body) for method, path, body in sim.requests_log
            if method == "POST" and path == f"/api/v2/{ADMIN}/{resource}.json"]


def test_post_creates_the_contact_then_a_draft_with_exactly_this_body(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    with make_client(sim, clock) as client:
        result = client.post(contact(), invoice())
    assert result.contact_created is True and result.recovered is False
    assert posted(sim, "contacts") == [{"contact": contact()}]
    assert posted(sim, "sales_invoices") == [{"sales_invoice": {
        "contact_id": result.contact_id, "reference": "Bestelling ORD00101 (8810001)",
        "invoice_date": "2026-03-02", "currency": "EUR", "prices_are_incl_tax": True,
        "details_attributes": [
            {"description": "Sencha Kyoto - 100 gram", "price": "8.95", "amount": "2",
             "tax_rate_id": RATE_9, "ledger_account_id": REVENUE},
            {"description": "PostNL pakket", "price": "5.95", "amount": "1",
             "tax_rate_id": RATE_21, "ledger_account_id": REVENUE},
        ],
    }}]
    booked = sim.invoices[result.invoice_id]
    assert (booked["state"], booked["invoice_id"], booked["total_price_incl_tax"]) == (
        "draft", None, "23.85")
    assert booked["tax_totals"] == [
        {"tax_rate_id": RATE_9, "taxable_amount": "16.42", "tax_amount": "1.48"},
        {"tax_rate_id": RATE_21, "taxable_amount": "4.92", "tax_amount": "1.03"},
    ]


def test_a_second_order_of_the_customer_lands_on_the_same_contact(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    with make_client(sim, clock) as client:
        first = client.post(contact(), invoice())
        second = client.post(contact(), invoice("Bestelling ORD00103 (8810003)"))
    assert second.contact_id == first.contact_id and second.contact_created is False
    assert len(sim.contacts) == 1 and len(posted(sim, "contacts")) == 1
    assert len(sim.invoices) == 2


@pytest.mark.parametrize("kind", ["truncated", "500", "timeout", "429"])
def test_a_failed_contact_create_never_makes_two_contacts(clock: FakeClock, kind: str) -> None:
    # Requests: 1 GET contact (404), 2 POST contact — the one that fails.
    with MoneybirdSimulator(clock=clock, faults=ScriptedFaults({2: kind})) as sim, \
            make_client(sim, clock, timeout=0.1) as client:
        contact_id, created = client.ensure_contact(contact())
    assert list(sim.contacts) == [contact_id] and created is True
    # A cut-off answer was handled (and found by looking again); the other faults never
    # reached the handler, so the create was sent again: one create handled in every case.
    assert len(posted(sim, "contacts")) == 1


def test_a_lost_invoice_answer_is_found_by_reference_not_sent_twice(clock: FakeClock) -> None:
    # Requests: 1 GET contact, 2 POST contact, 3 POST sales invoice — its answer cut short.
    with MoneybirdSimulator(clock=clock, faults=ScriptedFaults({3: "truncated"})) as sim, \
            make_client(sim, clock) as client:
        result = client.post(contact(), invoice())
    assert result.recovered is True and list(sim.invoices) == [result.invoice_id]
    assert len(posted(sim, "sales_invoices")) == 1
    assert sim.requests_log[-1][1] == (
        f"/api/v2/{ADMIN}/sales_invoices/find_by_reference/"
        "Bestelling%20ORD00101%20%288810001%29.json")


@pytest.mark.parametrize("kind", ["500", "timeout"])
def test_an_unprocessed_invoice_is_looked_for_then_sent_once(clock: FakeClock, kind: str) -> None:
    faults = ScriptedFaults({3: kind}, hang_seconds=0.3)
    with MoneybirdSimulator(clock=clock, faults=faults) as sim, \
            make_client(sim, clock, timeout=0.1) as client:
        result = client.post(contact(), invoice())
    assert result.recovered is False and list(sim.invoices) == [result.invoice_id]
    finds = [p for m, p, _ in sim.requests_log if "find_by_reference" in p]
    assert len(finds) == 1


def test_a_contact_made_by_someone_else_meanwhile_is_used(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    with make_client(sim, clock) as client:
        made = client.ensure_contact(contact("77"))
        sim.contacts[made[0]]["firstname"] = "Edited by the bookkeeper"
        again = client.ensure_contact(contact("77"))
    assert again == (made[0], False) and len(sim.contacts) == 1


def test_429_waits_until_the_window_resets_then_goes_on(clock: FakeClock) -> None:
    # Two requests per 300 s window: the third waits for the reset, as Retry-After says.
    patient = RetryPolicy(attempts=3, max_delay=600.0, sleep=clock.sleep)
    with MoneybirdSimulator(clock=clock, rate_limit=2) as sim, \
            make_client(sim, clock, retry=patient) as client:
        client.tax_rates()
        client.ledger_accounts()
        client.tax_rates()
    assert clock.sleeps == [300.0]
    assert client.rate_limit_remaining == 1


def test_429_past_every_attempt_is_one_line(clock: FakeClock) -> None:
    with MoneybirdSimulator(clock=clock, rate_limit=0) as limited, \
            make_client(limited, clock, retry=RetryPolicy(attempts=1)) as client, \
            pytest.raises(RateLimitedError) as caught:
        client.tax_rates()
    assert str(caught.value) == "moneybird: GET tax_rates: HTTP 429: Retry later"
    assert caught.value.retry_after == 300.0


def test_a_refused_token_is_one_line_without_the_token(clock: FakeClock) -> None:
    with MoneybirdSimulator(clock=clock, token="the-right-one") as sim, \
            make_client(sim, clock, token="wrong-secret-token") as client, \
            pytest.raises(AuthenticationError) as caught:
        client.administrations()
    assert str(caught.value) == (
        "moneybird: API token refused (GET administrations: HTTP 401: No valid access token "
        "given)")
    assert "wrong-secret-token" not in repr(client)


def test_field_errors_name_the_fields_not_the_customer(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    nameless = {**contact(), "firstname": "", "lastname": ""}
    with make_client(sim, clock) as client, pytest.raises(RejectedError) as caught:
        client.ensure_contact(nameless)
    assert caught.value.message == (
        "POST contacts: HTTP 422: firstname is required; lastname is required; "
        "company_name is required")
    assert "3104501" not in str(caught.value) and "Keizersgracht" not in str(caught.value)


def test_an_unknown_tax_rate_id_is_refused_with_moneybirds_words(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    wrong = invoice()
    wrong["details_attributes"][0]["tax_rate_id"] = "1"
    with make_client(sim, clock) as client, pytest.raises(RejectedError) as caught:
        client.post(contact(), wrong)
    assert caught.value.message == "POST sales_invoices: HTTP 422: details.tax_rate_id is invalid"
    assert sim.invoices == {}


def test_tax_rates_are_read_page_by_page(clock: FakeClock) -> None:
    many = tuple({**TAX_RATES[0], "id": str(470000000000001000 + n), "name": f"rate {n}"}
                 for n in range(130))
    with MoneybirdSimulator(clock=clock, tax_rates=many) as sim, \
            make_client(sim, clock) as client:
        rates = client.tax_rates()
    assert [r["name"] for r in rates] == [f"rate {n}" for n in range(130)]
    pages = [p for m, p, _ in sim.requests_log if p.endswith("tax_rates.json")]
    assert len(pages) == 2


def test_find_by_reference_answers_none_when_moneybird_has_none(
    sim: MoneybirdSimulator, clock: FakeClock
) -> None:
    with make_client(sim, clock) as client:
        assert client.find_by_reference("Bestelling 1337 (1337)") is None
