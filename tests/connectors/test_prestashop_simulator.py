"""PrestaShopSimulator over HTTP: formats, query language, authentication and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from lxml import etree
from mapper.connectors.prestashop.simulator.data import demo_records, generate_orders
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator, cli_simulator
from mapper.connectors.simulation import Faults

KEY = PrestaShopSimulator.DEMO_KEY
XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="module")
def ps_shop() -> Iterator[PrestaShopSimulator]:
    """A read-only shop for the tests that do not change it."""
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records())
    simulator.add_generated(30, seed=5, bad_share=0.2)
    with simulator:
        yield simulator


@pytest.fixture(scope="module")
def ps_http(ps_shop: PrestaShopSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{ps_shop.url}/api/", auth=(KEY, "")) as client:
        yield client


def _json(client: httpx.Client, path: str, **params: str) -> Any:
    response = client.get(path, params={**params, "output_format": "JSON"})
    assert response.status_code == 200, response.text
    return response.json()


def _ids(client: httpx.Client, path: str = "orders", **params: str) -> list[int]:
    body = _json(client, path, **params)
    return [] if body == [] else [row["id"] for row in body[path]]


# -- formats ----------------------------------------------------------------------------------
def test_xml_is_the_default(ps_http: httpx.Client, ps_shop: PrestaShopSimulator) -> None:
    response = ps_http.get("orders/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml;charset=utf-8"
    assert response.headers["x-powered-by"] == "PrestaShop Webservice"
    assert response.headers["psws-version"] == PrestaShopSimulator.VERSION
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<prestashop ')
    assert "<id><![CDATA[1]]></id>" in response.text
    assert "<gift_message></gift_message>" in response.text
    root = etree.fromstring(response.content)
    order = root.find("order")
    assert order is not None
    customer = order.find("id_customer")
    assert customer is not None and customer.get(XLINK) == f"{ps_shop.url}/api/customers/1"
    assert order.findtext("total_paid") == "76.350000"


def test_json_by_query_or_header_and_headers_win(ps_http: httpx.Client) -> None:
    by_query = ps_http.get("orders/2", params={"output_format": "JSON"})
    by_header = ps_http.get("orders/2", headers={"Output-Format": "JSON"})
    by_io = ps_http.get("orders/2", params={"io_format": "JSON"})
    assert by_query.headers["content-type"] == "application/json;charset=utf-8"
    assert by_query.json() == by_header.json() == by_io.json()
    order = by_query.json()["order"]
    assert order["id"] == 2
    assert order["id_customer"] == "2"
    assert order["associations"]["order_rows"][0]["product_quantity"] == "3"
    xml_wins = ps_http.get("orders/2", params={"output_format": "JSON"},
                           headers={"Io-Format": "XML"})
    assert xml_wins.text.startswith("<?xml")


def test_json_single_record_with_display_is_a_list_as_in_php(ps_http: httpx.Client) -> None:
    body = _json(ps_http, "orders/2", display="[id,reference]")
    assert body == {"orders": [{"id": 2, "reference": "HZKPLEAVB"}]}


def test_json_escapes_slashes_and_keeps_unicode(ps_http: httpx.Client) -> None:
    response = ps_http.get("products/5", params={"output_format": "JSON"})
    assert "<\\/p>" in response.text
    assert "België" in ps_http.get("countries/3", params={"output_format": "JSON"}).text


def test_i18n_fields_list_every_language_unless_one_is_asked(ps_http: httpx.Client) -> None:
    both = _json(ps_http, "order_states/2")["order_state"]["name"]
    assert both == [{"id": "1", "value": "Payment accepted"},
                    {"id": "2", "value": "Betaling aanvaard"}]
    one = _json(ps_http, "order_states/2", language="2")["order_state"]["name"]
    assert one == "Betaling aanvaard"
    xml = ps_http.get("order_states/2", params={"language": "1"}).text
    assert '<language id="1"' in xml and '<language id="2"' not in xml


def test_lists_without_display_hold_ids_only(ps_http: httpx.Client, ps_shop: PrestaShopSimulator
                                             ) -> None:
    assert _json(ps_http, "order_states", limit="2") == {"order_states": [{"id": 1}, {"id": 2}]}
    xml = ps_http.get("order_states", params={"limit": "1"}).text
    assert f'<order_state id="1" xlink:href="{ps_shop.url}/api/order_states/1"/>' in xml


def test_display_chosen_fields_and_association_fields(ps_http: httpx.Client) -> None:
    body = _json(ps_http, "orders", display="[id,total_paid,order_rows[product_id]]",
                 **{"filter[id]": "[3]"})
    assert body == {"orders": [{"id": 3, "total_paid": "58.850000", "associations": {
        "order_rows": [{"product_id": "14"}, {"product_id": "5"}]}}]}


def test_empty_lists(ps_http: httpx.Client) -> None:
    assert ps_http.get("orders", params={"filter[id]": "[9999]", "output_format": "JSON"}
                       ).text == "[]"
    xml = ps_http.get("orders", params={"filter[id]": "[9999]"}).text
    assert xml.endswith("<orders>\n</orders>\n</prestashop>\n")


def test_api_root_lists_the_resources(ps_http: httpx.Client) -> None:
    assert "orders" in _json(ps_http, "")
    root = etree.fromstring(ps_http.get("").content)
    api = root.find("api")
    assert api is not None and api.get("shopName") == "De Theepot"
    orders = api.find("orders")
    assert orders is not None and orders.get("get") == "true" and orders.get("post") == "false"


def test_schema_blank(ps_http: httpx.Client) -> None:
    blank = _json(ps_http, "addresses", schema="blank")["address"]
    assert blank["vat_number"] == "" and set(blank) >= {"id", "id_customer", "city"}


# -- filters, sort, limit ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[2]", [2]),
        ("2", [2]),
        ("[2|4|99]", [2, 4]),
        ("[3,5]", [3, 4, 5]),
        ("[5,3]", [3, 4, 5]),
        (">[32]", [33, 34]),
        ("<[3]", [1, 2]),
    ],
)
def test_id_filters(ps_http: httpx.Client, value: str, expected: list[int]) -> None:
    assert _ids(ps_http, **{"filter[id]": value}) == expected


def test_not_equal_and_like_filters(ps_http: httpx.Client, ps_shop: PrestaShopSimulator) -> None:
    orders = [o for o in (ps_shop.order(i) for i in ps_shop.order_ids()) if o is not None]
    expected = [o["id"] for o in orders if o["current_state"] not in ("6", "8")]
    assert _ids(ps_http, **{"filter[current_state]": "![6|8]"}) == expected
    assert len(expected) < len(orders)  # the generated shop has cancelled / failed orders
    assert _ids(ps_http, "customers", **{"filter[email]": "%[theehuis]%"}) == [2]
    assert _ids(ps_http, "countries", **{"filter[name]": "[Nederland]"}) == [13]


def test_date_filters_need_date_1(ps_http: httpx.Client) -> None:
    response = ps_http.get("orders", params={"filter[date_upd]": "[2024-01-01,2024-02-01]",
                                             "output_format": "JSON"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == 32
    assert error["message"].startswith("This filter does not exist. Did you mean:")
    response = ps_http.get("orders", params={"sort": "[date_upd_ASC]"})
    assert response.status_code == 400
    assert "<code><![CDATA[38]]></code>" in response.text


def test_date_window_is_inclusive_and_sorted(ps_http: httpx.Client,
                                             ps_shop: PrestaShopSimulator) -> None:
    orders = [o for o in (ps_shop.order(i) for i in ps_shop.order_ids()) if o is not None]
    stamps = sorted({o["date_upd"] for o in orders})
    low, high = stamps[2], stamps[-3]
    rows = _json(ps_http, "orders", date="1", display="[id,date_upd]",
                 sort="[date_upd_ASC,id_ASC]", **{"filter[date_upd]": f"[{low},{high}]"})["orders"]
    expected = sorted((o["date_upd"], o["id"]) for o in orders if low <= o["date_upd"] <= high)
    assert [(r["date_upd"], r["id"]) for r in rows] == expected
    later = _json(ps_http, "orders", date="1", display="[id,date_upd]",
                  **{"filter[date_upd]": f">[{high}]"})["orders"]
    assert all(r["date_upd"] > high for r in later) and later
    by_date_only = _ids(ps_http, date="1", **{"filter[date_add]": "[2024-01-02,2024-01-02]"})
    assert by_date_only == []  # a bare date is midnight, as MySQL compares it


def test_sort_and_limit(ps_http: httpx.Client) -> None:
    newest_first = _ids(ps_http, sort="[id_DESC]", limit="3")
    assert newest_first == [34, 33, 32]
    assert _ids(ps_http, sort="[id_ASC]", limit="2,3") == [3, 4, 5]
    totals = _json(ps_http, "orders", display="[id,total_paid]", sort="[total_paid_DESC]")
    amounts = [float(r["total_paid"]) for r in totals["orders"]]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter[colour]": "[red]"}, 32),
        ({"filter[reference]": ""}, 33),
        ({"filter[shipping_number]": "[x]"}, 34),
        ({"display": "[id,colour]"}, 35),
        ({"display": "id"}, 36),
        ({"sort": "[id_UP]"}, 37),
        ({"sort": "[colour_ASC]"}, 38),
        ({"limit": "1,2,3"}, 39),
        ({"language": "7"}, 81),
    ],
)
def test_query_errors_carry_prestashops_codes(ps_http: httpx.Client, params: dict[str, str],
                                              code: int) -> None:
    response = ps_http.get("orders", params={**params, "output_format": "JSON"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code


# -- authentication, methods, not found -------------------------------------------------------
def test_no_key_is_a_plain_401_with_the_realm(ps_shop: PrestaShopSimulator) -> None:
    response = httpx.get(f"{ps_shop.url}/api/orders")
    assert response.status_code == 401
    assert response.text == "401 Unauthorized"
    assert "Welcome to PrestaShop Webservice" in response.headers["www-authenticate"]
    head = httpx.head(f"{ps_shop.url}/api/")
    assert head.status_code == 401


@pytest.mark.parametrize(
    ("key", "codes"), [("Z" * 32, [20, 21]), ("tooshort", [18]), ("", [17])]
)
def test_wrong_keys_get_error_documents(ps_shop: PrestaShopSimulator, key: str,
                                        codes: list[int]) -> None:
    response = httpx.get(f"{ps_shop.url}/api/orders", auth=(key, ""),
                         params={"output_format": "JSON"})
    assert response.status_code == 401
    assert [e["code"] for e in response.json()["errors"]] == codes
    assert "psws-version" not in response.headers
    assert "www-authenticate" in response.headers


def test_the_key_may_come_as_ws_key(ps_shop: PrestaShopSimulator) -> None:
    response = httpx.get(f"{ps_shop.url}/api/orders/1", params={"ws_key": KEY})
    assert response.status_code == 200
    assert KEY not in repr(list(ps_shop.request_log))
    assert httpx.head(f"{ps_shop.url}/api/", auth=(KEY, "")).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_get_and_head_are_allowed(ps_http: httpx.Client, method: str) -> None:
    response = ps_http.request(method, "orders/1", content=b"<prestashop/>")
    assert response.status_code == 405
    assert "<code><![CDATA[25]]></code>" in response.text


def test_a_missing_id_is_a_404_with_an_empty_body(ps_http: httpx.Client) -> None:
    response = ps_http.get("orders/99999", params={"output_format": "JSON"})
    assert response.status_code == 404
    assert response.content == b""


def test_unknown_and_forbidden_resources(ps_http: httpx.Client) -> None:
    unknown = ps_http.get("oders", params={"output_format": "JSON"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["code"] == 27
    assert 'Did you mean: "orders"' in unknown.json()["errors"][0]["message"]
    forbidden = ps_http.get("carts", params={"output_format": "JSON"})
    assert forbidden.status_code == 401 and forbidden.json()["errors"][0]["code"] == 26


def test_a_disabled_webservice_answers_503_code_22() -> None:
    simulator = PrestaShopSimulator()
    simulator.webservice_enabled = False
    with simulator:
        response = httpx.get(f"{simulator.url}/api/", auth=(KEY, ""))
    assert response.status_code == 503
    assert "<code><![CDATA[22]]></code>" in response.text


# -- changing the shop ------------------------------------------------------------------------
def test_set_order_state_moves_date_upd_and_invoices() -> None:
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records())
    assert simulator.order(4) is not None
    before = simulator.order(4)
    assert before is not None and before["invoice_number"] == "0"
    after = simulator.set_order_state(4, 2, at=datetime(2024, 2, 1, 10, 0, 0))
    assert after["current_state"] == "2"
    assert after["date_upd"] == "2024-02-01 10:00:00"
    assert after["invoice_number"] == "4" and after["invoice_date"] == "2024-02-01 10:00:00"
    assert after["total_paid_real"] == after["total_paid"]
    with simulator, httpx.Client(base_url=f"{simulator.url}/api/", auth=(KEY, "")) as client:
        window = _ids(client, date="1", **{"filter[date_upd]": "[2024-02-01,2024-02-02]"})
    assert window == [4]


def test_generated_orders_added_lazily_and_by_record() -> None:
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records())
    batch = simulator.add_generated(100_000, seed=1)
    assert batch.order_ids == range(5, 100_005)
    assert simulator.order_ids()[-1] == 100_004
    with pytest.raises(ValueError, match="overlap"):
        simulator.add_orders(generate_orders(5, seed=2, first_order_id=50))
    with pytest.raises(ValueError, match="already exists"):
        simulator.add_orders(demo_records()[:1])
    with simulator, httpx.Client(base_url=f"{simulator.url}/api/", auth=(KEY, "")) as client:
        order = _json(client, "orders/100004")["order"]
        customer = _json(client, f"customers/{order['id_customer']}")["customer"]
    assert customer["id"] == int(order["id_customer"])


def test_cli_simulator_and_banner() -> None:
    simulator = cli_simulator(port=0, latency=0.0, faults=Faults())
    with simulator:
        banner = "\n".join(simulator.cli_banner())
        assert KEY in banner
        assert f"curl -u {KEY}: '{simulator.url}/api/orders?display=full&output_format=JSON'" \
            in banner
        ids = simulator.order_ids()
        assert 30 <= len(ids) <= 60
        body = json.loads(httpx.get(f"{simulator.url}/api/orders", auth=(KEY, ""),
                                    params={"output_format": "JSON", "display": "full"}).text)
    assert len(body["orders"]) == len(ids)
    assert len(PrestaShopSimulator.DEMO_KEY) == 32
    assert KEY not in repr(simulator)
