"""The Lightspeed eCom simulator speaks the real wire format; its seed data is consistent."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mapper.connectors.lightspeed.simulator import DEMO_KEY, DEMO_SECRET, LightspeedSimulator
from mapper.connectors.lightspeed.simulator_data import ShopData, demo_shop, generated_shop, money

try:
    from tests.connectors.ls_fs_fixtures import FakeClock, clock, ls_sim, raw_http
except ImportError:
    from ls_fs_fixtures import FakeClock, clock, ls_sim, raw_http  # type: ignore[no-redef]

__all__ = ["clock", "ls_sim"]

AUTH = (DEMO_KEY, DEMO_SECRET)
OFFSET_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def get(sim: LightspeedSimulator, path: str, **params: Any) -> httpx.Response:
    return raw_http().get(f"{sim.url}{path}", params=params, auth=AUTH)


def decimal_json(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def test_refuses_wrong_credentials_with_an_error_body(ls_sim: LightspeedSimulator) -> None:
    response = raw_http().get(f"{ls_sim.url}/nl/orders.json", auth=(DEMO_KEY, "wrong"))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 401 and "invalid API key" in error["message"]


def test_orders_list_is_wrapped_and_carries_resource_links(ls_sim: LightspeedSimulator) -> None:
    response = get(ls_sim, "/nl/orders.json", limit=2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    orders = decimal_json(response)["orders"]
    assert [o["number"] for o in orders] == ["ORD00101", "ORD00102"]
    link = orders[0]["customer"]["resource"]
    assert link["id"] == 3104501 and link["url"] == "customers/3104501"
    assert link["link"] == f"{ls_sim.url}/nl/customers/3104501.json"
    assert "embedded" not in link
    assert orders[0]["products"]["resource"]["id"] is False


def test_amounts_are_json_numbers_and_missing_values_false(ls_sim: LightspeedSimulator) -> None:
    text = get(ls_sim, "/nl/orders/8810001.json").text
    assert '"priceExcl": 62.62' in text
    assert '"referralId": false' in text
    order = decimal_json(get(ls_sim, "/nl/orders/8810001.json"))["order"]
    assert order["priceIncl"] == Decimal("73.8")
    assert order["addressBillingCountry"]["code"] == "nl"
    assert OFFSET_TIMESTAMP.match(order["createdAt"])
    assert order["createdAt"] == "2026-03-01T23:30:00+01:00"


def test_single_order_embeds_customer_products_and_invoice(ls_sim: LightspeedSimulator) -> None:
    order = decimal_json(get(ls_sim, "/nl/orders/8810001.json"))["order"]
    assert order["customer"]["resource"]["embedded"]["email"] == "sanne.devries@example.nl"
    products = order["products"]["resource"]["embedded"]
    assert [p["articleCode"] for p in products] == ["TH-SEN-100", "TP-GIJ-08Z"]
    assert order["invoices"]["resource"]["embedded"][0]["number"] == "INV00101"
    unpaid = decimal_json(get(ls_sim, "/nl/orders/8810002.json"))["order"]
    assert unpaid["invoices"]["resource"]["embedded"] == []


def test_order_products_and_customer_resources(ls_sim: LightspeedSimulator) -> None:
    products = decimal_json(get(ls_sim, "/nl/orders/8810001/products.json"))["orderProducts"]
    tea = products[0]
    assert tea["taxRate"] == Decimal("0.09")
    assert tea["basePriceIncl"] == Decimal("8.95") and tea["priceIncl"] == Decimal("17.9")
    assert tea["product"]["resource"]["id"] == 6101
    customer = decimal_json(get(ls_sim, "/nl/customers/3104503.json"))["customer"]
    assert customer["companyVatNumber"] == "BE0446925134"
    assert customer["addressBillingCountry"] == {
        "id": 21, "code": "be", "code3": "bel", "title": "België"}
    english = decimal_json(get(ls_sim, "/en/customers/3104503.json"))["customer"]
    assert english["addressBillingCountry"]["title"] == "Belgium"


def test_count_and_time_window_filters(ls_sim: LightspeedSimulator) -> None:
    assert get(ls_sim, "/nl/orders/count.json").json() == {"count": 6}
    window = {"updated_at_min": "2026-03-03T00:00:00+01:00",
              "updated_at_max": "2026-03-10 23:59:59"}
    assert get(ls_sim, "/nl/orders/count.json", **window).json() == {"count": 3}
    numbers = [o["number"] for o in get(ls_sim, "/nl/orders.json", **window).json()["orders"]]
    assert numbers == ["ORD00102", "ORD00103", "ORD00104"]


@pytest.mark.parametrize(("params", "message"), [
    ({"limit": 251}, "between 1 and 250"),
    ({"limit": 0}, "between 1 and 250"),
    ({"page": 0}, "pages start at 1"),
    ({"updated_at_min": "yesterday"}, "Invalid date format"),
])
def test_bad_list_parameters_answer_400(
    ls_sim: LightspeedSimulator, params: dict[str, Any], message: str
) -> None:
    response = get(ls_sim, "/nl/orders.json", **params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_unknown_things_answer_404_and_writes_405(ls_sim: LightspeedSimulator) -> None:
    assert get(ls_sim, "/nl/orders/1.json").status_code == 404
    assert get(ls_sim, "/nl/customers/1.json").json()["error"]["code"] == 404
    assert get(ls_sim, "/xx/orders.json").status_code == 404
    response = raw_http().put(f"{ls_sim.url}/nl/orders/8810001.json", auth=AUTH, json={})
    assert response.status_code == 405


def test_rate_limit_headers_count_down_and_429_when_spent(clock: FakeClock) -> None:
    with LightspeedSimulator(rate_limits=(2, 100, 1000), clock=clock) as sim:
        first = get(sim, "/nl/orders/count.json")
        assert first.headers["X-RateLimit-Limit"] == "2/100/1000"
        assert first.headers["X-RateLimit-Remaining"] == "1/99/999"
        assert re.match(r"^\d+/\d+/\d+$", first.headers["X-RateLimit-Reset"])
        assert get(sim, "/nl/orders/count.json").headers["X-RateLimit-Remaining"] == "0/98/998"
        refused = get(sim, "/nl/orders/count.json")
        assert refused.status_code == 429 and refused.json()["error"]["code"] == 429
        reset = int(refused.headers["X-RateLimit-Reset"].split("/")[0])
        clock.sleep(reset)
        assert get(sim, "/nl/orders/count.json").status_code == 200


def test_account_ratelimit_resource(ls_sim: LightspeedSimulator) -> None:
    document = get(ls_sim, "/nl/account/ratelimit.json").json()["accountRatelimit"]
    assert set(document) == {"limit5Min", "limitHour", "limitDay"}
    five = document["limit5Min"]
    assert five["limit"] == 1000 and five["remaining"] == 999
    assert 0 < five["reset"] <= 300 and OFFSET_TIMESTAMP.match(five["resetTime"])


def test_set_order_status_moves_updated_at(ls_sim: LightspeedSimulator) -> None:
    moment = datetime.fromisoformat("2026-03-20T12:00:00+01:00")
    ls_sim.set_order_status(8810002, "processing_awaiting_shipment", payment_status="paid",
                            at=moment)
    order = get(ls_sim, "/nl/orders/8810002.json").json()["order"]
    assert (order["status"], order["paymentStatus"]) == ("processing_awaiting_shipment", "paid")
    assert order["updatedAt"] == "2026-03-20T12:00:00+01:00"
    changed = get(ls_sim, "/nl/orders.json", updated_at_min="2026-03-15T00:00:00+01:00").json()
    assert [o["id"] for o in changed["orders"]] == [8810002, 8810006]


# -- the seed data ----------------------------------------------------------------------------
def assert_consistent(shop: ShopData) -> None:
    for order in shop.orders.values():
        f = order.fields
        lines = [line.fields for line in order.lines]
        for part in ("Excl", "Incl"):
            total = sum((line[f"price{part}"] for line in lines), Decimal(0))
            total += f[f"shipmentPrice{part}"] + f[f"paymentPrice{part}"]
            assert total == f[f"price{part}"], (f["number"], part)
        for line in lines:
            assert line["taxRate"] in (Decimal("0.21"), Decimal("0.09"), Decimal(0))
            assert line["priceIncl"] - line["priceExcl"] == line["taxRates"][0]["amount"]
            gross = line["basePriceIncl"] * line["quantityOrdered"]
            assert money(gross - line["discountIncl"]) == line["priceIncl"]
        assert OFFSET_TIMESTAMP.match(f["createdAt"]) and f["updatedAt"] >= f["createdAt"][:10]
        assert f["addressBillingCountry"]["code"].islower()
        assert order.customer_id in shop.customers


def test_demo_shop_is_consistent_and_covers_the_cases() -> None:
    shop = demo_shop()
    assert_consistent(shop)
    statuses = {(o.fields["status"], o.fields["paymentStatus"]) for o in shop.orders.values()}
    assert ("processing_awaiting_shipment", "paid") in statuses
    assert ("processing_awaiting_payment", "not_paid") in statuses
    twice = [o.fields["number"] for o in shop.orders.values() if o.customer_id == 3104501]
    assert twice == ["ORD00101", "ORD00103"]
    shifted = shop.orders[8810004]
    assert shifted.fields["companyVatNumber"] == "BE0446925134"
    assert shifted.fields["priceExcl"] == shifted.fields["priceIncl"]


def test_generator_is_repeatable_consistent_and_has_returning_customers() -> None:
    first, again = generated_shop(300, seed=7), generated_shop(300, seed=7)
    assert len(first.orders) == 300
    assert [o.fields for o in first.orders.values()] == [o.fields for o in again.orders.values()]
    assert_consistent(first)
    per_customer: dict[int, int] = {}
    for order in first.orders.values():
        per_customer[order.customer_id] = per_customer.get(order.customer_id, 0) + 1
    assert max(per_customer.values()) >= 2
    paid = [o for o in first.orders.values() if o.fields["paymentStatus"] == "paid"]
    assert len(paid) > 100
