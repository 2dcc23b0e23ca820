"""What Factuursturen already holds, over real sockets: the invoice list paged (`count`,
`offset`) past the server's own page cap, keys that match a payload to its invoice or concept,
and a post whose answer was lost that is neither looked up nor created again by the client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from mapper.connectors.errors import OutcomeUnknownError
from mapper.connectors.factuursturen.booked import booking_key, list_booked
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        client_fields,
        make_factuursturen,
        payload,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        client_fields,
        make_factuursturen,
        payload,
    )

NOW = datetime(2026, 12, 1, 10, 0)


def window() -> tuple[datetime, datetime]:
    return NOW - timedelta(days=30), NOW + timedelta(days=1)


def booked_orders(sim: FactuursturenSimulator, count: int, **invoice: Any) -> None:
    with make_factuursturen(sim, FakeClock()) as client:
        for number in range(count):
            client.post(payload(order=f"ORD{number:05d}", **invoice))


def test_the_invoice_list_is_paged_past_the_servers_cap() -> None:
    with FactuursturenSimulator(max_page=7, now=lambda: NOW) as sim:
        booked_orders(sim, 30)
        with make_factuursturen(sim, FakeClock()) as client:
            before = client.requests_made
            listed = list(client.iter_invoices(page_size=10))
            pages = client.requests_made - before
    assert sorted(invoice["invoicenr"] for invoice in listed) == sorted(sim.invoices)
    assert len(listed) == 30
    assert pages == 6  # 5 pages of 7 (the cap, not the 10 asked) and the empty one


def test_list_booked_keys_sent_invoices_as_their_payloads() -> None:
    with FactuursturenSimulator(now=lambda: NOW) as sim:
        booked_orders(sim, 3)
        with make_factuursturen(sim, FakeClock()) as client:
            booked = list_booked(client, *window())
    keys = {booking_key(payload(order=f"ORD{n:05d}")["invoice"]) for n in range(3)}
    assert set(booked) == keys
    assert sorted(booked.values()) == sorted(sim.invoices)
    assert booked[booking_key(payload(order="ORD00001")["invoice"])] == "20260002"


def test_list_booked_keys_concepts_by_savename() -> None:
    with FactuursturenSimulator(now=lambda: NOW) as sim:
        booked_orders(sim, 1, action="save", savename="Bestelling ORD00000")
        with make_factuursturen(sim, FakeClock()) as client:
            booked = list_booked(client, *window())
    key = booking_key(payload(order="ORD00000", action="save",
                              savename="Bestelling ORD00000")["invoice"])
    assert booked == {key: "101"}
    assert key == "concept|Bestelling ORD00000"


def test_two_invoices_with_one_key_are_left_to_the_look_up() -> None:
    with FactuursturenSimulator(now=lambda: NOW) as sim:
        booked_orders(sim, 1)
        with make_factuursturen(sim, FakeClock()) as client:
            client.post(payload(order="ORD00000"))  # booked twice by hand, say
            booked_orders(sim, 1, reference={"line1": "Bestelling ORD00009"})
            booked = list_booked(client, *window())
    assert list(booked.values()) == ["20260003"]


def test_a_lost_answer_is_neither_looked_up_nor_created_again_by_the_client() -> None:
    sim = FactuursturenSimulator(booking_latency=1.0, now=lambda: NOW)
    with sim, make_factuursturen(sim, FakeClock(), timeout=0.3) as client:
        client.create_client(client_fields())
        with pytest.raises(OutcomeUnknownError):
            client.post(payload(), recover=False)
        assert sim.wait_for_bookings(1, timeout=10)
    assert list(sim.invoices) == ["20260001"]
    posts = [path for method, path, _ in sim.requests_log if method == "POST"]
    lookups = [path for method, path, _ in sim.requests_log
               if method == "GET" and path.endswith("/invoices")]
    assert posts == ["/api/v1/clients", "/api/v1/invoices"] and lookups == []
