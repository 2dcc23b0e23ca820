"""ShopifyClient and ShopifySource against ShopifySimulator over real sockets: documents,
Link-header cursor paging, the updated window, the access token, error bodies, the call-limit
bucket and 429 Retry-After (on an injected clock: nothing sleeps), 5xx retries, check()."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from mapper.connectors.errors import AuthenticationError, ConfigurationError, NotFoundError
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.secret import Secret
from mapper.connectors.shopify.adapter import ShopifySource
from mapper.connectors.shopify.client import ShopifyClient
from mapper.connectors.shopify.simulator import (
    DEMO_TOKEN,
    DEMO_WRITE_TOKEN,
    Bucket,
    ShopifySimulator,
)
from mapper.connectors.simulation import Faults

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
DEMO_IDS = [5801001, 5801002, 5801003, 5801004, 5801005, 5801006, 5801007]


class Clock:
    """The simulator's clock, moved only by the client's (injected) sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def sim(clock: Clock) -> Iterator[ShopifySimulator]:
    with ShopifySimulator(bucket=Bucket(clock=clock)) as simulator:
        yield simulator


def client_for(sim: ShopifySimulator, clock: Clock, token: str = DEMO_TOKEN) -> ShopifyClient:
    return ShopifyClient(sim.url, token, retry=RetryPolicy(attempts=3, sleep=clock.sleep))


def test_documents_are_the_api_orders_verbatim_with_decimal_money(
    sim: ShopifySimulator, clock: Clock
) -> None:
    with client_for(sim, clock) as client:
        documents = list(client.iter_orders_updated(SINCE, None))
    assert [d["order"]["id"] for d in documents] == DEMO_IDS
    order = documents[2]["order"]
    assert set(documents[2]) == {"order"}
    assert order["name"] == "#1003" and order["taxes_included"] is True
    assert order["total_price_set"]["shop_money"] == {"amount": "76.28", "currency_code": "EUR"}
    assert order["line_items"][1]["tax_lines"][0]["rate"] == Decimal("0.09")
    assert order["line_items"][0]["discount_allocations"][0]["amount"] == "3.50"
    method, path, query = sim.requests[0]
    assert (method, path) == ("GET", "/admin/api/2024-07/orders.json")
    assert query == {"status": "any", "limit": "250", "updated_at_min": "2026-01-01T00:00:00+00:00"}


def test_pages_follow_the_link_cursor_with_only_limit(sim: ShopifySimulator, clock: Clock) -> None:
    with client_for(sim, clock) as client:
        ids = [d["order"]["id"] for d in client.iter_orders_updated(SINCE, None, limit=3)]
    assert ids == DEMO_IDS
    queries = [q for _, _, q in sim.requests]
    assert len(queries) == 3
    assert queries[0] == {"status": "any", "limit": "3",
                          "updated_at_min": "2026-01-01T00:00:00+00:00"}
    assert [sorted(q) for q in queries[1:]] == [["limit", "page_info"], ["limit", "page_info"]]


def test_the_last_page_has_no_link_and_a_cursor_takes_no_new_filters(sim: ShopifySimulator) -> None:
    base = f"{sim.url}/admin/api/2024-07/orders.json"
    headers = {"X-Shopify-Access-Token": DEMO_TOKEN}
    first = httpx.get(base, params={"status": "any", "limit": 5}, headers=headers)
    assert first.headers["link"].endswith('rel="next"')
    cursor = first.headers["link"].split("page_info=")[1].split(">")[0]
    last = httpx.get(base, params={"limit": 5, "page_info": cursor}, headers=headers)
    assert [o["id"] for o in last.json()["orders"]] == DEMO_IDS[5:]
    assert last.headers["link"].endswith('rel="previous"') and 'rel="next"' not in last.headers["link"]
    mixed = httpx.get(base, params={"limit": 5, "page_info": cursor, "status": "any"},
                      headers=headers)
    assert mixed.status_code == 400
    assert mixed.json() == {"errors": {"page_info": [
        "cannot be combined with status: only limit and fields may accompany page_info"]}}
    single = httpx.get(base, params={"status": "any"}, headers=headers)
    assert "link" not in single.headers


def test_status_defaults_to_open_so_the_client_asks_for_any(sim: ShopifySimulator) -> None:
    sim.shop.orders[5801002]["cancelled_at"] = "2026-03-04T10:00:00+01:00"
    sim.shop.orders[5801002]["closed_at"] = "2026-03-04T10:00:00+01:00"
    headers = {"X-Shopify-Access-Token": DEMO_TOKEN}
    default = httpx.get(f"{sim.url}/admin/api/2024-07/orders.json", headers=headers).json()
    assert 5801002 not in [o["id"] for o in default["orders"]]
    with client_for(sim, Clock()) as client:
        assert 5801002 in [d["order"]["id"] for d in client.iter_orders_updated(SINCE)]


def test_the_updated_window_is_inclusive_and_ids_skip_unknown_orders(
    sim: ShopifySimulator, clock: Clock
) -> None:
    # 5801003 was updated at 19:50:03+01:00, 5801004 at 11:23:00+01:00 four days later.
    after = datetime.fromisoformat("2026-03-05T18:50:03+00:00")
    before = datetime.fromisoformat("2026-03-09T10:23:00+00:00")
    with client_for(sim, clock) as client:
        window = [d["order"]["id"] for d in client.iter_orders_updated(after, before)]
        picked = [d["order"]["id"] for d in client.fetch_orders(["5801004", "999", "5801001"])]
    assert window == [5801003, 5801004]
    assert picked == [5801001, 5801004]


