"""Lost answers and injected faults never duplicate a client or an invoice, nor lose one."""

from __future__ import annotations

import pytest
from mapper.connectors.errors import OutcomeUnknownError
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.simulation import Faults

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        ScriptedFaults,
        client_fields,
        clock,
        invoice_fields,
        make_factuursturen,
        payload,
        retry_policy,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        ScriptedFaults,
        client_fields,
        clock,
        invoice_fields,
        make_factuursturen,
        payload,
        retry_policy,
    )

__all__ = ["clock"]

# Request numbers of a first post(): 1 GET client (404), 2 POST client, 3 POST invoice.
GET_CLIENT, POST_CLIENT, POST_INVOICE = 1, 2, 3


def calls(sim: FactuursturenSimulator, method: str, resource: str) -> int:
    return sum(1 for m, path, _ in sim.requests_log
               if m == method and path == f"/api/v1/{resource}")


@pytest.mark.parametrize("kind", ["truncated", "500", "timeout", "429"])
def test_ensure_client_never_duplicates(clock: FakeClock, kind: str) -> None:
    with FactuursturenSimulator(clock=clock, faults=ScriptedFaults({POST_CLIENT: kind})) as sim, \
            make_factuursturen(sim, clock, timeout=0.1) as client:
        assert client.ensure_client(client_fields()) == "3104501"
        assert list(sim.clients) == ["3104501"]
        # Only a cut-off answer reached the handler before the retry; the others did not.
        assert calls(sim, "POST", "clients") == 1


def test_lost_client_answer_is_found_by_looking_again(clock: FakeClock) -> None:
    faults = ScriptedFaults({POST_CLIENT: "truncated"})
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock) as client:
        assert client.post(payload()).client_created is True
        assert [m for m, _, _ in sim.requests_log] == ["GET", "POST", "GET", "POST"]


def test_lost_invoice_answer_is_recovered_not_sent_twice(clock: FakeClock) -> None:
    faults = ScriptedFaults({POST_INVOICE: "truncated"})
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock) as client:
        result = client.post(payload())
        assert result.recovered is True and result.client_created is True
        assert list(sim.invoices) == [result.invoicenr]
        assert calls(sim, "POST", "invoices") == 1


@pytest.mark.parametrize("kind", ["500", "timeout"])
def test_unprocessed_invoice_is_looked_for_then_sent_once(clock: FakeClock, kind: str) -> None:
    faults = ScriptedFaults({POST_INVOICE: kind}, hang_seconds=0.3)
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock, timeout=0.1) as client:
        result = client.post(payload())
        assert result.recovered is False
        assert list(sim.invoices) == [result.invoicenr]
        assert calls(sim, "GET", "invoices") == 1  # looked before sending again


def test_a_429_is_retried_without_looking(clock: FakeClock) -> None:
    with FactuursturenSimulator(clock=clock,
                                faults=ScriptedFaults({POST_INVOICE: "429"})) as sim, \
            make_factuursturen(sim, clock) as client:
        result = client.post(payload())
        assert list(sim.invoices) == [result.invoicenr]
        assert calls(sim, "GET", "invoices") == 0
        assert len(clock.sleeps) == 1


def test_recovery_tells_two_orders_of_one_customer_apart(clock: FakeClock) -> None:
    # Second post(): 4 GET client (found), 5 POST invoice → answer lost.
    faults = ScriptedFaults({5: "truncated"})
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock) as client:
        first = client.post(payload(order="ORD00101"))
        second = client.post(payload(order="ORD00103"))
        assert second.recovered and second.invoicenr != first.invoicenr
        assert sim.invoices[second.invoicenr]["reference"]["line1"] == "Bestelling ORD00103"
        assert len(sim.invoices) == 2


def test_create_invoice_alone_stops_at_a_lost_answer(clock: FakeClock) -> None:
    with FactuursturenSimulator(clock=clock, faults=ScriptedFaults({2: "truncated"})) as sim, \
            make_factuursturen(sim, clock) as client:
        client.create_client(client_fields())
        with pytest.raises(OutcomeUnknownError, match="may have been created") as caught:
            client.create_invoice(invoice_fields())
        assert caught.value.transient and len(sim.invoices) == 1
        # The next pass asks post() to look first: still one invoice.
        again = client.post(payload(), check_first=True)
        assert again.recovered and len(sim.invoices) == 1


def test_lost_concept_answer_is_found_by_savename(clock: FakeClock) -> None:
    faults = ScriptedFaults({POST_INVOICE: "truncated"})
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock) as client:
        result = client.post(payload(action="save", savename="ORD00101"))
        assert result.recovered and list(sim.saved) == [result.invoicenr]


def test_every_order_booked_exactly_once_under_random_faults(clock: FakeClock) -> None:
    faults = Faults(rate=0.2, seed=5, hang_seconds=0.2)
    with FactuursturenSimulator(clock=clock, faults=faults) as sim, \
            make_factuursturen(sim, clock, timeout=0.1,
                               retry=retry_policy(clock, attempts=10)) as client:
        for n in range(20):
            client.post(payload(clientnr=3200000 + n % 7, order=f"ORD{n:05d}"))
        references = sorted(i["reference"]["line1"] for i in sim.invoices.values())
        assert references == sorted(f"Bestelling ORD{n:05d}" for n in range(20))
        assert len(sim.clients) == 7
        # Without faults: 7 × (GET, POST client, POST invoice) + 13 × (GET, POST invoice) = 47.
        assert client.requests_made > 47
