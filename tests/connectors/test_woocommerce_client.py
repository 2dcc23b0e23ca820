"""WooCommerceClient and WooCommerceSource against WooCommerceSimulator over real sockets:
documents, paging headers, the modified window, auth, error bodies, 429 and 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mapper.connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    ProtocolError,
)
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.woocommerce.adapter import WooCommerceSource
from mapper.connectors.woocommerce.client import WooCommerceClient
from mapper.connectors.woocommerce.simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    DEMO_WRITE_KEY,
    DEMO_WRITE_SECRET,
    ApiKey,
    WooCommerceSimulator,
)
from mapper.connectors.woocommerce.simulator_data import demo_shop

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture()
def waits() -> list[float]:
    return []


@pytest.fixture()
def sim() -> Iterator[WooCommerceSimulator]:
    with WooCommerceSimulator() as simulator:
        yield simulator


def client_for(sim: WooCommerceSimulator, waits: list[float], **options: object) -> WooCommerceClient:
    key = options.pop("key", DEMO_KEY)
    secret = options.pop("secret", DEMO_SECRET)
    retry = RetryPolicy(attempts=3, sleep=waits.append)
    return WooCommerceClient(sim.url, str(key), str(secret), retry=retry, **options)  # type: ignore[arg-type]


def test_documents_are_the_api_orders_verbatim_with_decimal_money(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    with client_for(sim, waits) as client:
        documents = list(client.iter_orders_modified(SINCE, None))
    assert [d["order"]["id"] for d in documents] == [1101, 1102, 1103, 1104, 1105, 1106, 1107]
    coupon = documents[2]
    assert set(coupon) == {"order", "tax_rates"} and coupon["tax_rates"] == []
    order = coupon["order"]
    assert (order["total"], order["cart_tax"], order["discount_total"]) == ("76.28", "9.19", "6.70")
    led = order["line_items"][0]
    assert led["taxes"] == [{"id": 1, "total": "5.465207", "subtotal": "6.072645"}]
    assert led["price"] == Decimal("28.917355") and isinstance(led["price"], Decimal)
    assert order["tax_lines"][1]["rate_percent"] == 9
    assert order["coupon_lines"][0]["code"] == "LENTE10"
    assert order["_links"]["self"][0]["href"].endswith("/wp-json/wc/v3/orders/1103")


def test_pages_until_x_wp_totalpages_oldest_id_first_in_gmt(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    with client_for(sim, waits) as client:
        ids = [d["order"]["id"] for d in client.iter_orders_modified(SINCE, None, per_page=3)]
        assert ids == [1101, 1102, 1103, 1104, 1105, 1106, 1107]
        assert client.requests_made == 3  # pages 1–3 of X-WP-TotalPages 3, no empty 4th
    first = sim.requests[0][2]
    assert first == {"dates_are_gmt": "true", "orderby": "id", "order": "asc", "per_page": "3",
                     "modified_after": "2025-12-31T23:59:59", "page": "1"}


def test_list_headers_and_link_as_wordpress_sends_them(sim: WooCommerceSimulator) -> None:
    import httpx

    response = httpx.get(f"{sim.url}/wp-json/wc/v3/orders",
                         params={"per_page": 2, "page": 2}, auth=(DEMO_KEY, DEMO_SECRET))
    assert response.headers["X-WP-Total"] == "7" and response.headers["X-WP-TotalPages"] == "4"
    assert response.headers["Link"] == (
        f'<{sim.url}/wp-json/wc/v3/orders?per_page=2&page=1>; rel="prev", '
        f'<{sim.url}/wp-json/wc/v3/orders?per_page=2&page=3>; rel="next"'
    )
    too_many = httpx.get(f"{sim.url}/wp-json/wc/v3/orders", params={"per_page": 101},
                         auth=(DEMO_KEY, DEMO_SECRET))
    assert too_many.status_code == 400 and too_many.json()["code"] == "rest_invalid_param"


def test_window_is_modified_after_and_before_in_utc(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    moment = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)
    sim.set_status(1102, "processing", at=moment)
    with client_for(sim, waits) as client:
        found = list(client.iter_orders_modified(moment, moment))
    assert [d["order"]["id"] for d in found] == [1102]
    order = found[0]["order"]
    assert (order["date_modified_gmt"], order["date_modified"]) == (
        "2026-05-04T12:00:00", "2026-05-04T14:00:00")
    assert order["date_paid_gmt"] == "2026-05-04T12:00:00"


def test_by_ids_uses_include_and_leaves_out_what_is_gone(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    sim.set_status(1107, "trash")
    with client_for(sim, waits) as client:
        found = [d["order"]["id"] for d in client.fetch_orders(["1104", "1107", "9999", "1101"])]
    assert found == [1104, 1101]
    assert sim.requests[-1][2]["include"] == "1104,1107,9999,1101"


def test_tax_rates_are_fetched_for_tax_lines_without_rate_percent(waits: list[float]) -> None:
    shop = demo_shop()
    for line in shop.orders[1103]["tax_lines"]:
        del line["rate_percent"]
    with WooCommerceSimulator(shop) as sim, client_for(sim, waits) as client:
        documents = list(client.fetch_orders([1103, 1103, 1101]))
        assert [r["id"] for r in documents[0]["tax_rates"]] == [1, 2]
        assert documents[0]["tax_rates"][1]["rate"] == "9.0000"
        assert documents[1]["tax_rates"] == []
        paths = [path for _, path, _ in sim.requests]
    assert paths.count("/wp-json/wc/v3/taxes/1") == 1  # once per client


def test_query_string_auth_for_servers_that_strip_authorization(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    with client_for(sim, waits, auth="query") as client:
        assert client.count_orders() == 7


def test_wrong_secret_is_woocommerce_authentication_error_without_the_secret(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    with client_for(sim, waits, secret="cs_wrong_secret") as client, \
            pytest.raises(AuthenticationError) as caught:
        client.count_orders()
    assert caught.value.status == 401
    assert "Consumer secret is invalid. (woocommerce_rest_authentication_error)" in str(caught.value)
    assert "cs_wrong_secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_unknown_key_is_anonymous_and_may_not_list(
    sim: WooCommerceSimulator, waits: list[float]
) -> None:
    with client_for(sim, waits, key="ck_unknown") as client, \
            pytest.raises(AuthenticationError) as caught:
        client.count_orders()
    assert "Sorry, you cannot list resources. (woocommerce_rest_cannot_view)" in caught.value.message


def test_unknown_order_is_not_found(sim: WooCommerceSimulator, waits: list[float]) -> None:
    with client_for(sim, waits) as client, pytest.raises(NotFoundError) as caught:
        client.refunds(4242)
    assert caught.value.message == (
        "orders/4242/refunds: HTTP 404: Invalid ID. (woocommerce_rest_shop_order_invalid_id)")


def test_refunds_are_negative_lines_with_a_positive_amount(waits: list[float]) -> None:
    shop = demo_shop()
    shop.refund_first_line(1101, 1190, datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "Kapot")
    with WooCommerceSimulator(shop) as sim, client_for(sim, waits) as client:
        (refund,) = client.refunds(1101)
        (order,) = client.fetch_orders([1101])
    assert refund["amount"] == "12.95" and refund["line_items"][0]["quantity"] == -1
    assert refund["line_items"][0]["total"] == "-10.70"
    assert refund["line_items"][0]["meta_data"][0]["value"] == "11011"
    assert order["order"]["refunds"] == [{"id": 1190, "reason": "Kapot", "total": "-12.95"}]


class FlakySimulator(WooCommerceSimulator):
    """Answers the first requests with the host's 429 (HTML, Retry-After) or WordPress's 500."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__()
        self.pending = list(replies)

    def handle(self, request: Request) -> Reply:
        if self.pending:
            return self.fault_reply(self.pending.pop(0))
        return super().handle(request)


