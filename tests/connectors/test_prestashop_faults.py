"""PrestaShopClient's failures: what is retried, what is raised, and that the key never shows."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime

import httpx
import pytest
from mapper.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from mapper.connectors.prestashop.client import (
    KEY_ADVICE,
    PrestaShopClient,
    WebserviceDisabledError,
)
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator

try:
    from tests.connectors.ps_fixtures import ScriptedFaults, Sleeps, ps_retry
except ImportError:
    from ps_fixtures import ScriptedFaults, Sleeps, ps_retry  # type: ignore[no-redef]

KEY = PrestaShopSimulator.DEMO_KEY
WINDOW = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _simulator(*script: str | None, hang: float = 0.0, retry_after: float = 0.05) -> (
    PrestaShopSimulator
):
    faults = ScriptedFaults(rate=1.0, hang_seconds=hang, retry_after=retry_after,
                            script=list(script))
    simulator = PrestaShopSimulator(faults=faults)
    simulator.add_orders(demo_records())
    return simulator


@pytest.fixture
def running() -> Iterator[Callable[..., PrestaShopSimulator]]:
    started: list[PrestaShopSimulator] = []

    def start(*script: str | None, **options: float) -> PrestaShopSimulator:
        simulator = _simulator(*script, **options)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def _mock(handler: Callable[[httpx.Request], httpx.Response], attempts: int = 1) -> (
    PrestaShopClient
):
    return PrestaShopClient("https://shop.example", KEY, transport=httpx.MockTransport(handler),
                            retry=ps_retry(attempts=attempts))


# -- transient failures over real sockets -----------------------------------------------------
def test_a_500_is_retried_then_succeeds(running: Callable[..., PrestaShopSimulator]) -> None:
    simulator = running("500")
    sleeps = Sleeps()
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry(sleeps)) as client:
        states = client.order_states()
    assert len(states) == 14
    assert client.requests_made == 2
    assert len(sleeps.delays) == 1


def test_429_retry_after_is_honoured(running: Callable[..., PrestaShopSimulator]) -> None:
    simulator = running("429", "429", retry_after=0.25)
    sleeps = Sleeps()
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry(sleeps)) as client:
        docs = list(client.fetch_orders([1]))
    assert [d["order"]["id"] for d in docs] == [1]
    assert sleeps.delays == [0.25, 0.25]


def test_429_raises_rate_limited_when_retries_run_out(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running("429", retry_after=3)
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry(attempts=1)) as client, \
            pytest.raises(RateLimitedError) as caught:
        client.order_states()
    assert caught.value.retry_after == 3
    assert caught.value.transient


def test_a_hung_request_times_out_and_is_retried(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running("timeout", hang=0.6)
    with PrestaShopClient(simulator.url, KEY, timeout=0.2, retry=ps_retry()) as client:
        assert len(client.order_states()) == 14
        assert client.requests_made == 2


def test_a_timeout_without_retries_left_is_transient(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running("timeout", hang=0.6)
    with PrestaShopClient(simulator.url, KEY, timeout=0.2, retry=ps_retry(attempts=1)) as client, \
            pytest.raises(TransientError, match=r"no answer within 0\.2 s"):
        client.order_states()


def test_a_body_cut_short_is_retried(running: Callable[..., PrestaShopSimulator]) -> None:
    simulator = running(None, "truncated")  # the customers request of the page is cut short
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry()) as client:
        docs = list(client.iter_orders_changed(*WINDOW))
    assert len(docs) == 4
    assert all(d["customer"] is not None for d in docs)


def test_a_body_cut_short_every_time_is_a_transient_error(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running("truncated", "truncated")
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry(attempts=2)) as client, \
            pytest.raises(TransientError, match="connection failed"):
        client.order_states()


def test_connection_refused_is_transient() -> None:
    simulator = PrestaShopSimulator().start()
    url = simulator.url
    simulator.stop()
    with PrestaShopClient(url, KEY, retry=ps_retry(attempts=2)) as client, \
            pytest.raises(TransientError):
        client.order_states()
    assert client.requests_made == 2


# -- permanent failures -----------------------------------------------------------------------
def test_a_refused_key_gives_the_manuals_advice(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running()
    wrong = "X" * 32
    with PrestaShopClient(simulator.url, wrong, retry=ps_retry()) as client, \
            pytest.raises(AuthenticationError) as caught:
        client.check_connection()
    message = str(caught.value)
    assert KEY_ADVICE in message
    assert "Advanced parameters > Webservice" in message
    assert "code 20" in message
    assert wrong not in message
    assert client.requests_made == 1  # not retried


def test_a_key_of_the_wrong_length(running: Callable[..., PrestaShopSimulator]) -> None:
    simulator = running()
    with PrestaShopClient(simulator.url, "short", retry=ps_retry()) as client, \
            pytest.raises(AuthenticationError, match="Invalid authentication key format"):
        client.order_states()


def test_a_disabled_webservice(running: Callable[..., PrestaShopSimulator]) -> None:
    simulator = running()
    simulator.webservice_enabled = False
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry()) as client, \
            pytest.raises(WebserviceDisabledError, match="enable it in Advanced parameters"):
        client.check_connection()
    assert client.requests_made == 1


def test_an_html_login_page_is_a_protocol_error(
    running: Callable[..., PrestaShopSimulator],
) -> None:
    simulator = running()
    simulator.serve_login_page = True
    with PrestaShopClient(simulator.url, KEY, retry=ps_retry()) as client, \
            pytest.raises(ProtocolError, match="expected PrestaShop's JSON .* an HTML page"):
        client.order_states()


def test_a_key_without_permission_for_customers_and_addresses() -> None:
    """It may read orders (the log-in works), but /api/ (XML) grants GET on little else."""
    root = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<api shopName="De Theepot">'
        '<orders xlink:href="https://shop.example/api/orders" get="true" put="false" '
        'post="false" patch="false" delete="false" head="true"><description>The Customers '
        'orders</description></orders>'
        '<countries xlink:href="https://shop.example/api/countries" get="true" put="false" '
        'post="false" patch="false" delete="false" head="true"/>'
        '<products xlink:href="https://shop.example/api/products" get="true" put="false" '
        'post="false" patch="false" delete="false" head="true"/>'
        "</api></prestashop>"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/orders":
            return httpx.Response(200, json={"orders": [{"id": 1}]},
                                  headers={"PSWS-Version": "8.1.7"})
        return httpx.Response(200, text=root, headers={"Content-Type": "text/xml;charset=utf-8"})

    with _mock(handler) as client, pytest.raises(
        AuthenticationError,
        match=r"may not read customers, addresses: tick View \(GET\) for them",
    ):
        client.check_connection()


def test_404_names_the_resource() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    with _mock(handler) as client, pytest.raises(NotFoundError, match="order_states"):
        client.order_states()


def test_400_carries_prestashops_message() -> None:
    body = {"errors": [{"code": 32, "message": 'This filter does not exist. Did you mean: "id"?'}]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=body)

    with _mock(handler) as client, pytest.raises(RejectedError) as caught:
        list(client.fetch_orders([1]))
    assert "This filter does not exist" in str(caught.value)
    assert "code 32" in str(caught.value)


def test_xml_error_documents_are_read_too() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/'
        'xlink">\n<errors>\n<error>\n<code><![CDATA[22]]></code>\n<message><![CDATA[The PrestaShop'
        " webservice is disabled.]]></message>\n</error>\n</errors>\n</prestashop>\n"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=xml, headers={"Content-Type": "text/xml"})

    with _mock(handler) as client, pytest.raises(WebserviceDisabledError):
        client.order_states()


def test_a_503_without_code_22_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>maintenance</html>")

    with _mock(handler, attempts=3) as client, pytest.raises(TransientError):
        client.order_states()
    assert client.requests_made == 3


def test_a_redirect_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://www.shop.example/api/orders"})

    with _mock(handler) as client, pytest.raises(ProtocolError, match="www.shop.example"):
        client.order_states()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"orders":[{"id":1,"date_upd"', "not valid JSON"),
        ('{"order": {"id": 1}}', r'expected \{"orders": \[\.\.\.\]\} or \[\]'),
        ('{"orders": [{"id": "first"}]}', "objects with an integer id"),
        ('{"orders": [{"id": 1, "date_upd": "2024-01-02 09:15:02", "id_customer": "Jan"}]}',
         r'"id_customer" as a whole number .* got \{"id": 1, "id_customer": "<text of 3'),
        ('{"orders": [{"id": 1}]}', 'orders with "date_upd" as a string'),
        ('<?xml version="1.0"?><prestashop><orders/></prestashop>', "got XML"),
    ],
)
def test_wrong_bodies_are_protocol_errors(body: str, expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"Content-Type": "application/json"})

    with _mock(handler, attempts=3) as client, pytest.raises(ProtocolError, match=expected):
        list(client.iter_orders_changed(*WINDOW))
    assert client.requests_made == 1  # a wrong answer does not improve by asking again


# -- the key stays secret ---------------------------------------------------------------------
def test_the_key_is_sent_as_basic_auth_user_with_empty_password() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="[]")

    with _mock(handler) as client:
        client.order_states()
    credentials = base64.b64encode(f"{KEY}:".encode()).decode()
    assert seen[0].headers["authorization"] == f"Basic {credentials}"
    assert KEY not in str(seen[0].url)
    assert seen[0].url.params["output_format"] == "JSON"
    assert seen[0].method == "GET"


def test_the_key_never_appears_in_repr_or_errors(
    running: Callable[..., PrestaShopSimulator], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    texts: list[str] = []
    simulator = running("500", "500", "truncated", "timeout", hang=0.4)
    client = PrestaShopClient(simulator.url, KEY, timeout=0.2, retry=ps_retry(attempts=1))
    texts.append(repr(client))
    texts.append(str(vars(client)))
    for _ in range(4):
        with pytest.raises(ConnectorError) as caught:
            client.order_states()
        texts.append(str(caught.value))
    texts.append(json.dumps(client.order_states()))

    def echo(request: httpx.Request) -> httpx.Response:  # a server echoing what it was sent
        header = request.headers["authorization"]
        return httpx.Response(500, json={"errors": [{"code": 1, "message": f"{KEY} {header}"}]})

    with _mock(echo) as echoing, pytest.raises(TransientError) as caught:
        echoing.order_states()
    texts.append(str(caught.value))
    with PrestaShopClient(simulator.url, "Y" * 32, retry=ps_retry()) as refused, \
            pytest.raises(AuthenticationError) as refusal:
        refused.order_states()
    texts.append(str(refusal.value))
    texts.append(caplog.text)
    client.close()
    encoded = base64.b64encode(f"{KEY}:".encode()).decode()
    assert all(KEY not in text and "Y" * 32 not in text for text in texts)
    assert all(encoded not in text for text in texts)
