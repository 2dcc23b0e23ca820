"""LightspeedClient against LightspeedSimulator over real sockets: documents, paging, caching."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from mapper.connectors.errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RejectedError,
)
from mapper.connectors.lightspeed.client import LightspeedClient
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.lightspeed.simulator_data import demo_shop, generated_shop

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        clock,
        ls_client,
        ls_sim,
        make_lightspeed,
        retry_policy,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        clock,
        ls_client,
        ls_sim,
        make_lightspeed,
        retry_policy,
    )

__all__ = ["clock", "ls_client", "ls_sim"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MARCH = "2026-03-01T00:00:00+01:00"


def test_yields_fetched_order_documents_verbatim(ls_client: LightspeedClient) -> None:
    documents = list(ls_client.iter_orders_changed(MARCH))
    assert [d["order"]["number"] for d in documents] == [
        "ORD00101", "ORD00102", "ORD00103", "ORD00104", "ORD00105", "ORD00106"]
    first = documents[0]
    assert set(first) == {"order", "products", "customer"}
    order = first["order"]
    assert order["priceExcl"] == Decimal("62.62") and isinstance(order["priceExcl"], Decimal)
    assert order["referralId"] is False and order["customStatusId"] is None
    assert order["id"] == 8810001 and isinstance(order["id"], int)
    assert order["taxRates"][1]["rate"] == Decimal("0.09")
    assert [p["productTitle"] for p in first["products"]] == [
        "Sencha Kyoto", "Gietijzeren theepot"]
    assert first["products"][1]["quantityOrdered"] == 1
    assert first["customer"]["id"] == 3104501
    assert first["customer"]["addressShippingCompany"] is False


def test_pages_are_streamed_one_at_a_time(ls_sim: LightspeedSimulator,
                                          ls_client: LightspeedClient) -> None:
    orders = ls_client.iter_orders_changed(MARCH, limit=2)
    next(orders)
    assert [p for p in ls_sim.paths_served if p == "/nl/orders.json"] == ["/nl/orders.json"]
    rest = list(orders)
    assert len(rest) == 5
    # 6 orders in pages of 2: three full pages and the empty fourth that ends the listing.
    assert ls_sim.paths_served.count("/nl/orders.json") == 4


def test_one_request_an_order_products_and_customer_come_embedded(
    ls_sim: LightspeedSimulator, ls_client: LightspeedClient
) -> None:
    documents = list(ls_client.iter_orders_changed(MARCH))
    sanne = [d for d in documents if d["customer"]["id"] == 3104501]
    assert [d["order"]["number"] for d in sanne] == ["ORD00101", "ORD00103"]
    assert sanne[0]["customer"] == sanne[1]["customer"]
    # 1 list page + 6 single-order GETs: no product list, no customer asked for apart.
    assert ls_client.requests_made == 7
    assert ls_sim.paths_served.count("/nl/orders.json") == 1
    assert not [p for p in ls_sim.paths_served if "/products" in p or "/customers/" in p]
    assert all("embedded" not in d["order"]["products"]["resource"] for d in documents)


def test_an_order_deleted_while_listing_is_left_out_with_a_warning(
    ls_sim: LightspeedSimulator, ls_client: LightspeedClient, caplog: pytest.LogCaptureFixture
) -> None:
    orders = ls_client.iter_orders_changed(MARCH)
    first = next(orders)  # the list page is read: every order on it is listed
    del ls_sim.shop.orders[8810004]
    rest = list(orders)
    assert [d["order"]["number"] for d in [first, *rest]] == [
        "ORD00101", "ORD00102", "ORD00103", "ORD00105", "ORD00106"]
    assert "lightspeed: order 8810004 deleted while listing; skipped" in caplog.text


def test_time_window_accepts_aware_naive_and_text(ls_client: LightspeedClient) -> None:
    aware = datetime(2026, 3, 3, 0, 0, tzinfo=AMSTERDAM)
    naive = datetime(2026, 3, 10, 23, 59, 59)
    numbers = [d["order"]["number"] for d in ls_client.iter_orders_changed(aware, naive)]
    assert numbers == ["ORD00102", "ORD00103", "ORD00104"]
    assert ls_client.count_orders(aware, naive) == 3
    assert ls_client.count_orders("2026-03-14 12:00:00") == 2
    assert ls_client.count_orders() == 6


def test_fetch_orders_gives_the_same_document_as_listing(ls_client: LightspeedClient) -> None:
    listed = {d["order"]["id"]: d for d in ls_client.iter_orders_changed(MARCH)}
    fetched = list(ls_client.fetch_orders([8810004, "8810001"]))
    assert [d["order"]["id"] for d in fetched] == [8810004, 8810001]
    for document in fetched:
        assert document == listed[document["order"]["id"]]
    assert "embedded" not in fetched[0]["order"]["products"]["resource"]


def test_fetch_unknown_order_is_not_found_with_the_api_message(
    ls_client: LightspeedClient,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        list(ls_client.fetch_orders([42]))
    assert "Order 42 not found (code 404)" in str(caught.value)
    assert caught.value.status == 404


def test_a_customer_deleted_from_the_shop_leaves_customer_none(clock: FakeClock) -> None:
    shop = demo_shop()
    del shop.customers[3104504]
    with LightspeedSimulator(shop, clock=clock) as sim, make_lightspeed(sim, clock) as client:
        document = next(client.fetch_orders([8810005]))
    assert document["customer"] is None
    assert document["order"]["email"] == "ahmed.elamrani@example.nl"


def test_long_order_lists_page_products_and_orders(clock: FakeClock) -> None:
    shop = generated_shop(260, seed=3)
    with LightspeedSimulator(shop, clock=clock) as sim, make_lightspeed(sim, clock) as client:
        ids = [d["order"]["id"] for d in client.iter_orders_changed(None)]
    assert ids == sorted(shop.orders) and len(ids) == 260
    assert sim.paths_served.count("/nl/orders.json") == 2


def test_limit_is_checked_before_asking(ls_client: LightspeedClient) -> None:
    with pytest.raises(ValueError, match="between 1 and 250"):
        next(ls_client.iter_orders_changed(MARCH, limit=251))


def test_refused_credentials_never_show_the_secret(ls_sim: LightspeedSimulator,
                                                   clock: FakeClock,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-never-shown"
    client = LightspeedClient(ls_sim.url, DEMO_KEY, secret, retry=retry_policy(clock))
    with pytest.raises(AuthenticationError) as caught:
        client.count_orders()
    assert caught.value.status == 401 and "refused" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(client), caplog.text):
        assert secret not in text
        assert DEMO_KEY not in text
    assert "secret" not in repr(client).lower()
    assert ls_sim.requests_served == 1  # an auth failure is not retried


def test_working_client_logs_nothing_secret(ls_client: LightspeedClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    list(ls_client.iter_orders_changed(MARCH))
    assert caplog.text and DEMO_SECRET not in caplog.text and DEMO_KEY not in caplog.text
    assert DEMO_SECRET not in repr(ls_client) and DEMO_SECRET not in str(vars(ls_client))


def mock_client(handler: httpx.MockTransport, clock: FakeClock) -> LightspeedClient:
    return LightspeedClient("https://api.webshopapp.com", DEMO_KEY, DEMO_SECRET,
                            retry=retry_policy(clock, attempts=3), transport=handler,
                            clock=clock)


def test_non_json_answer_is_a_protocol_error(clock: FakeClock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(ProtocolError, match="not JSON"):
        mock_client(transport, clock).count_orders()


def test_answer_without_its_wrapper_is_a_protocol_error(clock: FakeClock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"total": 3}))
    with pytest.raises(ProtocolError, match="wrapped in 'count'"):
        mock_client(transport, clock).count_orders()


def test_error_body_message_reaches_the_exception(clock: FakeClock) -> None:
    body = {"error": {"message": "Invalid parameter: fields", "code": 400}}
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=body))
    with pytest.raises(RejectedError) as caught:
        mock_client(transport, clock).count_orders()
    assert "Invalid parameter: fields (code 400)" in caught.value.message


def test_requests_use_the_documented_url_and_auth(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=json.dumps({"count": 0}).encode())

    client = mock_client(httpx.MockTransport(answer), clock)
    client.count_orders(datetime(2026, 3, 1, tzinfo=AMSTERDAM))
    request = seen[0]
    assert request.method == "GET"
    assert request.url.path == "/nl/orders/count.json"
    assert request.url.params["updated_at_min"] == "2026-03-01T00:00:00+01:00"
    assert request.headers["authorization"].startswith("Basic ")