def test_429_waits_retry_after_through_the_injected_sleep(waits: list[float]) -> None:
    with FlakySimulator(["429", "429"]) as sim, client_for(sim, waits) as client:
        sim.faults.retry_after = 7
        assert client.count_orders() == 7
        assert client.rate_limit_waits == [7.0, 7.0] and waits == [7.0, 7.0]


def test_500_is_retried_and_its_html_message_made_plain(waits: list[float]) -> None:
    with FlakySimulator(["500"]) as sim, client_for(sim, waits) as client:
        assert client.count_orders() == 7
        assert len(waits) == 1


def test_a_host_page_instead_of_json_is_a_protocol_error(waits: list[float]) -> None:
    class Html(WooCommerceSimulator):
        def handle(self, request: Request) -> Reply:
            return Reply(200, b"<html>Checking your browser</html>", {"Content-Type": "text/html"})

    with Html() as sim, client_for(sim, waits) as client, pytest.raises(ProtocolError) as caught:
        list(client.fetch_orders([1101]))
    assert "not JSON" in caught.value.message


def test_plain_http_is_refused_except_on_loopback() -> None:
    with pytest.raises(ConfigurationError, match="https"):
        WooCommerceClient("http://shop.example.nl", DEMO_KEY, DEMO_SECRET)


def source_for(sim: WooCommerceSimulator, key: str, secret: str) -> WooCommerceSource:
    section = {"type": "woocommerce", "url": sim.url, "key": key, "secret": secret}
    return WooCommerceSource(section, "bikes", RetryPolicy(attempts=1))


def test_check_a_read_only_key(sim: WooCommerceSimulator) -> None:
    source = source_for(sim, DEMO_KEY, DEMO_SECRET)
    lines = source.check()
    source.close()
    host = sim.url.removeprefix("http://")
    assert [(line.ok, line.warning, line.message) for line in lines] == [
        (True, False, f"{host}: consumer key accepted, orders readable"),
        (True, False, "the key is read-only"),
    ]
    assert ("POST", "/wp-json/wc/v3/orders/batch", {}) in sim.requests


def test_check_warns_about_a_key_that_may_write(sim: WooCommerceSimulator) -> None:
    source = source_for(sim, DEMO_WRITE_KEY, DEMO_WRITE_SECRET)
    lines = source.check()
    source.close()
    assert lines[1].warning and "may also write" in lines[1].message


def test_check_refused_secret_and_user_without_rights(waits: list[float]) -> None:
    keys = {DEMO_KEY: ApiKey(DEMO_SECRET), "ck_customer": ApiKey("cs_customer", "read", False)}
    with WooCommerceSimulator(keys=keys) as sim:
        refused = source_for(sim, DEMO_KEY, "cs_nope").check()
        customer = source_for(sim, "ck_customer", "cs_customer").check()
    assert [line.ok for line in refused] == [False] and "secret refused" in refused[0].message
    assert "cs_nope" not in refused[0].message
    assert "may not read orders" in customer[0].message
