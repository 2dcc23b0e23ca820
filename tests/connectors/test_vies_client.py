"""The VIES client against the local VIES simulator over real HTTP: three-valued answers,
the service's faults, timeouts and no connection — never an exception, never `invalid` for
VIES being down — and the SOAP envelope VIES expects."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Faults, Reply, Request
from mapper.connectors.vies.client import WSDL, ViesAnswer, ViesClient
from mapper.connectors.vies.simulator import ViesSimulator

DAY = dt.date(2024, 6, 15)
TODAY = dt.date(2024, 6, 16)  # the client's own date, for answers VIES did not date
NO_WAIT = RetryPolicy(attempts=3, sleep=lambda seconds: None)


@pytest.fixture
def vies() -> Iterator[ViesSimulator]:
    with ViesSimulator(today=lambda: DAY) as simulator:
        yield simulator


def client(simulator: ViesSimulator, timeout: float = 5.0) -> ViesClient:
    return ViesClient(simulator.service_url, timeout=timeout, retry=NO_WAIT, today=lambda: TODAY)


def test_a_registered_number_is_valid_on_the_day_vies_answered(vies: ViesSimulator) -> None:
    assert client(vies).check("DE136695976") == ViesAnswer("DE136695976", "valid", DAY)


def test_a_number_vies_does_not_know_is_invalid(vies: ViesSimulator) -> None:
    assert client(vies).check("DE123456788") == ViesAnswer("DE123456788", "invalid", DAY)


def test_greece_and_northern_ireland_are_asked_with_their_vies_prefixes(
    vies: ViesSimulator,
) -> None:
    answers = [client(vies).check(n).status for n in ("EL094259216", "XI980780684")]
    assert answers == ["valid", "valid"]
    assert vies.asked == ["EL094259216", "XI980780684"]


def test_the_request_is_the_checkvat_envelope_vies_expects(vies: ViesSimulator) -> None:
    bodies: list[bytes] = []
    handle = vies.handle

    def keep(request: Request) -> Reply:
        bodies.append(request.body)
        return handle(request)

    vies.handle = keep  # type: ignore[method-assign]
    client(vies).check("FR40303265045")
    root = etree.fromstring(bodies[0])
    types = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
    check = root.find(f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{{{types}}}checkVat")
    assert check is not None
    assert [(etree.QName(c).localname, c.text) for c in check] == [
        ("countryCode", "FR"),
        ("vatNumber", "40303265045"),
    ]


def test_member_state_unavailable_is_unverified_and_not_asked_again(vies: ViesSimulator) -> None:
    vies.unavailable.add("DE")
    vies_client = client(vies)
    answer = vies_client.check("DE136695976")
    assert answer == ViesAnswer("DE136695976", "unverified", TODAY, "MS_UNAVAILABLE")
    assert vies_client.calls == 1  # a member state that is down stays down for a while


def test_a_timeout_fault_is_retried_then_unverified(vies: ViesSimulator) -> None:
    vies.timing_out.add("DE")
    vies_client = client(vies)
    assert vies_client.check("DE136695976") == ViesAnswer(
        "DE136695976", "unverified", TODAY, "TIMEOUT"
    )
    assert vies_client.calls == 3


def test_a_timeout_fault_that_clears_gives_the_verdict(vies: ViesSimulator) -> None:
    vies.timing_out.add("DE")
    handle = vies.handle

    def clear_after_first(request: Request) -> Reply:
        reply = handle(request)
        vies.timing_out.clear()
        return reply

    vies.handle = clear_after_first  # type: ignore[method-assign]
    assert client(vies).check("DE136695976").status == "valid"


def test_no_answer_in_time_is_unverified() -> None:
    silent = Faults(rate=1.0, kinds=("timeout",), hang_seconds=1.0)
    with ViesSimulator(today=lambda: DAY, faults=silent) as vies:
        answer = client(vies, timeout=0.2).check("DE136695976")
    assert answer == ViesAnswer("DE136695976", "unverified", TODAY, "TIMEOUT")


@pytest.mark.parametrize(
    ("setup", "fault"),
    [
        (lambda s: setattr(s, "down", True), "SERVICE_UNAVAILABLE"),
        (lambda s: s.busy.add("DE"), "MS_MAX_CONCURRENT_REQ"),
    ],
)
def test_vies_busy_or_down_is_unverified_never_invalid(
    vies: ViesSimulator, setup: object, fault: str
) -> None:
    setup(vies)  # type: ignore[operator]
    assert client(vies).check("DE136695976") == ViesAnswer(
        "DE136695976", "unverified", TODAY, fault
    )


def test_vies_out_of_reach_is_unverified() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    unreachable = ViesClient(
        f"http://127.0.0.1:{port}/checkVatService", timeout=1, retry=NO_WAIT, today=lambda: TODAY
    )
    assert unreachable.check("DE136695976") == ViesAnswer(
        "DE136695976", "unverified", TODAY, "UNREACHABLE"
    )


def test_a_prefix_vies_does_not_serve_is_invalid_input_hence_unverified(
    vies: ViesSimulator,
) -> None:
    # GB numbers left VIES with Brexit: VIES answers INVALID_INPUT, which is no verdict.
    assert client(vies).check("GB123456789") == ViesAnswer(
        "GB123456789", "unverified", TODAY, "INVALID_INPUT"
    )


def test_the_wsdl_is_served_and_is_the_one_the_client_reads(vies: ViesSimulator) -> None:
    answer = httpx.get(vies.service_url + "?wsdl")
    assert answer.status_code == 200 and answer.content == WSDL.read_bytes()


def test_no_vat_number_reaches_the_log(
    vies: ViesSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    vies.timing_out.add("DE")
    with caplog.at_level(logging.DEBUG):
        client(vies).check("DE136695976")
    assert caplog.records
    assert "136695976" not in caplog.text
