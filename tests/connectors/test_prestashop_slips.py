"""The PrestaShop webservice's `order_slip` resource as the simulator serves it over real HTTP,
byte for byte as PrestaShop 8 renders it: lists filtered on `date_upd` (only with `date=1`),
sorted and paged (`limit=offset,count`), `display=full` with the `order_slip_details`
association, JSON and XML (`output_format`), the blank schema, 401 without a key and an empty
404 for an id the shop does not have."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator

KEY = (PrestaShopSimulator.DEMO_KEY, "")


@pytest.fixture(scope="module")
def shop() -> Iterator[PrestaShopSimulator]:
    """Demo order 1 (rows 11: 49.95, 12: 2 × 6.95, 13: 12.50), refunded twice."""
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records()[:1])
    simulator.add_slip(1, {"11": 1}, at=dt.datetime(2024, 3, 5, 10, 0, 0))
    simulator.add_slip(1, {"12": 2, "13": 1}, voucher="5", at=dt.datetime(2024, 3, 6, 9, 30, 0))
    with simulator:
        yield simulator


def get(shop: PrestaShopSimulator, query: str, **options: object) -> httpx.Response:
    return httpx.get(f"{shop.url}/api/{query}", auth=KEY, **options)  # type: ignore[arg-type]


FIRST = {
    "id": "1", "id_customer": "1", "id_order": "1", "conversion_rate": "1.000000",
    "total_products_tax_excl": "41.280000", "total_products_tax_incl": "49.950000",
    "total_shipping_tax_excl": "0.000000", "total_shipping_tax_incl": "0.000000",
    "amount": "49.950000", "shipping_cost": "0", "shipping_cost_amount": "0.000000",
    "partial": "1", "date_add": "2024-03-05 10:00:00", "date_upd": "2024-03-05 10:00:00",
    "order_slip_type": "0",
    "associations": {"order_slip_details": [
        {"id": "1", "id_order_detail": "11", "product_quantity": "1",
         "amount_tax_excl": "41.280992", "amount_tax_incl": "49.950000"},
    ]},
}
SECOND = {
    "id": "2", "id_customer": "1", "id_order": "1", "conversion_rate": "1.000000",
    "total_products_tax_excl": "23.080000", "total_products_tax_incl": "26.400000",
    "total_shipping_tax_excl": "0.000000", "total_shipping_tax_incl": "0.000000",
    "amount": "21.400000", "shipping_cost": "0", "shipping_cost_amount": "0.000000",
    "partial": "1", "date_add": "2024-03-06 09:30:00", "date_upd": "2024-03-06 09:30:00",
    "order_slip_type": "1",
    "associations": {"order_slip_details": [
        # PrestaShop selects `id_order_slip AS id`: each detail carries its slip's id.
        {"id": "2", "id_order_detail": "12", "product_quantity": "2",
         "amount_tax_excl": "12.752294", "amount_tax_incl": "13.900000"},
        {"id": "2", "id_order_detail": "13", "product_quantity": "1",
         "amount_tax_excl": "10.330579", "amount_tax_incl": "12.500000"},
    ]},
}


def compact(value: object) -> str:
    """JSON as PHP's json_encode writes it: no spaces, `/` escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


def test_the_list_without_display_gives_ids_in_json_and_links_in_xml(
    shop: PrestaShopSimulator,
) -> None:
    listed = get(shop, "order_slip", params={"output_format": "JSON"})
    linked = get(shop, "order_slip")

    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json;charset=utf-8"
    assert listed.text == '{"order_slips":[{"id":1},{"id":2}]}'
    assert linked.headers["content-type"] == "text/xml;charset=utf-8"
    assert linked.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        "<order_slips>\n"
        f'<order_slip id="1" xlink:href="{shop.url}/api/order_slip/1"/>\n'
        f'<order_slip id="2" xlink:href="{shop.url}/api/order_slip/2"/>\n'
        "</order_slips>\n"
        "</prestashop>\n"
    )


def test_changed_slips_filtered_on_date_upd_sorted_and_paged_in_full(
    shop: PrestaShopSimulator,
) -> None:
    window = {
        "filter[date_upd]": "[2024-03-01 00:00:00,2024-03-31 23:59:59]",
        "date": "1",
        "sort": "[date_upd_ASC,id_ASC]",
        "display": "full",
        "output_format": "JSON",
    }
    pages = [get(shop, "order_slip", params={**window, "limit": f"{o},1"}) for o in (0, 1, 2)]
    only_the_fifth = get(shop, "order_slip", params={
        **window, "filter[date_upd]": "[2024-03-05 00:00:00,2024-03-05 23:59:59]",
    })
    newest_first = get(shop, "order_slip", params={
        **window, "sort": "[date_upd_DESC]", "display": "[id,date_upd]",
    })

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert pages[0].text == compact({"order_slips": [FIRST]})
    assert pages[1].text == compact({"order_slips": [SECOND]})
    assert pages[2].text == "[]"  # PrestaShop's empty list, in JSON
    assert only_the_fifth.json() == {"order_slips": [FIRST]}
    assert newest_first.json() == {"order_slips": [
        {"id": "2", "date_upd": "2024-03-06 09:30:00"},
        {"id": "1", "date_upd": "2024-03-05 10:00:00"},
    ]}


