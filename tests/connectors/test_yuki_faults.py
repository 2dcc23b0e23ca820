"""How YukiClient maps Yuki's failures, and that the access key never leaks."""

from __future__ import annotations

import logging
import traceback

import pytest
from mapper.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.yuki.client import YukiClient, fault_error
from mapper.connectors.yuki.simulator import (
    DEMO_ACCESS_KEY,
    DEMO_ADMINISTRATION_ID,
    YukiSimulator,
    soap_fault_reply,
)

try:
    from tests.connectors.yuki_fixtures import (
        FakeClock,
        _running_yuki_sim,
        faulty_simulator,
        invoices,
        make_client,
        sales_invoices_xml,
        soap_version,
        yuki_client,
        yuki_sim,
    )
except ImportError:
    from yuki_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        _running_yuki_sim,
        faulty_simulator,
        invoices,
        make_client,
        sales_invoices_xml,
        soap_version,
        yuki_client,
        yuki_sim,
    )

__all__ = ["_running_yuki_sim", "soap_version", "yuki_client", "yuki_sim"]  # fixtures used by name

SECRET_KEY = "s3cr3t-access-key-do-not-print-0123456789"


def demo_client(simulator: YukiSimulator, **options: object) -> YukiClient:
    return make_client(simulator, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID, **options)


def test_unknown_access_key_is_an_authentication_error(yuki_sim: YukiSimulator,
                                                       soap_version: str) -> None:
    client = make_client(yuki_sim, "wrong-key", DEMO_ADMINISTRATION_ID,
                         soap_version=soap_version)
    with pytest.raises(AuthenticationError, match="access key is not valid"):
        client.administrations()
    assert client.calls_made == 1  # not retried


def test_key_without_webservice_rights(yuki_sim: YukiSimulator) -> None:
    yuki_sim.add_access_key("no-rights", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                            webservice_rights=False)
    client = make_client(yuki_sim, "no-rights", DEMO_ADMINISTRATION_ID)
    with pytest.raises(AuthenticationError, match="no rights"):
        client.active_vat_codes()


def test_daily_limit_is_a_quota_error(soap_version: str) -> None:
    simulator = YukiSimulator(daily_limit=3)
    simulator.seed_demo()
    with simulator:
        client = demo_client(simulator, soap_version=soap_version)
        client.administrations()
        client.active_vat_codes()  # Authenticate + 2 calls = 3
        with pytest.raises(QuotaExceededError) as caught:
            client.process_sales_invoices(sales_invoices_xml(invoices(1)))
    assert "Daily limit exceeded" in caught.value.message
    assert "3 free webservice calls a day" in caught.value.message
    assert not caught.value.transient
    assert client.calls_made == 4
    assert simulator.invoices == []


def test_daily_limit_resets_the_next_day() -> None:
    clock = FakeClock()
    simulator = YukiSimulator(daily_limit=2, clock=clock)
    simulator.seed_demo()
    with simulator:
        client = demo_client(simulator)
        client.administrations()
        with pytest.raises(QuotaExceededError):
            client.administrations()
        clock.advance(24 * 3600)
        assert client.administrations()


def test_soap_server_fault_is_transient_and_retried(soap_version: str) -> None:
    simulator = faulty_simulator("500")
    with simulator:
        client = demo_client(simulator, soap_version=soap_version)
        with pytest.raises(TransientError, match="Server was unable to process request"):
            client.administrations()
    assert client.calls_made == 3  # NO_WAIT makes three attempts


def test_5xx_without_soap_fault_is_transient() -> None:
    simulator = faulty_simulator("500", html_errors=True)
    with simulator:
        client = demo_client(simulator)
        with pytest.raises(TransientError) as caught:
            client.administrations()
    assert caught.value.status == 502
    assert client.calls_made == 3


def test_429_is_rate_limited_with_retry_after() -> None:
    simulator = faulty_simulator("429")
    with simulator:
        client = demo_client(simulator)
        with pytest.raises(RateLimitedError) as caught:
            client.administrations()
    assert caught.value.retry_after == 0.0


def test_timeout_is_transient() -> None:
    simulator = faulty_simulator("timeout")
    with simulator:
        client = demo_client(simulator, timeout=0.1,
                             retry=RetryPolicy(attempts=1, sleep=lambda s: None))
        with pytest.raises(TransientError):
            client.administrations()


def test_truncated_answer_is_transient() -> None:
    simulator = faulty_simulator("truncated")
    with simulator:
        client = demo_client(simulator, retry=RetryPolicy(attempts=1, sleep=lambda s: None))
        with pytest.raises(TransientError):
            client.administrations()


