"""Contract: the simulator's XML has the structure of real PrestaShop answers.

The shapes below are written down from real recordings of a PrestaShop 1.6.1 shop (the OCA
connector-prestashop cassettes: orders/5, customers/1, addresses/4, countries/13): element names in
order, and the attributes each element carries. PrestaShop 1.7 / 8 add a few fields (from the 8.x
`?schema=blank` documents); they are listed separately with the element they follow. The project
never reads the recordings themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator

XLINK_NS = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK_NS}}}href"
L = ("xlink:href",)  # a foreign key
N = ("notFilterable",)

Shape = list[tuple[str, tuple[str, ...]]]

# orders/5 (PrestaShop 1.6.1.23): every child of <order>, with its attributes.
ORDER_16: Shape = [
    ("id", ()), ("id_address_delivery", L), ("id_address_invoice", L), ("id_cart", L),
    ("id_currency", L), ("id_lang", L), ("id_customer", L), ("id_carrier", L),
    ("current_state", L), ("module", ()), ("invoice_number", ()), ("invoice_date", ()),
    ("delivery_number", ()), ("delivery_date", ()), ("valid", ()), ("date_add", ()),
    ("date_upd", ()), ("shipping_number", N), ("id_shop_group", ()), ("id_shop", ()),
    ("secure_key", ()), ("payment", ()), ("recyclable", ()), ("gift", ()),
    ("gift_message", ()), ("mobile_theme", ()), ("total_discounts", ()),
    ("total_discounts_tax_incl", ()), ("total_discounts_tax_excl", ()), ("total_paid", ()),
    ("total_paid_tax_incl", ()), ("total_paid_tax_excl", ()), ("total_paid_real", ()),
    ("total_products", ()), ("total_products_wt", ()), ("total_shipping", ()),
    ("total_shipping_tax_incl", ()), ("total_shipping_tax_excl", ()), ("carrier_tax_rate", ()),
    ("total_wrapping", ()), ("total_wrapping_tax_incl", ()), ("total_wrapping_tax_excl", ()),
    ("round_mode", ()), ("round_type", ()), ("conversion_rate", ()), ("reference", ()),
    ("associations", ()),
]
ORDER_ROW_16 = [
    "id", "product_id", "product_attribute_id", "product_quantity", "product_name",
    "product_reference", "product_ean13", "product_upc", "product_price",
    "unit_price_tax_incl", "unit_price_tax_excl",
]
# Fields PrestaShop 1.7 / 8 add (orders.blank.xml of the 8.x docs): (new field, after field).
ORDER_ADDED = [("note", "shipping_number")]
ORDER_ROW_ADDED = [("product_isbn", "product_ean13"), ("id_customization", "product_price")]

# customers/1 (1.6.1.6) plus the 8.x additions at its end.
CUSTOMER: Shape = [
    ("id", ()), ("id_default_group", L), ("id_lang", L), ("newsletter_date_add", ()),
    ("ip_registration_newsletter", ()), ("last_passwd_gen", ()), ("secure_key", ()),
    ("deleted", ()), ("passwd", ()), ("lastname", ()), ("firstname", ()), ("email", ()),
    ("id_gender", ()), ("birthday", ()), ("newsletter", ()), ("optin", ()), ("website", ()),
    ("company", ()), ("siret", ()), ("ape", ()), ("outstanding_allow_amount", ()),
    ("show_public_prices", ()), ("id_risk", ()), ("max_payment_days", ()), ("active", ()),
    ("note", ()), ("is_guest", ()), ("id_shop", ()), ("id_shop_group", ()), ("date_add", ()),
    ("date_upd", ()), ("reset_password_token", ()), ("reset_password_validity", ()),
    ("associations", ()),
]
# addresses/4 (1.6.1.23); id_state links only when it is not 0.
ADDRESS: Shape = [
    ("id", ()), ("id_customer", L), ("id_manufacturer", ()), ("id_supplier", ()),
    ("id_warehouse", ()), ("id_country", L), ("id_state", L), ("alias", ()), ("company", ()),
    ("lastname", ()), ("firstname", ()), ("vat_number", ()), ("address1", ()), ("address2", ()),
    ("postcode", ()), ("city", ()), ("other", ()), ("phone", ()), ("phone_mobile", ()),
    ("dni", ()), ("deleted", ()), ("date_add", ()), ("date_upd", ()),
]
# countries/13 (the Netherlands); id_currency "0" carries no link.
COUNTRY: Shape = [
    ("id", ()), ("id_zone", L), ("id_currency", ()), ("call_prefix", ()), ("iso_code", ()),
    ("active", ()), ("contains_states", ()), ("need_identification_number", ()),
    ("need_zip_code", ()), ("zip_code_format", ()), ("display_tax_label", ()), ("name", ()),
]


def _with_added(names: list[str], added: list[tuple[str, str]]) -> list[str]:
    result = list(names)
    for name, after in added:
        result.insert(result.index(after) + 1, name)
    return result


def _attributes(element: etree._Element) -> tuple[str, ...]:
    names = []
    for name in element.attrib:
        names.append("xlink:href" if name == HREF else str(name))
    return tuple(names)


def _shape(element: etree._Element) -> Shape:
    return [(str(child.tag), _attributes(child)) for child in element]


@pytest.fixture(scope="module")
def ps_xml() -> Iterator[tuple[str, httpx.Client]]:
    simulator = PrestaShopSimulator()
    simulator.add_orders(demo_records())
    with simulator, httpx.Client(base_url=f"{simulator.url}/api/",
                                 auth=(PrestaShopSimulator.DEMO_KEY, "")) as client:
        yield simulator.url, client


def _get(client: httpx.Client, path: str) -> tuple[str, etree._Element]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml;charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == "prestashop"
    assert root.nsmap == {"xlink": XLINK_NS}
    assert len(root) == 1
    return response.text, root[0]


def test_order_has_the_shape_of_a_real_order(ps_xml: tuple[str, httpx.Client]) -> None:
    url, client = ps_xml
    text, order = _get(client, "orders/1")
    expected_names = _with_added([name for name, _ in ORDER_16], ORDER_ADDED)
    attributes = dict(ORDER_16) | {name: () for name, _ in ORDER_ADDED}
    assert _shape(order) == [(name, attributes[name]) for name in expected_names]

    associations = order.find("associations")
    assert associations is not None and [c.tag for c in associations] == ["order_rows"]
    rows = associations[0]
    assert {str(k): str(v) for k, v in rows.attrib.items()} == {
        "nodeType": "order_row", "virtualEntity": "true"
    }
    assert len(rows) == 3 and all(row.tag == "order_row" and not row.attrib for row in rows)
    for row in rows:
        assert [(c.tag, dict(c.attrib)) for c in row] == [
            (name, {}) for name in _with_added(ORDER_ROW_16, ORDER_ROW_ADDED)
        ]

    # Links point at the resource and carry the value; every value is CDATA, empty ones bare.
    customer = order.find("id_customer")
    assert customer is not None and customer.get(HREF) == f"{url}/api/customers/1"
    state = order.find("current_state")
    assert state is not None and state.get(HREF) == f"{url}/api/order_states/{state.text}"
    assert "<gift_message></gift_message>" in text
    assert "\t<total_paid><![CDATA[76.350000]]></total_paid>\n" in text
    values = re.findall(r"<(\w+)(?: [^>]*)?>([^<]+)</\1>", text)
    assert values == []  # no value outside CDATA
    assert "<associations>\n<order_rows" in text and "\t<order_row>\n\t<id><![CDATA[" in text


def test_money_and_rates_are_formatted_as_prestashop_stores_them(
    ps_xml: tuple[str, httpx.Client],
) -> None:
    _, order = _get(ps_xml[1], "orders/2")
    for element in order:
        if element.tag.startswith("total_") or element.tag == "conversion_rate":
            assert re.fullmatch(r"-?\d+\.\d{6}", element.text or ""), element.tag
    assert re.fullmatch(r"\d+\.\d{3}", order.findtext("carrier_tax_rate") or "")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", order.findtext("date_upd") or "")
    assert order.findtext("invoice_date") != ""


@pytest.mark.parametrize(("path", "shape"), [("addresses/4", ADDRESS), ("countries/13", COUNTRY)])
def test_address_and_country_shapes(ps_xml: tuple[str, httpx.Client], path: str,
                                    shape: Shape) -> None:
    _, element = _get(ps_xml[1], path)
    assert _shape(element) == shape


def test_address_without_state_has_no_state_link(ps_xml: tuple[str, httpx.Client]) -> None:
    _, address = _get(ps_xml[1], "addresses/1")
    state = address.find("id_state")
    assert state is not None and state.text == "0" and not state.attrib


def test_customer_shape_with_its_groups(ps_xml: tuple[str, httpx.Client]) -> None:
    url, client = ps_xml
    _, customer = _get(client, "customers/1")
    assert _shape(customer) == CUSTOMER
    groups = customer.find("associations/groups")
    assert groups is not None
    assert {str(k): str(v) for k, v in groups.attrib.items()} == {
        "nodeType": "group", "api": "groups"
    }
    group = groups[0]
    assert group.tag == "group" and group.get(HREF) == f"{url}/api/groups/3"
    assert [c.tag for c in group] == ["id"]


def test_i18n_fields_hold_one_language_element_per_language(
    ps_xml: tuple[str, httpx.Client],
) -> None:
    url, client = ps_xml
    text, country = _get(client, "countries/13")
    name = country.find("name")
    assert name is not None
    assert [(c.tag, c.get("id"), c.get(HREF), c.text) for c in name] == [
        ("language", "1", f"{url}/api/languages/1", "Netherlands"),
        ("language", "2", f"{url}/api/languages/2", "Nederland"),
    ]
    assert '<language id="1" xlink:href=' in text


def test_json_has_the_same_fields_as_xml(ps_xml: tuple[str, httpx.Client]) -> None:
    client = ps_xml[1]
    _, order = _get(client, "orders/3")
    as_json = client.get("orders/3", params={"output_format": "JSON"}).json()["order"]
    assert list(as_json) == [c.tag for c in order]
    assert isinstance(as_json["id"], int)
    scalars = {k: v for k, v in as_json.items() if k not in ("id", "associations")}
    assert all(isinstance(v, str) for v in scalars.values())
    rows = as_json["associations"]["order_rows"]
    assert all(isinstance(v, str) for row in rows for v in row.values())