def test_date_upd_is_no_filter_or_sort_without_date_1(shop: PrestaShopSimulator) -> None:
    filtered = get(shop, "order_slip", params={
        "filter[date_upd]": "[2024-03-01,2024-03-31]", "output_format": "JSON",
    })
    sorted_ = get(shop, "order_slip", params={"sort": "[date_upd_ASC]", "output_format": "JSON"})

    fields = (
        '\\"id\\", \\"id_customer\\", \\"id_order\\", \\"conversion_rate\\", '
        '\\"total_products_tax_excl\\", \\"total_products_tax_incl\\", '
        '\\"total_shipping_tax_excl\\", \\"total_shipping_tax_incl\\", \\"amount\\", '
        '\\"shipping_cost\\", \\"shipping_cost_amount\\", \\"partial\\", \\"order_slip_type\\"'
    )
    assert filtered.status_code == 400
    assert filtered.text == (
        '{"errors":[{"code":32,"message":"This filter does not exist. Did you mean: '
        f'\\"amount\\"? The full list is: {fields}"}}]}}'
    )
    assert sorted_.status_code == 400
    assert sorted_.json()["errors"][0]["code"] == 38


def test_one_slip_in_json_and_xml_with_its_details(shop: PrestaShopSimulator) -> None:
    as_json = get(shop, "order_slip/2", params={"output_format": "JSON"})
    by_header = get(shop, "order_slip/2", headers={"Output-Format": "JSON"})
    as_xml = get(shop, "order_slip/1")

    assert as_json.text == compact({"order_slip": SECOND})
    assert by_header.text == as_json.text
    cdata = {k: v for k, v in FIRST.items() if k != "associations"}
    links = {"id_customer": "customers", "id_order": "orders"}
    fields = "".join(
        f'\t<{name} xlink:href="{shop.url}/api/{links[name]}/{value}"><![CDATA[{value}]]></{name}>\n'
        if name in links else f"\t<{name}><![CDATA[{value}]]></{name}>\n"
        for name, value in cdata.items()
    )
    assert as_xml.headers["content-type"] == "text/xml;charset=utf-8"
    assert as_xml.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        "<order_slip>\n"
        f"{fields}"
        "<associations>\n"
        '<order_slip_details nodeType="order_slip_detail" virtualEntity="true">\n'
        "\t<order_slip_detail>\n"
        "\t<id><![CDATA[1]]></id>\n"
        "\t<id_order_detail><![CDATA[11]]></id_order_detail>\n"
        "\t<product_quantity><![CDATA[1]]></product_quantity>\n"
        "\t<amount_tax_excl><![CDATA[41.280992]]></amount_tax_excl>\n"
        "\t<amount_tax_incl><![CDATA[49.950000]]></amount_tax_incl>\n"
        "\t</order_slip_detail>\n"
        "</order_slip_details>\n"
        "</associations>\n"
        "</order_slip>\n"
        "</prestashop>\n"
    )


def test_the_blank_schema_lists_the_fields_of_prestashop_8(shop: PrestaShopSimulator) -> None:
    blank = get(shop, "order_slip", params={"schema": "blank", "output_format": "JSON"})

    assert blank.json() == {"order_slip": {
        **{name: "" for name in FIRST if name != "associations"},
        "associations": {"order_slip_details": [
            {"id": "", "id_order_detail": "", "product_quantity": "", "amount_tax_excl": "",
             "amount_tax_incl": ""},
        ]},
    }}
    assert list(blank.json()["order_slip"]) == [
        "id", "id_customer", "id_order", "conversion_rate", "total_products_tax_excl",
        "total_products_tax_incl", "total_shipping_tax_excl", "total_shipping_tax_incl",
        "amount", "shipping_cost", "shipping_cost_amount", "partial", "date_add", "date_upd",
        "order_slip_type", "associations",
    ]


def test_401_without_a_key_and_an_empty_404_for_an_unknown_slip(
    shop: PrestaShopSimulator,
) -> None:
    anonymous = httpx.get(f"{shop.url}/api/order_slip/1")
    wrong = httpx.get(f"{shop.url}/api/order_slip/1", auth=("X" * 32, ""),
                      params={"output_format": "JSON"})
    unknown = get(shop, "order_slip/99", params={"output_format": "JSON"})

    assert (anonymous.status_code, anonymous.text) == (401, "401 Unauthorized")
    assert anonymous.headers["www-authenticate"].startswith(
        'Basic realm="Welcome to PrestaShop Webservice'
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"errors": [
        {"code": 20, "message": "Authentification key is not active"},
        {"code": 21, "message": "No permission for this authentication key"},
    ]}
    assert (unknown.status_code, unknown.content) == (404, b"")
