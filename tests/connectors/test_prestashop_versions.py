"""PrestaShop 1.7 / 8.2 (strings) and 8.0–8.1 on PHP ≥ 8.1 (integer columns as JSON numbers),
client against the simulator over real sockets; and the connection check (`PrestaShopSource.check`).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mapper.connectors.adapters import CheckLine
from mapper.connectors.prestashop.adapter import PrestaShopSource
from mapper.connectors.prestashop.client import PrestaShopClient
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.engine.mapping import Pair, Payload

try:
    from tests.connectors.ps_fixtures import ps_retry
except ImportError:
    from ps_fixtures import ps_retry  # type: ignore[no-redef]

KEY = PrestaShopSimulator.DEMO_KEY
EVER = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _shop(version: str, **options: Any) -> PrestaShopSimulator:
    simulator = PrestaShopSimulator(version=version, **options)
    simulator.add_orders(demo_records())
    simulator.add_generated(30, seed=5, bad_share=0.1, unreferenced_share=0.3)
    return simulator


@pytest.fixture
def shop81() -> Iterator[PrestaShopSimulator]:
    with _shop("8.1.7") as simulator:
        yield simulator


@pytest.fixture
def shop82() -> Iterator[PrestaShopSimulator]:
    with _shop("8.2.1") as simulator:
        yield simulator


def _client(simulator: PrestaShopSimulator, key: str = KEY) -> PrestaShopClient:
    return PrestaShopClient(simulator.url, key, timeout=2.0, retry=ps_retry(attempts=2))


def _source(url: str, key: str = KEY) -> PrestaShopSource:
    section = {"type": "prestashop", "url": url, "key": key, "timeout": 1}
    return PrestaShopSource(section, "my-shop", ps_retry(attempts=2))


# -- the 8.1 shape on the wire ----------------------------------------------------------------
def test_8_1_answers_integer_columns_as_json_numbers_and_amounts_as_strings(
    shop81: PrestaShopSimulator,
) -> None:
    with httpx.Client(base_url=f"{shop81.url}/api/", auth=(KEY, "")) as http:
        response = http.get("orders/1", params={"output_format": "JSON"})
    assert response.headers["PSWS-Version"] == "8.1.7"
    order = response.json(parse_float=Decimal)["order"]
    assert (order["id"], order["id_customer"], order["current_state"]) == (1, 1, 4)
    assert order["valid"] == 1 and order["round_type"] == 2 and order["gift"] == 0
    assert isinstance(order["total_paid_tax_incl"], str) and order["carrier_tax_rate"] == "21.000"
    row = order["associations"]["order_rows"][0]
    assert isinstance(row["product_id"], int) and isinstance(row["product_quantity"], int)
    assert isinstance(row["unit_price_tax_incl"], str)
    assert '"id_customer":1,' in response.text


def test_8_2_answers_strings_again(shop82: PrestaShopSimulator) -> None:
    with httpx.Client(base_url=f"{shop82.url}/api/", auth=(KEY, "")) as http:
        order = http.get("orders/1", params={"output_format": "JSON"}).json()["order"]
    assert (order["id"], order["id_customer"], order["current_state"]) == (1, "1", "4")


def test_8_1_fails_the_json_root_but_answers_it_in_xml(shop81: PrestaShopSimulator) -> None:
    with httpx.Client(base_url=f"{shop81.url}/api/", auth=(KEY, "")) as http:
        assert http.get("", params={"output_format": "JSON"}).status_code == 500
        xml = http.get("")
    assert xml.status_code == 200
    assert '<orders xlink:href="' in xml.text and 'get="true" put="false"' in xml.text


# -- the client reads both shapes the same ----------------------------------------------------
def _normalised(document: Any) -> Any:
    """Numbers and strings of digits as one: what "read the same" means."""
    return json.loads(json.dumps(document, default=str), parse_int=str)


def test_the_client_fetches_8_1_orders_as_it_fetches_8_2_orders(
    shop81: PrestaShopSimulator, shop82: PrestaShopSimulator
) -> None:
    with _client(shop81) as client81, _client(shop82) as client82:
        changed81 = list(client81.iter_orders_changed(*EVER, page_size=7))
        changed82 = list(client82.iter_orders_changed(*EVER, page_size=7))
        fetch = client81.fetch_orders([3, 999, 1, 3])
        by_id = list(fetch)
    assert [d["order"]["id"] for d in changed81] == [d["order"]["id"] for d in changed82]
    assert len(changed81) == 34
    assert _normalised(changed81) == _normalised(changed82)
    assert isinstance(changed81[0]["order"]["id_customer"], int)
    assert [d["order"]["id"] for d in by_id] == [3, 1] and fetch.missing_ids == [999]
    american = by_id[0]
    assert american["customer"]["id"] == 3 and american["customer"]["is_guest"] == 1
    assert [a["id"] for a in american["addresses"]] == [4]
    assert list(american["countries"]) == ["21"] and american["countries"]["21"]["iso_code"] == "US"
    assert list(american["products"]) == ["14"]  # the row without reference, keyed as text


def test_8_1_orders_map_to_the_payloads_of_8_2_orders(
    shop81: PrestaShopSimulator, shop82: PrestaShopSimulator
) -> None:
    pair = Pair.load("prestashop-yuki")
    with _client(shop81) as client81, _client(shop82) as client82:
        numbers = list(client81.fetch_orders(range(1, 35)))
        strings = list(client82.fetch_orders(range(1, 35)))
    payloads = 0
    for with_numbers, with_strings in zip(numbers, strings, strict=True):
        a, b = pair.map(with_numbers), pair.map(with_strings)
        assert type(a) is type(b)
        if isinstance(a, Payload) and isinstance(b, Payload):
            payloads += 1
            assert a.body == b.body and a.canonical == b.canonical
        else:
            assert a == b
    assert payloads >= 15
    first = pair.map(numbers[0])
    assert isinstance(first, Payload)
    assert first.canonical["id"] == "1" and first.canonical["status"] == "4"
    assert first.canonical["totals"]["paid"] == Decimal(numbers[0]["order"]["total_paid_tax_incl"]).quantize(Decimal("0.01"))


# -- the connection check ---------------------------------------------------------------------
def _lines(source: PrestaShopSource) -> list[CheckLine]:
    try:
        return source.check()
    finally:
        source.close()


def test_check_on_8_2_logs_in_and_finds_read_rights_only(shop82: PrestaShopSimulator) -> None:
    host = shop82.url.removeprefix("http://")
    assert _lines(_source(shop82.url)) == [
        CheckLine("PrestaShop", True, f"{host}: logged in (PrestaShop 8.2.1)"),
        CheckLine("PrestaShop", True, "the key may only read (View / GET), as the manual asks"),
    ]


def test_check_on_8_1_does_not_depend_on_the_json_root(shop81: PrestaShopSimulator) -> None:
    host = shop81.url.removeprefix("http://")
    lines = _lines(_source(shop81.url))
    assert lines[0] == CheckLine("PrestaShop", True, f"{host}: logged in (PrestaShop 8.1.7)")
    assert lines[1].ok and not lines[1].warning
    queries = [(r.path, dict(r.query)) for r in shop81.request_log]
    assert ("/api/orders", {"limit": "1", "display": "[id]", "output_format": "JSON"}) in queries
    assert ("/api/", {}) in queries  # the root asked in XML, never in JSON
    assert all(not (p == "/api/" and q.get("output_format")) for p, q in queries)


def test_check_says_plainly_when_the_rights_cannot_be_read(shop81: PrestaShopSimulator) -> None:
    shop81.api_root_fails = True
    lines = _lines(_source(shop81.url))
    assert lines[0].ok
    assert lines[1] == CheckLine(
        "PrestaShop",
        True,
        "the key's rights could not be read (GET /api/ answered HTTP 500); check in "
        "Advanced parameters > Webservice that it has View (GET) only",
        warning=True,
    )


def test_check_warns_about_a_key_that_may_write() -> None:
    with _shop("8.1.7", key_methods=("GET", "PUT", "POST", "DELETE", "HEAD")) as simulator:
        lines = _lines(_source(simulator.url))
    assert lines[0].ok and not lines[0].warning
    assert lines[1] == CheckLine(
        "PrestaShop",
        True,
        "the key may also write (DELETE/POST/PUT on 11 resources: addresses, countries, "
        "currencies, customers, languages, …); the manual asks for View (GET) only: untick the "
        "rest in Advanced parameters > Webservice",
        warning=True,
    )


def test_check_with_a_wrong_key(shop81: PrestaShopSimulator) -> None:
    host = shop81.url.removeprefix("http://")
    wrong = "X" * 32
    lines = _lines(_source(shop81.url, key=wrong))
    assert lines == [
        CheckLine("PrestaShop", False,
                  f"{host}: key refused (check the webservice key in Advanced parameters > "
                  "Webservice)"),
    ]
    assert wrong not in lines[0].message


def test_check_with_the_webservice_switched_off(shop81: PrestaShopSimulator) -> None:
    shop81.webservice_enabled = False
    (line,) = _lines(_source(shop81.url))
    assert not line.ok and line.message.endswith(
        "the webservice is disabled (enable it in Advanced parameters > Webservice)"
    )


def test_check_of_an_unreachable_shop_names_its_host() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (line,) = _lines(_source(f"http://127.0.0.1:{port}"))
    assert not line.ok
    assert line.message.startswith(f"cannot reach 127.0.0.1:{port}: the connection failed")
