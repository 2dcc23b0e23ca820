"""FactuursturenClient against FactuursturenSimulator over real sockets."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import httpx
import pytest
from mapper.connectors.errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
)
from mapper.connectors.factuursturen.client import FactuursturenClient, PostResult, dumps
from mapper.connectors.factuursturen.simulator import (
    DEMO_API_KEY,
    DEMO_USERNAME,
    FactuursturenSimulator,
)

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        client_fields,
        clock,
        fs_client,
        fs_sim,
        invoice_fields,
        make_factuursturen,
        payload,
        retry_policy,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        client_fields,
        clock,
        fs_client,
        fs_sim,
        invoice_fields,
        make_factuursturen,
        payload,
        retry_policy,
    )

__all__ = ["clock", "fs_client", "fs_sim"]


def posts_to(sim: FactuursturenSimulator, resource: str) -> int:
    return sum(1 for method, path, _ in sim.requests_log
               if method == "POST" and path == f"/api/v1/{resource}")


def test_base_url_may_be_the_host_or_the_api_root(fs_sim: FactuursturenSimulator) -> None:
    for base in (fs_sim.url, fs_sim.url + "/", fs_sim.url + "/api/v1"):
        client = FactuursturenClient(base, DEMO_USERNAME, DEMO_API_KEY)
        assert client.base_url == fs_sim.url + "/api/v1"
        assert client.countrylist()["Nederland"] == "146"


def test_countrylist_maps_names_to_ids(fs_client: FactuursturenClient) -> None:
    dutch = fs_client.countrylist()
    assert dutch["België"] == "18" and dutch["Duitsland"] == "50"
    assert fs_client.countrylist("en")["Netherlands"] == "146"


def test_get_create_and_ensure_client(fs_sim: FactuursturenSimulator,
                                      fs_client: FactuursturenClient) -> None:
    assert fs_client.get_client(3104501) is None
    assert fs_client.create_client(client_fields()) == "3104501"
    found = fs_client.get_client("3104501")
    assert found is not None and found["contact"] == "Sanne de Vries"
    assert fs_client.ensure_client(client_fields()) == "3104501"
    assert posts_to(fs_sim, "clients") == 1 and len(fs_sim.clients) == 1


def test_customer_ordering_twice_lands_on_one_client(fs_sim: FactuursturenSimulator,
                                                     fs_client: FactuursturenClient) -> None:
    first = fs_client.post(payload(order="ORD00101"))
    second = fs_client.post(payload(order="ORD00103"))
    assert first == PostResult(first.invoicenr, "3104501", "send", client_created=True)
    assert second.client_created is False and second.clientnr == "3104501"
    assert first.invoicenr != second.invoicenr
    assert list(fs_sim.clients) == ["3104501"]
    assert {i["clientnr"] for i in fs_sim.invoices.values()} == {"3104501"}
    assert fs_client.get_invoice(second.invoicenr)["reference"]["line1"] == "Bestelling ORD00103"


def test_invoice_clientnr_is_filled_in_and_must_agree(fs_client: FactuursturenClient) -> None:
    document = payload()
    del document["invoice"]["clientnr"]
    assert fs_client.post(document).clientnr == "3104501"
    with pytest.raises(RejectedError, match="is not client.clientnr"):
        fs_client.post({"client": client_fields(3104501), "invoice": invoice_fields(42)})


def test_money_goes_out_digit_for_digit(fs_sim: FactuursturenSimulator,
                                        fs_client: FactuursturenClient) -> None:
    fs_client.post(payload())
    body = next(b for m, p, b in fs_sim.requests_log if p == "/api/v1/invoices" and m == "POST")
    assert b'"price":8.2110' in body and b'"price":41.28' in body
    assert json.loads(body)["lines"]["line1"]["amount"] == 2
    assert dumps({"a": Decimal("1E+1"), "b": [True, None, "é"]}) == (
        '{"a":10,"b":[true,null,"é"]}'.encode())


def test_concept_versus_send(fs_sim: FactuursturenSimulator,
                             fs_client: FactuursturenClient) -> None:
    concept = fs_client.post(payload(order="ORD00101", action="save", savename="ORD00101"))
    assert concept.action == "save" and concept.invoicenr in fs_sim.saved
    assert fs_sim.invoices == {}
    sent = fs_client.post(payload(order="ORD00103"))
    assert sent.action == "send" and list(fs_sim.invoices) == [sent.invoicenr]
    with pytest.raises(RejectedError) as caught:
        fs_client.post(payload(order="ORD00104", action="save"))
    assert "savename is required when action is save" in caught.value.message
    assert caught.value.status == 400


def test_rejections_carry_factuursturen_s_message(fs_client: FactuursturenClient) -> None:
    bad_rate = {"line1": {"amount": 1, "description": "Thee", "tax_rate": 19, "price": 5}}
    with pytest.raises(RejectedError) as caught:
        fs_client.post(payload(lines=bad_rate))
    assert "tax_rate 19 is not one of the account's VAT rates (21, 9, 0)" in str(caught.value)
    with pytest.raises(RejectedError, match="Client 777 does not exist"):
        fs_client.create_invoice(invoice_fields(777))
    with pytest.raises(RejectedError, match="The invoice has no lines"):
        fs_client.post(payload(lines={}))


def test_lists_and_single_invoice(fs_client: FactuursturenClient) -> None:
    number = fs_client.post(payload()).invoicenr
    invoice = fs_client.get_invoice(number)
    assert invoice["totalintax"] == "73.80" and invoice["lines"]["line2"]["price"] == Decimal(
        "41.28")
    assert [i["invoicenr"] for i in fs_client.list_invoices("open")] == [number]
    assert fs_client.list_invoices("paid") == []
    with pytest.raises(NotFoundError, match="Invoice 1 not found"):
        fs_client.get_invoice(1)


def test_refused_key_never_shows(fs_sim: FactuursturenSimulator, clock: FakeClock,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = "k3y-never-shown"
    client = FactuursturenClient(fs_sim.url, DEMO_USERNAME, key, retry=retry_policy(clock))
    with pytest.raises(AuthenticationError) as caught:
        client.post(payload())
    assert caught.value.status == 401 and len(fs_sim.requests_log) == 0
    for text in (str(caught.value), repr(caught.value), repr(client), str(vars(client)),
                 caplog.text):
        assert key not in text


def test_working_client_logs_nothing_secret(fs_client: FactuursturenClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fs_client.post(payload())
    assert caplog.text and DEMO_API_KEY not in caplog.text
    assert DEMO_API_KEY not in repr(fs_client) and DEMO_API_KEY not in str(vars(fs_client))


def test_rate_limit_remaining_is_tracked_and_a_spent_budget_raises(clock: FakeClock) -> None:
    with FactuursturenSimulator(rate_limit_hour=3, clock=clock) as sim, \
            make_factuursturen(sim, clock, retry=retry_policy(clock, attempts=2)) as client:
        client.countrylist()
        assert client.rate_limit_remaining == 2
        client.countrylist()
        client.countrylist()
        assert client.rate_limit_remaining == 0
        with pytest.raises(RateLimitedError) as caught:
            client.countrylist()
        assert caught.value.status == 429 and caught.value.transient
        assert client.requests_made == 5  # the 429 was tried twice


def mock_client(answer: httpx.Response, clock: FakeClock) -> FactuursturenClient:
    return FactuursturenClient("https://www.factuursturen.nl/api/v1", DEMO_USERNAME,
                               DEMO_API_KEY, retry=retry_policy(clock, attempts=2),
                               transport=httpx.MockTransport(lambda request: answer))


def test_json_error_bodies_and_an_empty_budget_on_an_error(clock: FakeClock) -> None:
    with pytest.raises(RejectedError, match="Invalid zipcode"):
        mock_client(httpx.Response(422, json={"message": "Invalid zipcode"}), clock).get_client(1)
    spent = httpx.Response(403, text="Limit reached", headers={"x-ratelimit-remaining": "0"})
    with pytest.raises(RateLimitedError, match="Limit reached"):
        mock_client(spent, clock).get_client(1)


def test_answers_that_are_not_the_format_are_protocol_errors(clock: FakeClock) -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        mock_client(httpx.Response(200, text="<html/>"), clock).countrylist()
    with pytest.raises(ProtocolError, match="wrapped in 'client'"):
        mock_client(httpx.Response(200, json=[{"clientnr": "1"}]), clock).get_client(1)
    with pytest.raises(ProtocolError, match="empty answer"):
        mock_client(httpx.Response(201, text=""), clock).create_client(client_fields())
