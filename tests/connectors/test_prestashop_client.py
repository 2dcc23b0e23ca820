"""PrestaShopClient against PrestaShopSimulator over real sockets: paging, batches, documents."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from mapper.connectors.prestashop.client import PrestaShopClient
from mapper.connectors.prestashop.simulator.data import (
    OrderBatch,
    demo_records,
    fetched_document,
    generate_orders,
)
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.simulation import Reply, Request

try:
    from tests.connectors.ps_fixtures import (
        order_list_requests,
        ps_client,
        ps_retry,
        ps_sim,
        ps_sleeps,
    )
except ImportError:
    from ps_fixtures import (  # type: ignore[no-redef]
        order_list_requests,
        ps_client,
        ps_retry,
        ps_sim,
        ps_sleeps,
    )

__all__ = ["ps_client", "ps_sim", "ps_sleeps"]  # fixtures used by name

EVER = (datetime(2000, 1, 1), datetime(2100, 1, 1))
KEY = PrestaShopSimulator.DEMO_KEY


def _client(simulator: PrestaShopSimulator) -> PrestaShopClient:
    return PrestaShopClient(simulator.url, KEY, timeout=2.0, retry=ps_retry())


def _spaced_batch(n: int, seed: int = 1) -> OrderBatch:
    """Orders an hour apart, every one paid immediately: distinct date_upd in id order."""
    return generate_orders(n, seed, interval_seconds=3600, unpaid_share=0.0)


def _expected(simulator: PrestaShopSimulator) -> list[tuple[str, int]]:
    orders = (simulator.order(i) for i in simulator.order_ids())
    return sorted((o["date_upd"], o["id"]) for o in orders if o is not None)


# -- window paging ----------------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 20, 21])
def test_window_paging_around_page_boundaries(count: int) -> None:
    simulator = PrestaShopSimulator()
    simulator.add_orders(_spaced_batch(count))
    with simulator, _client(simulator) as client:
        seen = [
            (d["order"]["date_upd"], d["order"]["id"])
            for d in client.iter_orders_changed(*EVER, page_size=10)
        ]
        pages = len(order_list_requests(simulator))
    assert seen == _expected(simulator)
    # A full page asks for the next one; a short (or empty) page ends the window.
    assert pages == count // 10 + 1


def test_empty_window_is_one_request_answered_with_a_bare_list() -> None:
    simulator = PrestaShopSimulator()
    simulator.add_orders(_spaced_batch(5))
    with simulator, _client(simulator) as client:
        docs = list(client.iter_orders_changed(datetime(1999, 1, 1), datetime(1999, 12, 31)))
        assert docs == []
        assert client.requests_made == 1


def test_window_bounds_are_inclusive_and_in_shop_time(ps_sim: PrestaShopSimulator,
                                                      ps_client: PrestaShopClient) -> None:
    first = ps_sim.order(1)
    assert first is not None
    moment = datetime.strptime(first["date_upd"], "%Y-%m-%d %H:%M:%S")
    docs = list(ps_client.iter_orders_changed(moment, moment))
    assert 1 in [d["order"]["id"] for d in docs]
    assert all(d["order"]["date_upd"] == first["date_upd"] for d in docs)
    query = order_list_requests(ps_sim)[0]
    assert query["filter[date_upd]"] == f"[{first['date_upd']},{first['date_upd']}]"
    assert query["date"] == "1"
    assert query["sort"] == "[date_upd_ASC,id_ASC]"
    assert query["display"] == "full"
    assert query["output_format"] == "JSON"


def test_orders_sharing_one_date_upd_are_paged_by_id(ps_sim: PrestaShopSimulator,
                                                     ps_client: PrestaShopClient) -> None:
    # The generated shop marks a day's parcels shipped at 16:00:00: many equal date_upd.
    expected = _expected(ps_sim)
    stamps = [stamp for stamp, _ in expected]
    assert max(stamps.count(s) for s in stamps) >= 3
    seen = [
        (d["order"]["date_upd"], d["order"]["id"])
        for d in ps_client.iter_orders_changed(*EVER, page_size=2)
    ]
    assert seen == expected


def test_an_order_changing_while_paging_does_not_hide_another() -> None:
    simulator = PrestaShopSimulator()
    simulator.add_orders(_spaced_batch(30))
    until = datetime(2030, 1, 1)
    with simulator, _client(simulator) as client:
        stream = client.iter_orders_changed(datetime(2000, 1, 1), until, page_size=10)
        seen = [next(stream)["order"]["id"] for _ in range(10)]
        # An order already given changes after the window's end: it leaves the window, which
        # with offset paging would shift the 11th order onto page one and skip it.
        simulator.set_order_state(seen[0], 4, at=until + timedelta(days=1))
        seen += [d["order"]["id"] for d in stream]
    assert sorted(seen) == list(range(1, 31))
    assert len(seen) == len(set(seen))


def test_a_change_inside_a_group_of_equal_date_upd_is_recovered() -> None:
    simulator = PrestaShopSimulator()
    batch = simulator.add_generated(12, seed=3, interval_seconds=3600, unpaid_share=0.0)
    same = datetime(2024, 6, 1, 12, 0, 0)
    for order_id in batch.order_ids:
        simulator.set_order_state(order_id, 5, at=same)  # one bulk update: 12 equal stamps
    with simulator, _client(simulator) as client:
        stream = client.iter_orders_changed(datetime(2024, 1, 1), datetime(2024, 12, 31),
                                            page_size=4)
        seen = [next(stream)["order"]["id"] for _ in range(4)]
        simulator.set_order_state(2, 4, at=datetime(2025, 1, 1))  # leaves the window
        seen += [d["order"]["id"] for d in stream]
    assert seen == list(range(1, 13))


def test_paging_is_a_stream_not_a_list(ps_sim: PrestaShopSimulator,
                                       ps_client: PrestaShopClient) -> None:
    stream = ps_client.iter_orders_changed(*EVER, page_size=5)
    next(stream)
    # The first page, and at most the next one asked for while the first is assembled.
    assert len(order_list_requests(ps_sim)) in (1, 2)
    rest = list(stream)
    assert len(rest) > 10 and len(order_list_requests(ps_sim)) > 2


def test_timezone_aware_bounds_need_the_shop_timezone(ps_sim: PrestaShopSimulator) -> None:
    aware = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
    with _client(ps_sim) as client, pytest.raises(ValueError, match="shop-local"):
        next(client.iter_orders_changed(aware, aware))
    amsterdam = timezone(timedelta(hours=1))
    with PrestaShopClient(ps_sim.url, KEY, shop_timezone=amsterdam, retry=ps_retry()) as client:
        list(client.iter_orders_changed(aware, aware))
    sent = order_list_requests(ps_sim)[-1]["filter[date_upd]"]
    assert sent == "[2024-01-02 09:00:00,2024-01-02 09:00:00]"


# -- filter[id] batches -----------------------------------------------------------------------
def test_fetch_orders_in_batches_keeps_order_and_reports_missing_ids(
    ps_sim: PrestaShopSimulator, ps_client: PrestaShopClient
) -> None:
    fetch = ps_client.fetch_orders([7, 999, 2, 7, 5, 1000, 6], batch_size=2)
    ids = [d["order"]["id"] for d in fetch]
    assert ids == [7, 2, 5, 6]
    assert fetch.missing_ids == [999, 1000]
    queries = order_list_requests(ps_sim)
    assert [q["filter[id]"] for q in queries] == ["[7|999]", "[2|5]", "[1000|6]"]


def test_fetch_orders_of_unknown_ids_only(ps_client: PrestaShopClient) -> None:
    fetch = ps_client.fetch_orders([5000, 5001])
    assert list(fetch) == []
    assert fetch.missing_ids == [5000, 5001]


# -- document assembly ------------------------------------------------------------------------
def test_documents_are_prestashops_objects_verbatim(ps_client: PrestaShopClient) -> None:
    records = demo_records()
    for doc, record in zip(ps_client.fetch_orders([1, 2, 3, 4]), records, strict=True):
        assert doc == json.loads(json.dumps(fetched_document(record)))
    doc = next(iter(ps_client.fetch_orders([2])))
    order = doc["order"]
    assert order["id"] == 2 and isinstance(order["id"], int)
    assert order["total_paid"] == "104.110000"
    assert order["associations"]["order_rows"][0]["unit_price_tax_incl"] == "20.619835"
    assert doc["countries"]["3"]["iso_code"] == "BE"
    assert doc["countries"]["3"]["name"] == [
        {"id": "1", "value": "Belgium"}, {"id": "2", "value": "België"}
    ]
    assert doc["addresses"][0]["vat_number"] == "BE0403019261"
    assert doc["products"] == {}


def test_generated_documents_match_the_offline_builder() -> None:
    simulator = PrestaShopSimulator()
    batch = simulator.add_generated(40, seed=21, bad_share=0.2, unreferenced_share=0.5)
    with simulator, _client(simulator) as client:
        docs = {d["order"]["id"]: d for d in client.iter_orders_changed(*EVER, page_size=7)}
    assert sorted(docs) == list(batch.order_ids)
    for order_id, doc in docs.items():
        assert doc == json.loads(json.dumps(fetched_document(batch.record(order_id))))


def test_order_address_not_among_the_customers_is_added(ps_client: PrestaShopClient) -> None:
    # Demo order 4 ships to a PostNL pick-up point (address 5, id_customer "0").
    doc = next(iter(ps_client.fetch_orders([4])))
    assert [a["id"] for a in doc["addresses"]] == [1, 2, 5]
    assert doc["addresses"][2]["id_customer"] == "0"
    assert doc["order"]["id_address_delivery"] == "5"
    assert set(doc["countries"]) == {"13"}


def test_a_page_is_assembled_in_a_few_requests(ps_sim: PrestaShopSimulator,
                                               ps_client: PrestaShopClient) -> None:
    docs = list(ps_client.iter_orders_changed(*EVER, page_size=100))
    assert len(docs) == 64
    per_resource: dict[str, int] = {}
    for request in ps_sim.request_log:
        per_resource[request.path] = per_resource.get(request.path, 0) + 1
    assert per_resource["/api/orders"] == 1
    assert per_resource["/api/customers"] == 1
    assert per_resource["/api/countries"] == 1
    assert per_resource["/api/products"] == 1
    assert per_resource["/api/addresses"] <= 2  # the customers' own, then any others by id
    assert ps_client.requests_made == sum(per_resource.values())


def test_products_without_reference_are_fetched_once_and_cached(
    ps_sim: PrestaShopSimulator, ps_client: PrestaShopClient
) -> None:
    first = next(iter(ps_client.fetch_orders([3])))  # row "Handmade ceramic bowl", no reference
    assert list(first["products"]) == ["14"]
    assert first["products"]["14"]["reference"] == ""
    assert "5" not in first["products"]  # the book has a reference: not fetched
    again = next(iter(ps_client.fetch_orders([3])))
    assert again["products"] == first["products"]
    product_queries = order_list_requests(ps_sim, "products")
    assert [q["filter[id]"] for q in product_queries] == ["[14]"]
    country_queries = order_list_requests(ps_sim, "countries")
    assert len(country_queries) == 1
    ps_client.reset_cache()
    next(iter(ps_client.fetch_orders([3])))
    assert len(order_list_requests(ps_sim, "products")) == 2


def test_missing_customer_gives_none(ps_sim: PrestaShopSimulator,
                                     ps_client: PrestaShopClient) -> None:
    ps_sim.update_order(1, id_customer="4242")
    doc = next(iter(ps_client.fetch_orders([1])))
    assert doc["customer"] is None
    assert [a["id"] for a in doc["addresses"]] == [1]  # the order's own address still comes


# -- other calls ------------------------------------------------------------------------------
def test_order_states_with_their_flags(ps_client: PrestaShopClient) -> None:
    states = {s["id"]: s for s in ps_client.order_states()}
    assert len(states) == 14
    assert states[2]["paid"] == "1" and states[2]["invoice"] == "1"
    assert states[10]["paid"] == "0"
    assert states[6]["name"][0] == {"id": "1", "value": "Canceled"}


def test_check_connection(ps_client: PrestaShopClient) -> None:
    info = ps_client.check_connection()
    assert info.version == PrestaShopSimulator.VERSION == "8.2.1"
    assert "orders" in info.resources
    assert info.rights is not None and info.rights["orders"] == frozenset({"GET", "HEAD"})
    assert info.writable() == {} and info.unreadable() == []


def test_only_get_requests_are_ever_sent(ps_sim: PrestaShopSimulator,
                                         ps_client: PrestaShopClient) -> None:
    ps_client.check_connection()
    ps_client.order_states()
    list(ps_client.iter_orders_changed(*EVER, page_size=9))
    list(ps_client.fetch_orders(range(1, 70)))
    assert {r.method for r in ps_sim.request_log} == {"GET"}
    assert all(r.path.startswith("/api/") for r in ps_sim.request_log)
    assert not [n for n in dir(ps_client) if n.startswith(("post", "put", "delete", "add"))]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://shop.example", "https://shop.example/api/"),
        ("https://shop.example/", "https://shop.example/api/"),
        ("https://shop.example/api", "https://shop.example/api/"),
        ("https://shop.example/winkel/api/", "https://shop.example/winkel/api/"),
        ("https://KEY@shop.example:8443/api", "https://shop.example:8443/api/"),
        ("http://[::1]:8080", "http://[::1]:8080/api/"),
    ],
)
def test_base_url_is_the_webservice_root(given: str, expected: str) -> None:
    with PrestaShopClient(given, KEY) as client:
        assert client.base_url == expected


class _CustomersWaitForAddresses(PrestaShopSimulator):
    """Answers a page's customers only once its addresses have been asked for: a client that
    asks for them one after the other gets no customers (HTTP 503, past its retries)."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses_asked = threading.Event()

    def handle(self, request: Request) -> Reply:
        if request.path.endswith("/addresses"):
            self.addresses_asked.set()
        elif request.path.endswith("/customers") and not self.addresses_asked.wait(2.0):
            return Reply(503, b"{}", {"Content-Type": "application/json"})
        return super().handle(request)


def test_a_pages_customers_and_addresses_are_asked_for_at_once() -> None:
    simulator = _CustomersWaitForAddresses()
    simulator.add_orders(_spaced_batch(3))
    with simulator, PrestaShopClient(simulator.url, KEY, timeout=5.0, retry=ps_retry()) as client:
        documents = list(client.iter_orders_changed(*EVER))
    assert [d["order"]["id"] for d in documents] == [1, 2, 3]
    assert all(d["customer"] is not None and d["addresses"] for d in documents)
