"""More info of a failed order: the check and its rule file:line kept in the ledger at failure
time, and the values the check reads fetched from the shop when the page is opened (PrestaShop
simulator → Yuki simulator), never anything of the customer; the shop unreachable: said, and
what the ledger keeps shown."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from mapper.commands.dashboard import Dashboard, create_app
from mapper.commands.dashboard.more_info import safe_value
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.secret import Secret
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.sync.config import Config, ShopConfig
from mapper.engine.sync.pipeline import ShopSync
from starlette.testclient import TestClient

from .dashboard_helpers import ALICE, PASSWORD, csrf_of

# The file's VAT codes without the 9 % one: every order with a 9 % line fails `vat_code`.
NO_NINE = [
    {"scheme": "domestic", "country": "*", "rate": 21, "type": 1, "gl_account": "8000"},
    {"scheme": "domestic", "country": "*", "rate": 0, "type": 3, "gl_account": "8020"},
    {"scheme": "icp", "country": "*", "rate": 0, "type": 17, "gl_account": "8100"},
    {"scheme": "export", "country": "*", "rate": 0, "type": 18, "gl_account": "8200"},
]
VAT_CODE_RULE = re.compile(r"mappings/yuki/mapping\.yaml:\d+")


def _customer_data() -> set[str]:
    """Every name, e-mail, address and VAT number of the demo's customers."""
    found: set[str] = set()
    personal = ("firstname", "lastname", "email", "address1", "address2", "city", "postcode",
                "company", "vat_number", "phone", "phone_mobile")
    for record in demo_records():
        for part in (record.customer, *record.addresses):
            found |= {str(part[k]) for k in personal if str(part.get(k) or "").strip()}
    return found


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def failed(tmp_path: Path) -> Iterator[tuple[TestClient, PrestaShopSimulator, Ledger, str]]:
    """A pass that failed the 9 % orders on `vat_code`, and the dashboard logged in."""
    shop_sim = PrestaShopSimulator()
    shop_sim.add_orders(demo_records())
    yuki = YukiSimulator(daily_limit=10**9)
    key, administration = yuki.seed_demo()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    shop_sim.__enter__()
    yuki.__enter__()
    shop = ShopConfig(
        "webshop",
        "prestashop-yuki",
        {"type": "prestashop", "url": shop_sim.url, "key": Secret(PrestaShopSimulator.DEMO_KEY)},
        {"type": "yuki", "url": yuki.url, "access_key": Secret(key),
         "administration_id": administration},
        settings={"yuki": {"vat_codes": NO_NINE}},
        start=date(2024, 1, 1),
    )
    try:
        with Ledger.open(url) as ledger:
            sync = ShopSync(shop, ledger)
            try:
                report = sync.sync()
            finally:
                sync.close()
            failures = [r for r in ledger.list_orders("webshop", OrderState.FAILED, limit=None)]
            assert failures, f"the demo has an order with a 9 % line: {report.summary()}"
            Accounts(ledger).add(ALICE, PASSWORD, ["webshop"])
            board = Dashboard(Config(url, [shop]), ledger, tmp_path)
            with TestClient(create_app(board), follow_redirects=False) as client:
                token = csrf_of(client.get("/login").text)
                client.post(
                    "/login", data={"email": ALICE, "password": PASSWORD, "csrf_token": token}
                )
                yield client, shop_sim, ledger, failures[0].order_id
    finally:
        yuki.__exit__(None, None, None)
        if shop_sim._server is not None:  # a test may have stopped it
            shop_sim.__exit__(None, None, None)


def test_the_failing_check_and_its_rule_line_are_kept_at_failure_time(
    failed: tuple[TestClient, PrestaShopSimulator, Ledger, str],
) -> None:
    client, _shop, ledger, order_id = failed
    record = ledger.get_order("webshop", order_id)
    assert record is not None and record.failed_check is not None
    name, _, place = record.failed_check.partition(" @ ")
    assert name == "vat_code" and VAT_CODE_RULE.fullmatch(place), record.failed_check
    errors = client.get("/shops/webshop/errors").text
    assert f"<code>vat_code</code> at <code>{place}</code>" in errors
    assert f'href="/shops/webshop/orders/{order_id}">The values involved</a>' in errors


def test_more_info_shows_the_values_the_check_read_but_nothing_of_the_customer(
    failed: tuple[TestClient, PrestaShopSimulator, Ledger, str],
) -> None:
    client, _shop, _ledger, order_id = failed
    answer = client.get(f"/shops/webshop/orders/{order_id}")
    assert answer.status_code == 200
    page = _text(answer.text)
    assert re.search(r"vat_code\s+yuki,\s+mappings/yuki/mapping\.yaml:\d+", page)
    assert re.search(r"line\.vat_rate\s+9(\.0+)?\s", page), page
    assert re.search(r"scheme\s+domestic\s", page)
    assert re.search(r"destination\s+NL\s", page)
    leaked = {value for value in _customer_data() if value in answer.text}
    assert not leaked


def test_more_info_says_when_the_shop_cannot_be_reached_and_shows_what_is_kept(
    failed: tuple[TestClient, PrestaShopSimulator, Ledger, str],
) -> None:
    client, shop_sim, _ledger, order_id = failed
    shop_sim.__exit__(None, None, None)  # the shop goes away
    page = _text(client.get(f"/shops/webshop/orders/{order_id}").text)
    assert "The shop could not be reached" in page
    assert "Shown is what the ledger keeps." in page
    assert re.search(r"Check\s+vat_code\s+at\s+mappings/yuki/mapping\.yaml:\d+", page)
    assert "line.vat_rate" not in page


def test_more_info_of_another_shops_order_is_not_found(
    failed: tuple[TestClient, PrestaShopSimulator, Ledger, str],
) -> None:
    client, _shop, _ledger, order_id = failed
    assert client.get(f"/shops/other/orders/{order_id}").status_code == 404
    assert client.get("/shops/webshop/orders/no-such-order").status_code == 404


@pytest.mark.parametrize(
    ("chain", "value", "shown"),
    [
        (["line", "vat_rate"], "9.000", "9.000"),
        (["destination"], "DE", "DE"),
        (["tax_day"], "2024-01-02", "2024-01-02"),
        (["order", "customer", "vat_number"], "NL000099998B57", "(not shown: customer data)"),
        (["order", "customer", "email"], "a@example.com", "(not shown: customer data)"),
        (["order", "billing", "lastName"], "Vries", "(not shown: customer data)"),
        (["order", "billing", "postcode"], "1234", "(not shown: customer data)"),
        (["order", "reference"], "Sanne de Vries, Dorpsstraat 1", "(text, not shown)"),
        (["order", "lines"], [1, 2], "[…2 items]"),
    ],
)
def test_only_amounts_rates_codes_and_dates_are_shown(chain: list[Any], value: Any, shown: str) -> None:
    assert safe_value(chain, value) == shown