def test_a_refused_token_is_one_line_without_the_token(sim: ShopifySimulator, clock: Clock) -> None:
    token = "shpat_wrong0000000000000000000000000"
    with client_for(sim, clock, token) as client, pytest.raises(AuthenticationError) as caught:
        client.count_orders()
    assert str(caught.value) == (
        "shopify: access token refused (orders/count.json: HTTP 401: [API] Invalid API key or "
        "access token (unrecognized login or wrong password))"
    )
    assert token not in str(caught.value) and token not in repr(client)


def test_an_unknown_api_version_is_not_found(sim: ShopifySimulator) -> None:
    with ShopifyClient(sim.url, DEMO_TOKEN, api_version="2019-04") as client, \
            pytest.raises(NotFoundError) as caught:
        client.count_orders()
    assert caught.value.message == "orders/count.json: HTTP 404: Not Found"


def test_the_client_slows_down_before_the_bucket_is_full(clock: Clock) -> None:
    with ShopifySimulator(bucket=Bucket(size=3, clock=clock)) as sim, \
            client_for(sim, clock) as client:
        ids = [d["order"]["id"] for d in client.iter_orders_updated(SINCE, None, limit=1)]
    assert ids == DEMO_IDS
    # One order a page: 7 pages; from the second call on the bucket reads 2/3 and the client
    # waits for a call to leak (0.5 s at 2 a second) instead of running into a 429.
    assert client.rate_limit_waits == [0.5] * 5
    assert client.requests_made == len(DEMO_IDS)


def test_a_429_waits_retry_after_and_goes_on(clock: Clock) -> None:
    bucket = Bucket(size=40, clock=clock, level=40.0)
    with ShopifySimulator(bucket=bucket) as sim, client_for(sim, clock) as client:
        assert client.count_orders() == 7
    assert client.rate_limit_waits == [2.0]
    assert clock.slept == [2.0] and client.requests_made == 2
    assert client.call_limit == (37, 40)


def test_server_errors_are_retried(clock: Clock) -> None:
    faults = Faults(rate=0.5, kinds=("500",), seed=3)
    with ShopifySimulator(bucket=Bucket(clock=clock), faults=faults) as sim, \
            ShopifyClient(sim.url, DEMO_TOKEN,
                          retry=RetryPolicy(attempts=8, sleep=clock.sleep)) as client:
        ids = [d["order"]["id"] for d in client.iter_orders_updated(SINCE, None, limit=2)]
    assert ids == DEMO_IDS
    assert client.requests_made > 4


def test_plain_http_is_refused_except_on_loopback() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ShopifyClient("http://spaakwiel.myshopify.com", DEMO_TOKEN)
    assert str(caught.value) == "shopify: the shop's address must use https"


def source_for(sim: ShopifySimulator, token: str) -> ShopifySource:
    section = {"type": "shopify", "url": sim.url, "access_token": Secret(token, "env SHOPIFY")}
    return ShopifySource(section, "demo", RetryPolicy(attempts=1))


def test_check_a_read_only_token(sim: ShopifySimulator) -> None:
    source = source_for(sim, DEMO_TOKEN)
    lines = source.check()
    source.close()
    host = sim.url.removeprefix("http://")
    assert [(line.ok, line.warning, line.message) for line in lines] == [
        (True, False, f"{host}: access token accepted, orders readable"),
        (True, False, "the token is read-only"),
    ]
    assert sim.requests[-1][1] == "/admin/oauth/access_scopes.json"


def test_check_warns_about_write_scopes_and_a_60_day_window(sim: ShopifySimulator) -> None:
    sim.tokens[DEMO_WRITE_TOKEN] = ("read_orders", "write_orders")
    lines = source_for(sim, DEMO_WRITE_TOKEN).check()
    assert [(line.ok, line.warning) for line in lines] == [(True, False), (True, True), (True, True)]
    assert lines[1].message == (
        "the token may also write (write_orders); mapper only reads: keep only read_orders in "
        "Shopify admin → Settings → Apps and sales channels → Develop apps"
    )
    assert lines[2].message.startswith("without the read_all_orders scope Shopify shows only")


def test_check_a_refused_token_and_a_missing_scope(sim: ShopifySimulator) -> None:
    host = sim.url.removeprefix("http://")
    refused = source_for(sim, "shpat_nope").check()
    assert [(line.ok, line.message) for line in refused] == [(False, (
        f"{host}: access token not accepted; check the source's access_token "
        "(Shopify admin → Settings → Apps and sales channels → Develop apps)"))]
    sim.tokens["shpat_products_only"] = ("read_products",)
    scoped = source_for(sim, "shpat_products_only").check()
    assert [(line.ok, line.message) for line in scoped] == [(False, (
        f"{host}: the app may not read orders: give it the read_orders scope "
        "(Shopify admin → Settings → Apps and sales channels → Develop apps)"))]
    assert "shpat" not in refused[0].message + scoped[0].message