def test_connection_refused_is_transient() -> None:
    simulator = YukiSimulator()
    with simulator:
        url = simulator.url
    client = YukiClient(url, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID, timeout=1.0,
                        retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(TransientError, match="connection"):
        client.administrations()
    assert client.calls_made == 2


def test_intermittent_faults_are_ridden_out(soap_version: str) -> None:
    simulator = faulty_simulator("500", rate=0.4)
    simulator.faults.kinds = ("500", "429", "truncated")
    with simulator:
        client = demo_client(simulator, soap_version=soap_version,
                             retry=RetryPolicy(attempts=10, sleep=lambda s: None))
        for batch in range(5):
            text = sales_invoices_xml(invoices(3, prefix=f"B{batch}"))
            result = client.process_sales_invoices(text)
            assert result.total_succeeded + result.total_failed == 3
        assert client.active_vat_codes()
    # retries of a ProcessSalesInvoices whose answer was cut short meet "already exists"
    assert len(simulator.invoices) == 15
    assert len({i["reference"] for i in simulator.invoices}) == 15


class Scripted(YukiSimulator):
    """Answers one operation with a fault of the test's choosing."""

    def __init__(self, operation: str, string: str, code: str = "Client") -> None:
        super().__init__()
        self.seed_demo()
        self.script = (operation, string, code)

    def handle(self, request: Request) -> Reply:
        operation, string, code = self.script
        if f"<ns0:{operation}".encode() in request.body or f":{operation}>".encode() in request.body:
            return soap_fault_reply(11, string, code=code)
        return super().handle(request)


def test_other_faults_are_rejections_with_yukis_text() -> None:
    with Scripted("ProcessSalesInvoices", "Bundle 'Sales' is not active for this domain") as sim:
        client = demo_client(sim)
        with pytest.raises(RejectedError) as caught:
            client.process_sales_invoices(sales_invoices_xml(invoices(1)))
    assert caught.value.message == "Bundle 'Sales' is not active for this domain"
    assert client.calls_made == 2  # permanent: not retried


@pytest.mark.parametrize(
    ("code", "string", "detail", "kind"),
    [
        ("soap:Client", "Daily limit exceeded", "Every domain has 1000 free webservice calls a day.",
         QuotaExceededError),
        ("soap:Client", "Invalid access key", "", AuthenticationError),
        ("soap:Client", "No rights for the webservices", "", AuthenticationError),
        ("soap:Client", "Unknown administration", "", RejectedError),
        ("soap:Server", "Server was unable to process request.", "", TransientError),
        ("soap:Receiver", "Timeout", "", TransientError),
        ("soap:Sender", "Price has too many decimals", "", RejectedError),
    ],
)
def test_fault_mapping(code: str, string: str, detail: str,
                       kind: type[ConnectorError]) -> None:
    assert type(fault_error(code, string, detail)) is kind


def test_garbage_answer_is_a_protocol_error() -> None:
    class Garbage(YukiSimulator):
        def handle(self, request: Request) -> Reply:
            return Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})

    simulator = Garbage()
    with simulator:
        client = YukiClient(simulator.url, SECRET_KEY, DEMO_ADMINISTRATION_ID,
                            retry=RetryPolicy(attempts=1))
        with pytest.raises(ProtocolError) as caught:
            client.administrations()
    assert SECRET_KEY not in render(caught.value)


# -- secrets -------------------------------------------------------------------------------------
def render(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error)


def test_access_key_is_not_in_repr_or_str() -> None:
    client = YukiClient("http://127.0.0.1:9", SECRET_KEY, "admin-1")
    assert SECRET_KEY not in repr(client)
    assert SECRET_KEY not in str(client)
    assert SECRET_KEY not in repr(vars(client))


class Echoing(YukiSimulator):
    """A Yuki that repeats the access key it was sent in its fault text."""

    def handle(self, request: Request) -> Reply:
        if b"accessKey" in request.body:
            return soap_fault_reply(11, f"Access key {SECRET_KEY} is not valid",
                                    detail=f"key={SECRET_KEY}")
        return super().handle(request)


def test_access_key_never_reaches_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("zeep", "urllib3", "requests", "connectors"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    raised: list[BaseException] = []
    with Echoing() as simulator:
        client = YukiClient(simulator.url, SECRET_KEY, "admin-1",
                            retry=RetryPolicy(attempts=1))
        with pytest.raises(AuthenticationError) as caught:
            client.administrations()
        raised.append(caught.value)
    with YukiSimulator() as simulator:  # a simulator that knows the key
        simulator.add_access_key(SECRET_KEY, "domain")
        simulator.add_administration("admin-1", "Geheim BV", "domain")
        client = YukiClient(simulator.url, SECRET_KEY, "admin-1", retry=RetryPolicy(attempts=1))
        client.process_sales_invoices(sales_invoices_xml(invoices(1)))
        with pytest.raises(ConnectorError) as caught:
            client.process_sales_invoices("<SalesInvoices><oops>")
        raised.append(caught.value)
    for error in raised:
        assert SECRET_KEY not in render(error)
    assert "<secret>" in str(raised[0])
    assert caplog.records, "debug logging was on: something should have been logged"
    for record in caplog.records:
        assert SECRET_KEY not in record.getMessage()
